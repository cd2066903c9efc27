/**
 * The standalone emulator (emulator/cli.ts): prints one JSON line, serves HTTPS trusted through its
 * caFile (NODE_EXTRA_CA_CERTS in a child process), applies a seed file, and exits 0 on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const NODE = process.execPath;
const CLI = new URL('../../emulator/cli.ts', import.meta.url).pathname;

test('cli: JSON line, caFile trusted by a child process, seed file applied, clean exit on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-cli-test-'));
  const seedPath = join(dir, 'seed.json');
  writeFileSync(seedPath, JSON.stringify({ avdDefaults: true, resourceGroups: [{ name: 'rg-extra', location: 'northeurope' }], options: { pageSize: 7 } }));
  const child = spawn(NODE, [CLI, seedPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, 'line')) as [string];
    const info = JSON.parse(line);
    assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    for (const k of ['caFile', 'tenantId', 'clientId', 'clientSecret', 'subscriptionId']) assert.ok(info[k], k);
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
    const { stdout } = await run(NODE, ['--input-type=module', '-e', script, info.url], { env: { ...process.env, NODE_EXTRA_CA_CERTS: info.caFile } });
    assert.deepEqual(JSON.parse(stdout), { s1: 200, location: 'northeurope', s2: 200, gallery: 'galAvd' });
    // Without the CA bundle the same child fails TLS.
    await assert.rejects(run(NODE, ['--input-type=module', '-e', script, info.url], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } }));

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
