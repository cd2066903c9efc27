/**
 * Repository scripts (the `scripts` input): PowerShell scripts and other files kept in the repository,
 * read when the settings are read, each with the SHA-256 of its bytes, and turned into Image Builder
 * customizers (Microsoft.VirtualMachineImages api-version 2025-10-01):
 *
 * - with a storage account (`scripts-storage-account`): every file is uploaded to the container
 *   `scripts-container` as `<sha256>/<path>` (content-addressed, so an older template keeps its bytes),
 *   and the customizer downloads it from there — `PowerShell` with `scriptUri`, or `File` with
 *   `sourceUri` — with `sha256Checksum`. The build VM reads the blob with the template's managed
 *   identity ('Storage Blob Data Reader' on the container): no SAS token.
 * - without one: a PowerShell script of at most {@link INLINE_MAX_BYTES} is inlined (`inline`, its
 *   first line a comment with its path and SHA-256); any other file needs the storage account.
 *
 * Either way the content (through its SHA-256 or its text) is part of the template, so changing one byte
 * of a script changes the template hash. Pure apart from {@link readRepositoryScripts}, which reads files.
 */

import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";
import type { ImageTemplateCustomizerUnion, ImageTemplateFileCustomizer, ImageTemplatePowerShellCustomizer } from "@azure/arm-imagebuilder";
import picomatch from "picomatch";
import { globSync, isDynamicPattern } from "tinyglobby";

/** Largest PowerShell script inlined into the template when no storage account is given (bytes). */
export const INLINE_MAX_BYTES = 64 * 1024;
/** Largest file uploaded (bytes). */
export const UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** Where a copied file goes when its line gives no destination: `C:\AVDImage\<path with backslashes>`. */
export const DEFAULT_COPY_DIRECTORY = "C:\\AVDImage\\";

/** One file of the repository the build uses. */
export interface RepositoryScript {
  /** Path relative to the workspace, with forward slashes, e.g. `scripts/Install-Apps.ps1`. */
  path: string;
  content: Uint8Array;
  /** SHA-256 of `content`, hex, lower case. */
  sha256: string;
  /** `run`: a PowerShell script run elevated as SYSTEM; `copy`: a file copied to `destination` on the build VM. */
  action: { kind: "run" } | { kind: "copy"; destination: string };
}

/** The blob container repository scripts are uploaded to. */
export interface ScriptsStorage {
  /** Storage account name (for messages). */
  account: string;
  /** Blob endpoint with a trailing slash, e.g. `https://contosoimages.blob.core.windows.net/`. */
  blobEndpoint: string;
  container: string;
}

/** One upload a plan needs before its template is created. */
export interface ScriptUpload {
  /** The repository path. */
  path: string;
  /** URL of the blob (what the customizer downloads). */
  url: string;
  blobEndpoint: string;
  container: string;
  /** `<sha256>/<path>`. */
  blobName: string;
  content: Uint8Array;
  sha256: string;
}

/** How the settings find the repository: its root, and how to list and read files (node:fs by default). */
export interface RepositoryFiles {
  /** Absolute path of the checkout. */
  workspace: string;
  /** Workspace-relative paths (forward slashes) of the files a glob matches, sorted. */
  glob(pattern: string): string[];
  /** The bytes of a file: `path` relative to the workspace, or absolute. */
  read(path: string): Uint8Array;
}

/** The repository checkout: GITHUB_WORKSPACE (GitHub), BUILD_SOURCESDIRECTORY (Azure DevOps), else the current directory. */
export function defaultWorkspace(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_WORKSPACE || env.BUILD_SOURCESDIRECTORY || process.cwd();
}

/**
 * A glob as a matcher over `/`-separated relative paths (picomatch: `*`, `?`, `**`, `[...]`, `{a,b}`),
 * for file lists that are not on disk.
 */
export function globToRegExp(pattern: string): RegExp {
  return picomatch.makeRe(pattern, { dot: true });
}

/** Directories never searched by a glob. */
const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);

/** The repository on disk at `workspace`. */
export function repositoryOnDisk(workspace: string = defaultWorkspace()): RepositoryFiles {
  const isFile = (path: string) => {
    try {
      return statSync(join(workspace, path)).isFile();
    } catch {
      return false;
    }
  };
  return {
    workspace,
    glob(pattern) {
      if (!isDynamicPattern(pattern)) return isFile(pattern) ? [pattern] : [];
      // tinyglobby, not fs.globSync: the Azure DevOps Node20_1 handler runs this bundle on Node 20.
      return globSync(pattern, { cwd: workspace, dot: true, onlyFiles: true, ignore: [...SKIPPED_DIRECTORIES].map((d) => `**/${d}/**`) }).sort();
    },
    read: (path) => readFileSync(isAbsolute(path) ? path : join(workspace, path)),
  };
}

