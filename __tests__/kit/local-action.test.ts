/**
 * GitHub's own local runner, @github/local-action, runs src/main.ts against the emulator: it replaces
 * @actions/core with its stubs (so the outputs table below is filled only when the stubs applied to our
 * code), reads the inputs from a .env, and calls run().
 * - `npm run local-action`: the committed .env.example, its own emulator; a first build publishes 1.0.0.
 * - The two-terminal loop: `npm run emulator -- --avd --write-env F` prints the names it seeded and writes
 *   a ready .env; `npm run local-action -- F` runs against that emulator.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { parse } from "yaml";
import { startEmulator } from "../../emulator/index.ts";
import { ENV_EXAMPLE_CA_FILE, ENV_EXAMPLE_PORT, localActionEnv } from "../../harness/local-action-env.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** Runs an npm script of this project; resolves with its output and exit code. */
async function npmRun(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
  const child = spawn("npm", ["run", "--silent", ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

/** The rows of local-action's "Action Outputs" table: what its @actions/core stub recorded. */
function reportedOutputs(out: string): Record<string, string> {
  const at = out.indexOf("Action Outputs");
  assert.ok(at >= 0, `local-action printed no "Action Outputs":\n${out.slice(-3000)}`);
  const rows: Record<string, string> = {};
  for (const m of out.slice(at).matchAll(/^│\s*\d+\s*│\s*'([\w-]+)'\s*│\s*'([^']*)'\s*│$/gm)) rows[m[1]!] = m[2]!;
  return rows;
}

function assertPublished(out: string, version: string): void {
  const outputs = reportedOutputs(out);
  assert.equal(outputs["image-version"], version, out.slice(-3000));
  assert.equal(outputs["run-state"], "Succeeded");
  assert.equal(outputs.skipped, "false");
  assert.equal(outputs["pruned-versions"], "[]");
  assert.match(outputs["image-version-id"]!, new RegExp(`/galleries/galAvd/images/win11-avd-m365/versions/${version.replace(/\./g, "\\.")}$`, "i"));
  assert.doesNotMatch(out, /No outputs were set!/);
}

describe("@github/local-action runs src/main.ts against the emulator", { concurrency: true, timeout: 240_000 }, () => {
  it(".env.example is the .env `npm run emulator -- --avd --port 8443` writes, and names only inputs of action.yml", async () => {
    const emu = await startEmulator();
    const avd = emu.seedAvdDefaults();
    await emu.close();
    const d = emu.defaults;
    const expected = localActionEnv({
      url: `https://127.0.0.1:${ENV_EXAMPLE_PORT}`,
      caFile: ENV_EXAMPLE_CA_FILE,
      tenantId: d.tenantId,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      subscriptionId: d.subscriptionId,
      identityId: avd.identityId,
    });
    assert.equal(read(".env.example"), expected);
    const inputs = Object.keys((parse(read("action.yml")) as { inputs: Record<string, unknown> }).inputs);
    const named = Object.keys(parseEnv(read(".env.example")))
      .filter((k) => k.startsWith("INPUT_"))
      .map((k) => k.slice(6).toLowerCase());
    assert.ok(named.length >= 10);
    for (const name of named) assert.ok(inputs.includes(name), `.env.example sets INPUT_${name.toUpperCase()}, not an input of action.yml`);
    assert.match(read(".gitignore"), /^\.env$/m, "a developer's own .env is never committed");
  });

  it("npm run local-action publishes 1.0.0 from .env.example, and local-action reports the outputs", async () => {
    const { code, out } = await npmRun(["local-action"]);
    assert.equal(code, 0, out.slice(-3000));
    assertPublished(out, "1.0.0");
    assert.equal(reportedOutputs(out)["template-reused"], "false");
    assert.match(out, /Running Action/);
  });

  it("the two-terminal loop: npm run emulator -- --avd prints what it seeded and a .env; npm run local-action -- <that file> builds against it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "local-action-loop-"));
    const envFile = join(dir, ".env");
    let emulator: ChildProcess | undefined;
    try {
      emulator = spawn(process.execPath, [join(ROOT, "emulator/cli.ts"), "--avd", "--write-env", envFile], { stdio: ["ignore", "pipe", "inherit"] });
      const lines = createInterface({ input: emulator.stdout! });
      const printed: string[] = [];
      for await (const line of lines) {
        printed.push(line);
        if (line.startsWith("INPUT_POLL-INTERVAL-SECONDS=")) break;
      }
      const info = JSON.parse(printed[0]!) as { url: string; caFile: string; avd: Record<string, string> };
      const text = printed.join("\n");
      for (const [label, value] of [
        ["resource group", "rg-avd-images"],
        ["gallery", "galAvd"],
        ["image definition", "win11-avd-m365"],
        ["identity ID", info.avd.identityId!],
      ] as const) {
        assert.match(text, new RegExp(`^ {2}${label} +${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`, "m"), `prints the ${label}`);
      }
      assert.equal(info.avd.resourceGroup, "rg-avd-images");
      const env = parseEnv(readFileSync(envFile, "utf8"));
      assert.equal(env.NODE_EXTRA_CA_CERTS, info.caFile);
      assert.equal(env["INPUT_ARM-ENDPOINT"], info.url);
      assert.ok(text.includes(readFileSync(envFile, "utf8").trim()), "the .env it printed is the file it wrote");

      const { code, out } = await npmRun(["local-action", "--", envFile]);
      assert.equal(code, 0, out.slice(-3000));
      assertPublished(out, "1.0.0");
    } finally {
      emulator?.kill("SIGTERM");
      if (emulator && emulator.exitCode === null) await once(emulator, "exit");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
