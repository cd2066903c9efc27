/**
 * A stand-in for the GitHub runner, for the tests, the demo and the benchmarks.
 *
 * Spawns the bundled action (`node dist/index.js`) exactly as the GitHub runner does: inputs as
 * `INPUT_<NAME>` variables (name upper-cased, hyphens kept), `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and
 * `GITHUB_STATE` files, the OIDC request variables, and the emulator's certificate trusted through NODE_EXTRA_CA_CERTS.
 * The inputs themselves are built by inputs.ts (`emulatorInputs`, `requiredInputs`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Path of the committed bundle. */
export const BUNDLE = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** What a spawned run left behind. */
export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Outputs parsed from the GITHUB_OUTPUT file. */
  outputs: Record<string, string>;
  /** Contents of the GITHUB_STEP_SUMMARY file. */
  summary: string;
  /** State saved for the post step (GITHUB_STATE file); the runner hands it to the post step as STATE_<name>. */
  state: Record<string, string>;
  /** Wall time of the process, in ms. */
  durationMs: number;
  /** The step's RUNNER_TEMP (kept after the run, for files the action left there). */
  runnerTemp: string;
}

/** What `emulatorEnv` needs of an emulator. */
interface EmulatorTrust {
  /** The emulator's CA bundle, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  githubOidcEnv(): Record<string, string>;
}

/** The env a runner step needs to reach an emulator: its certificate trusted, and the OIDC request variables. */
export function emulatorEnv(emu: EmulatorTrust): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: emu.caFile, ...emu.githubOidcEnv() };
}

/** The env of a runner step: `INPUT_*` from `inputs`, GITHUB_* files, plus `env`. */
export function runnerEnv(inputs: Record<string, string>, env: Record<string, string>, dir: string): Record<string, string> {
  const outputFile = join(dir, "github_output");
  const summaryFile = join(dir, "step_summary");
  const stateFile = join(dir, "github_state");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  writeFileSync(stateFile, "");
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    // Node's compile cache, when the test run turned it on (scripts/test-setup.ts): a speed setting, not the CI system's.
    ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
    GITHUB_ACTIONS: "true",
    CI: "true",
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    GITHUB_REPOSITORY: "contoso/avd-images",
    GITHUB_SHA: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "9876543210",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_WORKFLOW: "monthly-avd-image",
  };
  for (const [name, value] of Object.entries(inputs)) base[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  return { ...base, ...env };
}

/** The env a runner gives a post step: `STATE_<name>` for each state the main step saved. */
export function postStepEnv(state: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
}

/** Parses a GITHUB_OUTPUT or GITHUB_STATE file (`name<<delimiter` … `delimiter` blocks, or `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i += 1) value.push(lines[i]!);
      outputs[name!] = value.join("\n");
    } else if (line.includes("=")) {
      outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return outputs;
}

/** Hides what the runner hides from the log: `::add-mask::` and (without debug logging) `::debug::` lines. */
function asRunnerShows(text: string): string {
  return text.replace(/^::(add-mask|debug)::.*\n?/gm, "");
}

/**
 * Runs the bundle with `inputs` and extra `env`; resolves when it exits (killed after `timeoutMs`,
 * default 60 s). `echo` copies the action's output to this process's as it comes.
 */
export async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string>,
  options: { timeoutMs?: number; bundle?: string; echo?: boolean; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), "avd-action-"));
  const fullEnv = runnerEnv(inputs, env, dir);
  const started = Date.now();
  const child = spawn(process.execPath, [options.bundle ?? BUNDLE], { env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (options.echo) process.stdout.write(asRunnerShows(chunk.toString()));
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.echo) process.stderr.write(chunk);
  });
  options.onSpawn?.(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearTimeout(timer);
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(fullEnv.GITHUB_OUTPUT!, "utf8")),
    summary: readFileSync(fullEnv.GITHUB_STEP_SUMMARY!, "utf8"),
    state: parseOutputFile(readFileSync(fullEnv.GITHUB_STATE!, "utf8")),
    durationMs: Date.now() - started,
    runnerTemp: dir,
  };
}