/** SHA-256 of `content`: 64 lower-case hex characters (what `sha256Checksum` and the blob metadata carry). */
export function sha256Hex(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

const WINDOWS_PATH = /^[A-Za-z]:\\/;

/**
 * Reads the `scripts` input: one path or glob a line (relative to the workspace, `/` separators),
 * optionally `=> C:\destination` to copy the files there instead of running them (a destination ending
 * in `\` is a folder; otherwise it names the one file the line matches). `.ps1` files without a
 * destination are run; other files are copied to `C:\AVDImage\<path>`. Empty lines and `#` comments are
 * skipped; a file matched twice is used once.
 * @returns the files, in the order of the lines (each glob's matches sorted), and the problems.
 */
export function readRepositoryScripts(text: string, files: RepositoryFiles): { scripts: RepositoryScript[]; problems: string[] } {
  const scripts: RepositoryScript[] = [];
  const problems: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const [patternPart, destinationPart, extra] = line.split("=>").map((p) => p.trim());
    const pattern = patternPart!.split("\\").join("/").replace(/^\.\//, "");
    if (extra !== undefined || pattern === "" || destinationPart === "") {
      problems.push(`line '${line}' must be 'path-or-glob' or 'path-or-glob => C:\\destination\\'.`);
      continue;
    }
    if (isAbsolute(pattern) || /^[A-Za-z]:/.test(pattern) || pattern.split("/").includes("..")) {
      problems.push(`line '${line}': '${patternPart}' must be a path inside the repository, relative to its root (${files.workspace}).`);
      continue;
    }
    if (destinationPart !== undefined && !WINDOWS_PATH.test(destinationPart)) {
      problems.push(
        `line '${line}': the destination '${destinationPart}' must be an absolute Windows path such as C:\\Install\\ (a folder, ending in \\) or C:\\Install\\app.msi.`,
      );
      continue;
    }
    let matches: string[];
    try {
      matches = files.glob(pattern);
    } catch (error) {
      problems.push(`line '${line}': ${(error as Error).message}`);
      continue;
    }
    if (matches.length === 0) {
      problems.push(
        `line '${line}': '${pattern}' matches no file in ${files.workspace} (paths are relative to the repository root; check out the repository first).`,
      );
      continue;
    }
    if (destinationPart !== undefined && !destinationPart.endsWith("\\") && matches.length > 1) {
      problems.push(`line '${line}' matches ${matches.length} files but names one destination file; end the destination with \\ to copy them into a folder.`);
      continue;
    }
    for (const path of matches) {
      if (scripts.some((s) => s.path === path)) continue;
      let content: Uint8Array;
      try {
        content = files.read(path);
      } catch (error) {
        problems.push(`line '${line}': '${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
        continue;
      }
      if (content.byteLength > UPLOAD_MAX_BYTES) {
        problems.push(
          `line '${line}': '${path}' has ${content.byteLength} bytes; at most ${UPLOAD_MAX_BYTES} are uploaded (download big installers in a script instead).`,
        );
        continue;
      }
      const name = posix.basename(path);
      const action: RepositoryScript["action"] =
        destinationPart !== undefined
          ? { kind: "copy", destination: destinationPart.endsWith("\\") ? `${destinationPart}${name}` : destinationPart }
          : /\.ps1$/i.test(path)
            ? { kind: "run" }
            : { kind: "copy", destination: `${DEFAULT_COPY_DIRECTORY}${path.split("/").join("\\")}` };
      scripts.push({ path, content, sha256: sha256Hex(content), action });
    }
  }
  return { scripts, problems };
}

/** Problems of scripts that need a storage account when none is given (files to copy, big scripts). */
export function inlineProblems(scripts: readonly RepositoryScript[]): string[] {
  const problems: string[] = [];
  for (const script of scripts) {
    if (script.action.kind === "copy")
      problems.push(
        `'${script.path}' is a file to copy to ${script.action.destination}: the build VM downloads it, so give 'scripts-storage-account' (and 'scripts-container').`,
      );
    else if (script.content.byteLength > INLINE_MAX_BYTES)
      problems.push(
        `'${script.path}' has ${script.content.byteLength} bytes, more than the ${INLINE_MAX_BYTES} inlined into the template: give 'scripts-storage-account' to upload it.`,
      );
  }
  return problems;
}

/** `%`-encodes each segment of a blob name for its URL. */
function blobUrl(storage: ScriptsStorage, blobName: string): string {
  return `${storage.blobEndpoint}${encodeURIComponent(storage.container)}/${blobName.split("/").map(encodeURIComponent).join("/")}`;
}

function stepName(kind: string, path: string): string {
  return `${kind}-${path.replace(/[^A-Za-z0-9._-]/g, "_")}`.slice(0, 120);
}

/** The lines of a script for `inline`: its path and SHA-256 first, then its text (BOM removed, line endings normalised). */
export function inlineLines(script: RepositoryScript): string[] {
  const text = new TextDecoder("utf-8")
    .decode(script.content)
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\n+$/, "");
  return [`# ${script.path} sha256:${script.sha256}`, ...text.split("\n")];
}

/**
 * The customizers of the repository scripts (in order) and the uploads they need.
 * Without `storage`, every script must be a PowerShell script small enough to inline (see {@link inlineProblems}).
 */
export function repositoryScriptCustomizers(
  scripts: readonly RepositoryScript[],
  storage: ScriptsStorage | undefined,
): { customizers: ImageTemplateCustomizerUnion[]; uploads: ScriptUpload[] } {
  const customizers: ImageTemplateCustomizerUnion[] = [];
  const uploads: ScriptUpload[] = [];
  for (const script of scripts) {
    if (!storage) {
      const run: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: stepName("repo-script", script.path),
        inline: inlineLines(script),
        runElevated: true,
        runAsSystem: true,
      };
      customizers.push(run);
      continue;
    }
    const blobName = `${script.sha256}/${script.path}`;
    const url = blobUrl(storage, blobName);
    uploads.push({
      path: script.path,
      url,
      blobEndpoint: storage.blobEndpoint,
      container: storage.container,
      blobName,
      content: script.content,
      sha256: script.sha256,
    });
    if (script.action.kind === "run") {
      const run: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: stepName("repo-script", script.path),
        scriptUri: url,
        sha256Checksum: script.sha256,
        runElevated: true,
        runAsSystem: true,
      };
      customizers.push(run);
    } else {
      const copy: ImageTemplateFileCustomizer = {
        type: "File",
        name: stepName("repo-file", script.path),
        sourceUri: url,
        sha256Checksum: script.sha256,
        destination: script.action.destination,
      };
      customizers.push(copy);
    }
  }
  return { customizers, uploads };
}

/** Blob endpoint suffix of each named cloud (`<account>.blob.<suffix>`). */
const BLOB_SUFFIX: Record<string, string> = {
  AzureCloud: "core.windows.net",
  AzureUSGovernment: "core.usgovcloudapi.net",
  AzureChinaCloud: "core.chinacloudapi.cn",
};

/**
 * Reads `scripts-storage-account` (a storage account name, or its blob endpoint URL for private DNS
 * zones, other clouds and the emulator) and `scripts-container`.
 * @returns the storage, or a problem naming what is wrong (`input` says which of the two inputs).
 */
export function parseScriptsStorage(
  account: string,
  container: string,
  environment: string,
): { storage?: ScriptsStorage; problem?: { input: "scripts-storage-account" | "scripts-container"; message: string } } {
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    return {
      problem: {
        input: "scripts-container",
        message: `'${container}' must be a blob container name: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.`,
      },
    };
  }
  if (/^[a-z0-9]{3,24}$/.test(account)) {
    return { storage: { account, blobEndpoint: `https://${account}.blob.${BLOB_SUFFIX[environment] ?? BLOB_SUFFIX.AzureCloud}/`, container } };
  }
  let url: URL | undefined;
  try {
    url = new URL(account);
  } catch {
    url = undefined;
  }
  if (url && url.protocol === "https:" && !url.search && !url.hash) {
    const endpoint = url.href.endsWith("/") ? url.href : `${url.href}/`;
    const name = url.pathname.split("/").filter(Boolean)[0] ?? url.hostname.split(".")[0]!;
    return { storage: { account: name, blobEndpoint: endpoint, container } };
  }
  return {
    problem: {
      input: "scripts-storage-account",
      message: `'${account}' must be a storage account name (3-24 lower-case letters and digits) or its blob endpoint, an https:// URL such as https://contosoimages.blob.core.windows.net/.`,
    },
  };
}
