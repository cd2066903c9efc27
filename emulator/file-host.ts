/**
 * The emulator's HTTPS file host: scripts and files that image template customizers download
 * (`scriptUri`, `sourceUri`), served at `${emu.url}/files/<name>` with the emulator's own TLS certificate,
 * anonymously (like a public GitHub raw URL or a blob in a public container). Tests change them between
 * runs (`emu.files.put`) — as an admin fixes a script in place — or remove them.
 *
 * And what Image Builder does with those files, as far as public sources tell:
 * - It copies them when the template is created and computes their `sha256Checksum` itself: the Azure SDK
 *   recording of a template GET (azure-sdk-for-js, recording_virtualmachineimagetemplates_get_test.json)
 *   returns a `sha256Checksum` the create request did not send. So a script changed in place after the
 *   template was created does not reach a build of that template.
 * - A file it cannot download fails the template submission: "Downloading external file (<myFile>) to local
 *   file (xxxxx.0.customizer.fp) [attempt 1 of 10] failed: Error downloading '<myFile>' to
 *   'xxxxx.0.customizer.fp'.." (Image Builder troubleshooting guide, image template submission errors).
 * - A customizer whose declared `sha256Checksum` is not the content's fails the build at Customizing. The
 *   wording is the emulator's: no public sample of Image Builder's message was found.
 * Files elsewhere (GitHub, storage accounts) cannot be read here: their checksums are not computed.
 */
import { createHash } from "node:crypto";
import type { HandlerResult, Route } from "./arm.ts";

/** A file a template's customizer downloads, as Image Builder copied it at template creation. */
export interface CopiedFile {
  uri: string;
  sha256: string;
}

/** Scripts and files served over HTTPS by the emulator. */
export class FileHost {
  private readonly files = new Map<string, Buffer>();
  private readonly baseUrl: () => string;

  constructor(baseUrl: () => string) {
    this.baseUrl = baseUrl;
  }

  /** URL of `name` (`${emu.url}/files/<name>`), whether or not it exists. */
  url(name: string): string {
    return `${this.baseUrl()}/files/${encodeURIComponent(name)}`;
  }

  /** Serves `content` as `name` (replacing what was there); returns its URL. */
  put(name: string, content: string | Buffer): string {
    this.files.set(name, Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8"));
    return this.url(name);
  }

  /** Stops serving `name` (its URL then answers 404). */
  remove(name: string): void {
    this.files.delete(name);
  }

  /** SHA-256 (hex) of what `name` serves now, or undefined. */
  sha256(name: string): string | undefined {
    const content = this.files.get(name);
    return content && sha256(content);
  }

  /**
   * The content at `uri`: a Buffer when this host serves it, null when the URI is on this host but nothing
   * is there, undefined when the URI is elsewhere.
   */
  read(uri: string): Buffer | null | undefined {
    const prefix = `${this.baseUrl()}/files/`;
    if (!uri.toLowerCase().startsWith(prefix.toLowerCase())) return undefined;
    const name = decodeURIComponent(uri.slice(prefix.length).split(/[?#]/)[0]!);
    return this.files.get(name) ?? null;
  }

  routes(): Route[] {
    const serve = (name: string): HandlerResult => {
      const content = this.files.get(name);
      if (!content) return { status: 404, body: { error: "BlobNotFound", message: `The file '${name}' does not exist.` } };
      return { status: 200, raw: content, headers: { "content-type": /\.ps1$/i.test(name) ? "text/plain; charset=utf-8" : "application/octet-stream" } };
    };
    return [{ method: "GET", pattern: "/files/{name}", kind: "other", handler: (ctx) => serve(ctx.params.name!) }];
  }

  /**
   * Copies the files of a template's customizers, as Image Builder does when the template is created.
   * @returns the copies by customizer index, or the submission error for the first file that cannot be read.
   */
  copyCustomizerFiles(customize: unknown): { files: Map<number, CopiedFile>; failure?: string } {
    const files = new Map<number, CopiedFile>();
    const list = Array.isArray(customize) ? (customize as Record<string, unknown>[]) : [];
    for (const [i, c] of list.entries()) {
      const uri = typeof c.scriptUri === "string" ? c.scriptUri : c.type === "File" && typeof c.sourceUri === "string" ? c.sourceUri : undefined;
      if (!uri) continue;
      const content = this.read(uri);
      if (content === undefined) continue;
      if (content === null) {
        return {
          files,
          failure: `Downloading external file (${uri}) to local file (${i}.customizer.fp) [attempt 1 of 10] failed: Error downloading '${uri}' to '${i}.customizer.fp'..`,
        };
      }
      files.set(i, { uri, sha256: sha256(content) });
    }
    return { files };
  }
}

/**
 * The first customizer whose declared `sha256Checksum` is not the SHA-256 of the file Image Builder copied.
 * @returns its name and the run's failure message, or undefined.
 */
export function checksumMismatch(customize: unknown, files: Map<number, CopiedFile>): { customizerName: string; message: string } | undefined {
  const list = Array.isArray(customize) ? (customize as Record<string, unknown>[]) : [];
  for (const [i, file] of files) {
    const c = list[i];
    const declared = typeof c?.sha256Checksum === "string" ? c.sha256Checksum.toLowerCase() : "";
    if (!c || !declared || declared === file.sha256) continue;
    const name = String(c.name ?? `customizer ${i}`);
    return {
      customizerName: name,
      message:
        `Failed while waiting for packerizer: Microservice has failed: Failed while processing request: Error when executing packerizer: Packer build command has failed: exit status 1. ` +
        `Customizer '${name}': the SHA256 checksum of '${file.uri}' is ${file.sha256}, not the sha256Checksum ${declared} of the template. ` +
        `For more troubleshooting steps go to https://aka.ms/azvmimagebuilderts.`,
    };
  }
  return undefined;
}

function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
