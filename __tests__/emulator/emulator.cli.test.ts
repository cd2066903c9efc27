/**
 * The standalone emulator (emulator/cli.ts): prints one JSON line, serves HTTPS trusted through its
 * caFile (NODE_EXTRA_CA_CERTS in a child process), applies a seed file, and exits 0 on SIGTERM. Its
 * command line (node:util parseArgs, strict) refuses an unknown option, a bad port, a second seed file.
 */

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { promisify } from "node:util";

const NODE = process.execPath;
const CLI = new URL("../../emulator/cli.ts", import.meta.url).pathname;

test("cli: JSON line, caFile trusted by a child process, seed file applied, clean exit on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "emu-cli-test-"));
  const seedPath = join(dir, "seed.json");
  writeFileSync(seedPath, JSON.stringify({ avdDefaults: true, resourceGroups: [{ name: "rg-extra", location: "northeurope" }], options: { pageSize: 7 } }));
  const child = spawn(NODE, [CLI, seedPath], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, "line")) as [string];
    const info = JSON.parse(line);
    assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    for (const k of ["caFile", "tenantId", "clientId", "clientSecret", "subscriptionId"]) assert.ok(info[k], k);
    assert.equal(info.githubOidc.ACTIONS_ID_TOKEN_REQUEST_TOKEN.length > 0, true);

    // A child process trusts the emulator only through NODE_EXTRA_CA_CERTS=caFile.
    const script = `
      const base = process.argv[1];
      const tok = await (await fetch(base + '/${info.tenantId}/oauth2/v2.0/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: '${info.clientId}', client_secret: '${info.clientSecret}', scope: 'https://management.azure.com/.default' }) })).json();
      const get = (p) => fetch(base + p, { headers: { authorization: 'Bearer ' + tok.access_token } }).then(async (r) => [r.status, await r.json()]);
      const [s1, rg] = await get('/subscriptions/${info.subscriptionId}/resourceGroups/rg-extra?api-version=2025-04-01');
      const [s2, gal] = await get('/subscriptions/${info.subscriptionId}/resourceGroups/rg-avd-images/providers/Microsoft.Compute/galleries/galAvd?api-version=2025-12-03');
      console.log(JSON.stringify({ s1, location: rg.location, s2, gallery: gal.name }));`;
    const run = promisify(execFile);
    const { stdout } = await run(NODE, ["--input-type=module", "-e", script, info.url], { env: { ...process.env, NODE_EXTRA_CA_CERTS: info.caFile } });
    assert.deepEqual(JSON.parse(stdout), { s1: 200, location: "northeurope", s2: 200, gallery: "galAvd" });
    // Without the CA bundle the same child fails TLS.
    await assert.rejects(run(NODE, ["--input-type=module", "-e", script, info.url], { env: { ...process.env, NODE_EXTRA_CA_CERTS: "" } }));

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the CLI with `args` and no seed; resolves with its exit code and output (it exits by itself on a bad command line). */
async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(NODE, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test("cli: --help prints the usage and exits 0; a bad command line exits 1 naming the argument, before any emulator starts", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--port=eighty"], /invalid --port eighty: a whole number from 0 to 65535/],
    [["--write-env", "x.env"], /--write-env needs a path, and --avd/],
    [["a.json", "b.json"], /one seed file at most, got a\.json, b\.json/],
  ];
  const [help, ...bad] = await Promise.all([runCli(["-h"]), ...cases.map(([args]) => runCli(args))]);
  assert.equal(help!.code, 0);
  assert.equal(help!.stdout, "usage: node emulator/cli.ts [seed.json] [--port N] [--avd] [--write-env PATH]\n");
  for (const [i, [args, message]] of cases.entries()) {
    const r = bad[i]!;
    const what = args.join(" ");
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^ARM emulator failed to start: Error: /, what);
    assert.match(r.stderr, message, what);
    assert.equal(r.stdout, "", `${what} started an emulator`);
  }
});
