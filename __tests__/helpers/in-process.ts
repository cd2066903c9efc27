/**
 * Runs the action in this process — `main()` (src/main.ts) with a recording Host — against the HTTPS
 * emulator, with the real Azure SDK clients (the bundle's own `connectServices`) signed in through a GitHub
 * OIDC token exchange at the emulator, and answers with the same {@link ActionRun} a spawned bundle gives.
 *
 * What it saves over `runAction` (harness/github-runner.ts): the process spawn and the bundle's load (about
 * 200 ms of wall time and 300 ms of CPU per run on this machine). What it keeps: every byte the product
 * sends and reads goes over HTTPS to the emulator through the same SDK pipeline (retry options, throttle
 * log, debug policy), and `stdout` is rendered as @actions/core writes it (`::warning::`, `::group::`,
 * `::add-mask::`, data escaped with %0A…), unmasked like a spawned step's raw output, so a test's
 * assertions on the log read the same either way. The bundle's main paths stay covered by spawned runs
 * (`Scenario.spawn`).
 *
 * The runner's environment variables a test may pass map onto `main()`'s options (`MainOptions`) and the
 * host: `STATE_*` (the post step's state), `AVD_IMAGE_ACTION_CLOCK`, `AVD_IMAGE_ACTION_MINUTE_MS`,
 * `AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS`, `GITHUB_EVENT_NAME`, `GITHUB_WORKSPACE` (the checkout the
 * repository files are read from); the emulator's own (trust and the OIDC
 * request variables) are used as the runner's would be. Any other variable throws: that test needs `spawn`.
 */
import { mkdtempSync } from "node:fs";
import { get } from "node:https";
import { EOL, tmpdir } from "node:os";
import { join } from "node:path";
import type { ActionRun } from "../../harness/github-runner.ts";
import { createFederatedCredential } from "../../src/azure/credential.ts";
import { AZURE_OIDC_AUDIENCE } from "../../src/hosts/github.ts";
import type { Host } from "../../src/hosts/host.ts";
import { type MainOptions, main } from "../../src/main.ts";
import { clockOf } from "../../src/steps/schedule-gate.ts";
import { cleanupTimeoutMs } from "../../src/steps/templates.ts";
import { repositoryOnDisk } from "../../src/template/scripts.ts";
import { createRecordingHost } from "../fakes/recording-host.ts";

/** What an in-process run may be given besides inputs and env. */
export interface InProcessOptions {
  /** Aborts the run as the runner's cancel does (SIGINT in a spawned step). */
  signal?: AbortSignal;
  /** Milliseconds between two build status reads (default: the `poll-interval-seconds` input). */
  pollIntervalMs?: number;
  /** Called with the host before `main()` starts (e.g. to watch its log). */
  onStart?: (host: Host) => void;
}

