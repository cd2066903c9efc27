/**
 * `npm run local-action [-- ENV_FILE]`: runs `src/main.ts` (not the bundle) with GitHub's
 * @github/local-action, which replaces `@actions/core` with its stubs, reads the inputs from a `.env`
 * file, and prints the outputs the action set.
 *
 * - Without ENV_FILE: starts the ARM emulator (seeded as `npm run emulator -- --avd` seeds it, with
 *   Azurite holding the build log), takes the committed `.env.example`, points its URL and
 *   NODE_EXTRA_CA_CERTS at this emulator (in `.tmp/local-action/.env`), runs local-action, and stops
 *   the emulator. A first build: it publishes 1.0.0.
 * - With ENV_FILE: runs against the emulator that file names, left running by
 *   `npm run emulator -- --avd --write-env .env` in another terminal; each run builds the next version.
 *
 * Node reads NODE_EXTRA_CA_CERTS only at start, and local-action loads the `.env` after start: this
 * script passes the file's NODE_EXTRA_CA_CERTS to local-action's process. The job summary goes to
 * `.tmp/local-action/summary.md`. Exits with local-action's exit code (1 when the action failed).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { startAzurite } from "../emulator/azurite.ts";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { ENV_EXAMPLE_CA_FILE, ENV_EXAMPLE_PORT } from "../harness/local-action-env.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = join(ROOT, ".tmp", "local-action");
const LOCAL_ACTION = join(ROOT, "node_modules", "@github", "local-action", "bin", "local-action.js");

/** `.env.example` pointed at a running emulator: its URL and CA bundle in place of the example's. */
export function envForEmulator(example: string, emu: Pick<Emulator, "url" | "caFile">): string {
  const exampleUrl = `https://127.0.0.1:${ENV_EXAMPLE_PORT}`;
  if (!example.includes(exampleUrl) || !example.includes(`NODE_EXTRA_CA_CERTS=${ENV_EXAMPLE_CA_FILE}`)) {
    throw new Error(`.env.example no longer names ${exampleUrl} and the NODE_EXTRA_CA_CERTS placeholder: regenerate it (see harness/local-action-env.ts).`);
  }
  return example.replaceAll(exampleUrl, emu.url).replace(`NODE_EXTRA_CA_CERTS=${ENV_EXAMPLE_CA_FILE}`, `NODE_EXTRA_CA_CERTS=${emu.caFile}`);
}

/** Runs local-action on src/main.ts with `envFile`; resolves to its exit code. */
function runLocalAction(envFile: string): Promise<number> {
  const vars = parseEnv(readFileSync(envFile, "utf8"));
  mkdirSync(OUT, { recursive: true });
  const summary = join(OUT, "summary.md");
  writeFileSync(summary, "");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // local-action runs `npm exec tsx`: find this project's tsx and Node 24 first.
    PATH: [join(ROOT, "node_modules", ".bin"), dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
    GITHUB_STEP_SUMMARY: summary,
  };
  if (vars.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = vars.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [LOCAL_ACTION, ROOT, "src/main.ts", envFile], { cwd: ROOT, env, stdio: "inherit" });
  return new Promise((done) => child.on("close", (code) => done(code ?? 1)));
}

async function main(): Promise<number> {
  const [given] = process.argv.slice(2);
  if (given) return runLocalAction(resolve(given));
  const azurite = await startAzurite();
  const emu = await startEmulator({
    azurite,
    phaseDurationsMs: { Queued: 200, Building: 300, Customizing: 800, Optimizing: 200, Validating: 200, Distributing: 500 },
  });
  try {
    emu.seedAvdDefaults();
    mkdirSync(OUT, { recursive: true });
    const envFile = join(OUT, ".env");
    writeFileSync(envFile, envForEmulator(readFileSync(join(ROOT, ".env.example"), "utf8"), emu));
    console.log(`ARM emulator at ${emu.url} (seeded like npm run emulator -- --avd); .env.example → ${envFile}`);
    const code = await runLocalAction(envFile);
    console.log(`Job summary: ${join(OUT, "summary.md")}`);
    return code;
  } finally {
    await emu.close();
    await azurite.stop();
  }
}

if (import.meta.main) process.exitCode = await main();
