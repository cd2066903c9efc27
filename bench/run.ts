/**
 * Benchmarks of the bundled action, printed as numbers (no pass/fail):
 * - bundle size in bytes: the entry file, and the chunks beside it (dist/chunks/: shared code and what
 *   is imported on first use only);
 * - cold start: spawn of `node dist/index.js` to its first request and to its first ARM request
 *   (median of repeated dry runs), beside a bare `node -e 0`;
 * - the action's own wall time beyond the emulated build, for one full run.
 *
 * Run with `npm run bench`. `BENCH_RUNS` sets the repetitions (default 9).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { BUNDLE, emulatorEnv, runAction } from "../harness/github-runner.ts";
import { emulatorInputs } from "../harness/inputs.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function inputs(emu: Emulator, avd: ReturnType<Emulator["seedAvdDefaults"]>, extra: Record<string, string> = {}): Record<string, string> {
  return emulatorInputs(emu, avd, { "inline-script": "Write-Host bench", "poll-interval-seconds": "1", ...extra });
}

const emu = await startEmulator({ lroRetryAfterSeconds: 1 });
try {
  const avd = emu.seedAvdDefaults();
  const env = emulatorEnv(emu);

  const chunksDir = join(dirname(BUNDLE), "chunks");
  const chunks = readdirSync(chunksDir).filter((name) => name.endsWith(".js"));
  const chunkBytes = chunks.reduce((sum, name) => sum + statSync(join(chunksDir, name)).size, 0);
  console.log(
    `bundle: entry ${statSync(BUNDLE).size} bytes (${BUNDLE}); ${chunks.length} chunks, ${chunkBytes} bytes, shared by the entry or imported on first use (${chunksDir})`,
  );

  const bare: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    bare.push(performance.now() - started);
  }

  const firstRequest: number[] = [];
  const firstArm: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    emu.resetLog();
    const started = Date.now();
    const run = await runAction(inputs(emu, avd, { "dry-run": "true" }), env);
    if (run.exitCode !== 0) throw new Error(`dry run failed: ${run.stdout}`);
    const times = emu.requests.map((r) => ({ t: Date.parse(r.time) - started, arm: r.path.toLowerCase().startsWith("/subscriptions/") }));
    firstRequest.push(times[0]!.t);
    firstArm.push(times.find((x) => x.arm)!.t);
  }
  console.log(
    `cold start, median of ${RUNS}: bare 'node -e 0' ${median(bare).toFixed(0)} ms; bundle to first request ${median(firstRequest)} ms; to first ARM request ${median(firstArm)} ms (after the OIDC token and Entra exchange)`,
  );

  emu.setOptions({ phaseDurationsMs: { Queued: 1000, Building: 2000, Customizing: 4000, Optimizing: 1000, Validating: 1000, Distributing: 2000 } });
  emu.resetLog();
  const full = await runAction(inputs(emu, avd), env, { timeoutMs: 120_000 });
  if (full.exitCode !== 0) throw new Error(`full run failed: ${full.stdout}`);
  const version = emu
    .listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition)
    .find((v) => v.name === full.outputs["image-version"])!;
  const build = Date.parse(version.tags["avd-image-action.build-end"]!) - Date.parse(version.tags["avd-image-action.build-start"]!);
  const writes = emu.writeRequests().length;
  console.log(
    `full run: ${full.durationMs} ms wall, emulated build ${build} ms, the action's own time ${full.durationMs - build} ms ` +
      `(process start, auth, planning, template create LRO, status polls every 1 s, tagging LRO, prune); ${emu.requests.length} requests, ${writes} writes`,
  );
} finally {
  await emu.close();
}