/** Variables a spawned step would get from the harness, which an in-process run takes from elsewhere. */
const RUNNER_VARIABLES = new Set(["NODE_EXTRA_CA_CERTS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);
const KNOB_VARIABLES = new Set([
  "AVD_IMAGE_ACTION_CLOCK",
  "AVD_IMAGE_ACTION_MINUTE_MS",
  "AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS",
  "GITHUB_EVENT_NAME",
  "GITHUB_WORKSPACE",
]);

/** The runner's provenance (harness/github-runner.ts `runnerEnv`), as @actions/github reads it there. */
const RUNNER_PROVENANCE = {
  repository: "contoso/avd-images",
  commit: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
  runUrl: "https://github.com/contoso/avd-images/actions/runs/9876543210/attempts/1",
};

/** @actions/core's `escapeData`: how a workflow command's message is written. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/**
 * Runs `main()` once with `inputs` (kebab-case names) and the runner `env` a spawned step would get.
 * @throws Error naming a variable an in-process run cannot honour (run that test with `spawn`).
 */
export async function runInProcess(inputs: Record<string, string>, env: Record<string, string>, options: InProcessOptions = {}): Promise<ActionRun> {
  const state: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith("STATE_")) state[name.slice("STATE_".length)] = value;
    else if (!RUNNER_VARIABLES.has(name) && !KNOB_VARIABLES.has(name))
      throw new Error(`runInProcess: environment variable ${name} needs a spawned run (Scenario.spawn)`);
  }
  const runnerTemp = mkdtempSync(join(tmpdir(), "avd-action-"));
  const started = Date.now();
  let stdout = "";
  const write = (line: string) => {
    stdout += line + EOL;
  };
  const command = (name: string) => (message: string) => write(`::${name}::${escapeData(message)}`);
  let summary = "";
  const saved: Record<string, string> = {};
  const recording = createRecordingHost({
    kind: "github",
    inputs,
    state,
    manualTrigger: env.GITHUB_EVENT_NAME === "workflow_dispatch",
    provenance: env.GITHUB_EVENT_NAME ? { ...RUNNER_PROVENANCE, event: env.GITHUB_EVENT_NAME } : RUNNER_PROVENANCE,
    tempDirectory: runnerTemp,
    createCredential: (settings) => {
      if (settings.auth.kind !== "oidc") throw new Error("runInProcess signs in with GitHub OIDC only: run this test with Scenario.spawn");
      const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
      const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      if (!url || !token) throw new Error("runInProcess: no ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN in env (the scenario's env() gives them)");
      const audience = settings.auth.audience || AZURE_OIDC_AUDIENCE;
      // What @actions/core's getIDToken does: GET the request URL with the audience, bearer the request token.
      // A new connection per request (agent: false), as @actions/http-client makes by default: fetch's pooled
      // keep-alive socket could be one the emulator's server is just closing ("fetch failed" under load).
      const mint = async () => {
        const { status, text } = await getOnce(`${url}&audience=${encodeURIComponent(audience)}`, { authorization: `Bearer ${token}` });
        if (status !== 200) throw new Error(`Failed to get ID Token. Error Code : ${status}`);
        const body = JSON.parse(text) as { value?: string };
        if (!body.value) throw new Error("Response json body do not have ID Token field");
        return body.value;
      };
      return createFederatedCredential(settings.auth.tenantId, settings.auth.clientId, mint, settings.cloud);
    },
  });
  // As @actions/core writes each call to the step's stdout (raw: the runner masks, the process does not).
  const host: Host = {
    ...recording,
    debug: (message) => (command("debug")(message), recording.debug(message)),
    info: (message) => (write(message), recording.info(message)),
    warning: (message) => (command("warning")(message), recording.warning(message)),
    notice: (message) => (command("notice")(message), recording.notice(message)),
    error: (message) => (command("error")(message), recording.error(message)),
    async group(title, fn) {
      write(`::group::${escapeData(title)}`);
      try {
        return await recording.group(title, fn);
      } finally {
        write("::endgroup::");
      }
    },
    setSecret: (value) => (write(`::add-mask::${escapeData(value)}`), recording.setSecret(value)),
    async writeSummary(markdown) {
      summary += markdown + EOL; // core.summary.addRaw(markdown, true)
      await recording.writeSummary(markdown);
    },
    saveState(name, value) {
      saved[name] = value;
      recording.saveState(name, value);
    },
    setFailed(message) {
      command("error")(message);
      recording.setFailed(message);
    },
  };
  options.onStart?.(host);
  // Read at the first call, inside main()'s error handling, as the bundle reads AVD_IMAGE_ACTION_CLOCK.
  let clock: (() => Date) | undefined;
  const mainOptions: MainOptions = {
    now: () => (clock ??= clockOf(env))(),
    repository: repositoryOnDisk(env.GITHUB_WORKSPACE || process.cwd()),
    cleanupTimeoutMs: cleanupTimeoutMs(env),
    pollIntervalMs: options.pollIntervalMs,
    ...(env.AVD_IMAGE_ACTION_MINUTE_MS ? { minuteMs: Number(env.AVD_IMAGE_ACTION_MINUTE_MS) } : {}),
  };
  const exitCode = await main(host, options.signal ?? new AbortController().signal, mainOptions);
  return { exitCode, stdout, stderr: "", outputs: { ...recording.outputs }, summary, state: saved, durationMs: Date.now() - started, runnerTemp };
}

/** GETs `url` on a connection of its own; resolves with the status and the body as text. */
function getOnce(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      response.on("error", reject);
    }).on("error", reject);
  });
}
