/**
 * Pins the content of every script the build VM downloads without a checksum, before anything is written.
 *
 * Image Builder copies a template's scripts when the template is created, and computes their
 * `sha256Checksum` itself (Azure SDK recording of an image template GET). The template's name carries a
 * hash of its content, so a script changed in place at its URL would otherwise reuse the old template and
 * its old copy: the fix would never reach the image. So each `script-uris` line without a SHA-256, and each
 * template file customizer with a `scriptUri` (PowerShell) or `sourceUri` (File) and no `sha256Checksum`
 * (and each PowerShell in-VM validator with a `scriptUri`), is read now (script-content.ts) and its SHA-256 goes into the customizer — and so into the template hash:
 * a changed script gives a new template.
 */
import { createHash } from "node:crypto";
import type { ImageTemplateCustomizerUnion } from "@azure/arm-imagebuilder";
import type { ScriptContentReader } from "../azure/script-content.ts";
import { ActionError } from "../errors.ts";
import { redactText, redactUrl } from "../redact.ts";
import type { InputName } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";

/** One URI that could not be read, with the input that names it and the fix. */
export interface UnreadableScript {
  input: InputName;
  uri: string;
  /** Why it could not be read. */
  reason: string;
  /** What to do, in words. */
  fix: string;
}

/** Raised before any write when a script cannot be read; lists every such URI with its fix. */
export class ScriptPinError extends ActionError {
  override name = "ScriptPinError";
  readonly unreadable: UnreadableScript[];
  constructor(unreadable: UnreadableScript[], label: (input: InputName) => string) {
    super(
      `${unreadable.length} script${unreadable.length === 1 ? "" : "s"} could not be read to pin ${unreadable.length === 1 ? "its" : "their"} content; nothing was created or deleted:\n` +
        unreadable.map((u) => `- Input '${label(u.input)}': ${redactUrl(u.uri)} could not be read (${redactText(u.reason)}). ${redactText(u.fix)}`).join("\n"),
    );
    this.unreadable = unreadable;
  }
}

/** A script whose SHA-256 the run pinned. */
export interface PinnedScript {
  input: InputName;
  uri: string;
  sha256: string;
}

/**
 * Reads every unpinned script (in parallel) and returns the settings with their SHA-256 filled in
 * (`scriptUris[].sha256`, the template file customizers' `sha256Checksum`).
 * @param label how the host names an input.
 * @throws ScriptPinError naming every URI that could not be read, its input and the fix.
 */
export async function pinScriptContent(
  settings: Settings,
  reader: ScriptContentReader,
  label: (input: InputName) => string,
  signal?: AbortSignal,
): Promise<{ settings: Settings; pinned: PinnedScript[] }> {
  const unreadable: UnreadableScript[] = [];
  const pinned: PinnedScript[] = [];
  const sha = async (input: InputName, uri: string, fix: string): Promise<string | undefined> => {
    try {
      const sha256 = createHash("sha256")
        .update(await reader.read(uri, signal))
        .digest("hex");
      pinned.push({ input, uri, sha256 });
      return sha256;
    } catch (error) {
      if (signal?.aborted) throw error;
      unreadable.push({ input, uri, reason: (error as Error).message, fix });
      return undefined;
    }
  };

  const scriptUris = Promise.all(
    settings.scriptUris.map(async (script) =>
      script.sha256
        ? script
        : {
            ...script,
            sha256: await sha(
              "script-uris",
              script.uri,
              `Add its SHA-256 after the URL ('${script.uri} <sha256>'), or put the script in the repository and list it in '${label("scripts")}'.`,
            ),
          },
    ),
  );
  const fileCustomizers = Promise.all(
    settings.fileCustomizers.map(async (step, index) => {
      const uri = downloadUri(step);
      if (!uri || (step as { sha256Checksum?: string }).sha256Checksum) return step;
      const where = `${settings.templateFile}: customize[${index}]${step.name ? ` (${step.name})` : ""}`;
      const checksum = await sha(
        "template-file",
        uri,
        `Give ${where} its 'sha256Checksum', or put the file in the repository and list it in '${label("scripts")}'.`,
      );
      return checksum ? ({ ...step, sha256Checksum: checksum } as ImageTemplateCustomizerUnion) : step;
    }),
  );
  // The file's in-VM validators download their scripts the same way.
  const validators = Promise.all(
    (settings.validate?.inVMValidations ?? []).map(async (step, index) => {
      const s = step as { type: string; name?: string; scriptUri?: string; sha256Checksum?: string };
      if (s.type !== "PowerShell" || !s.scriptUri || s.sha256Checksum || s.name === "validation-script") return step;
      const where = `${settings.templateFile}: validate.inVMValidations[${index}]${s.name ? ` (${s.name})` : ""}`;
      const checksum = await sha("template-file", s.scriptUri, `Give ${where} its 'sha256Checksum', or use 'validation-script'.`);
      return checksum ? { ...step, sha256Checksum: checksum } : step;
    }),
  );
  const [uris, customizers, inVMValidations] = await Promise.all([scriptUris, fileCustomizers, validators]);
  if (unreadable.length) throw new ScriptPinError(unreadable, label);
  const validate = settings.validate && inVMValidations.length ? { ...settings.validate, inVMValidations } : settings.validate;
  return { settings: { ...settings, scriptUris: uris, fileCustomizers: customizers, validate }, pinned };
}

/** The URI a template file customizer downloads: a PowerShell `scriptUri` or a File `sourceUri`. */
function downloadUri(step: ImageTemplateCustomizerUnion): string | undefined {
  const s = step as { type: string; scriptUri?: string; sourceUri?: string };
  if (s.type === "PowerShell" && s.scriptUri) return s.scriptUri;
  if (s.type === "File" && s.sourceUri) return s.sourceUri;
  return undefined;
}
