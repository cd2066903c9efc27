/**
 * A recording `Host` (src/hosts/host.ts) for in-process runs of the action: inputs come from a map keyed by
 * canonical (action.yml, kebab-case) name, and everything the run tells its CI system is kept for the test
 * to read — outputs, every log line with its level and the groups open around it, masked secrets, the job
 * summary, the state kept for the post step, attached files and the failure message.
 *
 * Log lines are recorded with every secret registered so far replaced by `***`, as both CI systems mask them.
 * `createCredential` is injectable: a run against in-memory fakes needs none (the default throws if asked,
 * so a test that should not sign in proves it), a run against the HTTPS emulator passes
 * {@link emulatorCredential} or any `TokenCredential`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential } from "@azure/identity";
import type { Host, Provenance } from "../../src/hosts/host.ts";
import { camelCase } from "../../src/settings/contract.ts";
import type { InputName } from "../../src/settings/inputs.ts";
import type { Settings } from "../../src/settings/types.ts";

/** One line the run logged. `groups` are the titles of the log groups open around it, outermost first. */
export interface LogLine {
  level: "debug" | "info" | "warning" | "notice" | "error";
  message: string;
  groups: string[];
}

/** How a recording host is made; every field optional. */
export interface RecordingHostOptions {
  /** `github` (default: inputs labelled kebab-case) or `azure-pipelines` (camelCase labels). */
  kind?: Host["kind"];
  /** Inputs by canonical name; a missing one reads as ''. */
  inputs?: Record<string, string>;
  /** True for a run a person started (workflow_dispatch / manual queue). Default false. */
  manualTrigger?: boolean;
  /** What `provenance()` resolves to. Default: a repository, commit and run URL. */
  provenance?: Provenance;
  /** The credential for validated settings. Default: throws (a run on in-memory fakes never signs in). */
  createCredential?: (settings: Settings) => TokenCredential;
  /** State kept by an earlier (main) step, for a post step. */
  state?: Record<string, string>;
  /** Directory `tempDirectory()` answers. Default: a fresh directory under the OS temp directory, made on first use. */
  tempDirectory?: string;
}

/** The recording host: a `Host`, plus what the run did to it. */
export interface RecordingHost extends Host {
  readonly inputs: Record<string, string>;
  readonly outputs: Record<string, string>;
  readonly lines: LogLine[];
  /** Every group title opened, in order. */
  readonly groups: string[];
  readonly secrets: string[];
  /** The job summary's Markdown, every `writeSummary` appended. */
  summary: string;
  readonly state: Record<string, string>;
  readonly attached: string[];
  /** Progress reports, in order. */
  readonly progress: { percent: number; description: string }[];
  /** The message of `setFailed`, if the run failed. */
  failed?: string;
  /** The messages logged at `level` (all levels when omitted). */
  messages(level?: LogLine["level"]): string[];
  /** The whole log as one text: `level: message` lines. */
  logText(): string;
}

/** Default provenance of a recording host. */
export const TEST_PROVENANCE: Provenance = {
  repository: "contoso/avd-images",
  commit: "0123456789abcdef0123456789abcdef01234567",
  runUrl: "https://github.com/contoso/avd-images/actions/runs/42",
  actor: "octocat",
  event: "workflow_dispatch",
};

/** Makes a recording host. */
export function createRecordingHost(options: RecordingHostOptions = {}): RecordingHost {
  const kind = options.kind ?? "github";
  const open: string[] = [];
  let temp = options.tempDirectory;
  const mask = (message: string) => host.secrets.reduce((text, secret) => (secret ? text.split(secret).join("***") : text), message);
  const log = (level: LogLine["level"]) => (message: string) => {
    host.lines.push({ level, message: mask(message), groups: [...open] });
  };
  const host: RecordingHost = {
    kind,
    inputs: { ...(options.inputs ?? {}) },
    outputs: {},
    lines: [],
    groups: [],
    secrets: [],
    summary: "",
    state: { ...(options.state ?? {}) },
    attached: [],
    progress: [],
    manualTrigger: options.manualTrigger ?? false,
    getInput: (name: InputName) => host.inputs[name] ?? "",
    inputLabel: (name: InputName) => (kind === "github" ? name : camelCase(name)),
    setOutput(name, value) {
      host.outputs[name] = value;
    },
    debug: log("debug"),
    info: log("info"),
    warning: log("warning"),
    notice: log("notice"),
    error: log("error"),
    async group(title, fn) {
      host.groups.push(title);
      open.push(title);
      try {
        return await fn();
      } finally {
        open.pop();
      }
    },
    setSecret(value) {
      if (value) host.secrets.push(value);
    },
    async writeSummary(markdown) {
      host.summary += mask(markdown);
    },
    setProgress(percent, description) {
      host.progress.push({ percent, description });
    },
    provenance: async () => options.provenance ?? TEST_PROVENANCE,
    createCredential(settings) {
      if (!options.createCredential) throw new Error("This recording host has no credential: pass createCredential (the run was not meant to sign in).");
      return options.createCredential(settings);
    },
    saveState(name, value) {
      host.state[name] = value;
    },
    getState: (name) => host.state[name] ?? "",
    tempDirectory: () => (temp ??= mkdtempSync(join(tmpdir(), "avd-host-"))),
    attachFile(path) {
      host.attached.push(path);
    },
    setFailed(message) {
      host.failed = mask(message);
      log("error")(message);
    },
    messages: (level) => host.lines.filter((l) => !level || l.level === level).map((l) => l.message),
    logText: () => host.lines.map((l) => `${l.level}: ${l.message}`).join("\n"),
  };
  return host;
}

/**
 * A real @azure/identity credential for runs against the HTTPS emulator: a client secret exchanged at the
 * emulator's Entra ID (the settings' `cloud.authorityHost`, no instance discovery off Entra's hosts, as
 * src/azure/credential.ts signs in). The emulator's TLS must be trusted by the process (NODE_EXTRA_CA_CERTS
 * or __tests__/helpers/emulator-trust.ts).
 */
export function emulatorCredential(tenantId: string, clientId: string, clientSecret: string): (settings: Settings) => TokenCredential {
  return (settings) =>
    new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost: settings.cloud.authorityHost,
      disableInstanceDiscovery: settings.cloud.customAuthority,
    });
}
