/**
 * Lines of customization.log for people: which are errors or warnings, what they say without packer's
 * prefixes, and which of the template's customizers a packer provisioner is. Pure.
 *
 * Why a successful build's log is full of `PACKER ERR`: Image Builder writes packer's standard output as
 * `[<operation id>] PACKER OUT …` and its standard error as `… PACKER ERR …`, and runs packer with its
 * debug log on (`PACKER_LOG`), which packer writes to standard error — each line stamped
 * `YYYY/MM/DD HH:MM:SS` by Go's `log` package (Packer docs, "Debugging Packer" and plugin "Logging and
 * debugging": with PACKER_LOG=1 the logs go to stderr; the line forms are those of the AIB troubleshooting
 * guide's customization.log). So a `PACKER ERR <time> …` line is packer's debug log — `[INFO]`,
 * `Found command: …` (the script's source, echoed), plugin requests — and an error only when packer's
 * log level says `[ERROR]`; it is a warning at `[WARN]`. What packer prints for the user (its UI, including
 * the provisioners' output and packer's own error summary) is `PACKER OUT`, where errors read as such:
 * `ERROR: …`, `Build '…' errored …`, `Provisioning step had errors`, `Script exited with non-zero exit
 * status`, PowerShell's `Write-Error` and `WARNING: …` (Write-Warning).
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { NamedStep } from "../errors.ts";

/** One step packer runs (defined with the failure it is reported in, src/errors.ts). */
export type { NamedStep };

/** `[<operation id>] PACKER OUT|ERR <rest>`. */
const PACKER_LINE = /^\[[^\]]*\] PACKER (OUT|ERR) ?(.*)$/;
/** Go's `log` stamp at the start of packer's debug log lines. */
const GO_LOG_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} /;
/** Packer's UI prefixes of a builder's messages. */
const UI_PREFIX = /^(?:==> |--> | {4})?azure-arm: ?/;

const ERROR_TEXT =
  /^(?:ERROR|Error)\b|\bBuild '[^']+' errored\b|\bhad errors\b|non-zero exit status|Exception occurred|^Write-Error\b|\bno artifacts were created\b|\bTimeout waiting\b|\b(?:update|upload|restart) failed\b/i;
const WARNING_TEXT = /^WARNING:|\bWARNING: /;

/** Whether a line of customization.log is an error, a warning, or neither (most lines, and all of packer's debug log). */
export function classifyLogLine(line: string): "error" | "warning" | undefined {
  const packer = PACKER_LINE.exec(line);
  if (!packer) return undefined;
  const [, stream, rest] = packer as unknown as [string, "OUT" | "ERR", string];
  if (stream === "ERR") {
    if (!GO_LOG_TIME.test(rest)) return rest.trim() ? "error" : undefined; // packer's UI error output, not its log
    if (/\[ERROR\]/.test(rest)) return "error";
    if (/\[WARN\]/.test(rest)) return "warning";
    return undefined;
  }
  const text = rest.replace(UI_PREFIX, "");
  if (ERROR_TEXT.test(rest) || ERROR_TEXT.test(text)) return "error";
  if (WARNING_TEXT.test(text)) return "warning";
  return undefined;
}

/** A line without the operation id, the stream, packer's log time and its `==> azure-arm:` prefix. */
export function plainLogLine(line: string): string {
  const packer = PACKER_LINE.exec(line);
  if (!packer) return line;
  return packer[2]!.replace(GO_LOG_TIME, "").replace(UI_PREFIX, "").trimEnd();
}

/**
 * The template's steps in the order packer runs them: its customizers (`properties.customize`), then its
 * in-VM validators (`properties.validate.inVMValidations`); packer's provisioner N is the Nth of these.
 * Image Builder adds one hidden provisioner after them — deprovisioning (Sysprep for Windows) — which
 * {@link stepOf} names for ordinals past the list (AIB troubleshooting guide: the deprovisioning step
 * runs last, from `c:\DeprovisioningScript.ps1`).
 */
export function templateSteps(template: Pick<ImageTemplate, "customize" | "validate">): { name: string; type: string; kind: "customizer" | "validator" }[] {
  return [
    ...(template.customize ?? []).map((c, i) => ({ name: c.name ?? `customizer ${i + 1}`, type: c.type, kind: "customizer" as const })),
    ...(template.validate?.inVMValidations ?? []).map((v, i) => ({ name: v.name ?? `validator ${i + 1}`, type: v.type, kind: "validator" as const })),
  ];
}

/** The step packer's provisioner `ordinal` (1-based) is, or undefined without a template's steps. */
export function stepOf(steps: readonly { name: string; type: string; kind: "customizer" | "validator" }[], ordinal: number): NamedStep | undefined {
  if (steps.length === 0 || ordinal < 1) return undefined;
  const step = steps[ordinal - 1];
  if (!step) return { name: "deprovisioning (Sysprep)", type: "Image Builder", index: ordinal, total: steps.length, kind: "image-builder" };
  return { ...step, index: ordinal, total: steps.length };
}
