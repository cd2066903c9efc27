/**
 * Benchmark: prune 1,000 image versions with 1 s of emulated delete latency, through the action's own
 * prune step (gateway, bounded concurrency, each deletion's LRO followed), and report the wall time
 * beside the serial estimate. Target: at most 60 s. Prints numbers; `npm run bench:prune`.
 */
import { createAzureGateway } from "../src/azure/gateway.ts";
import { createAzureLookups } from "../src/azure/lookups.ts";
import type { Host } from "../src/hosts/host.ts";
import { PRUNE_CONCURRENCY, pruneVersions } from "../src/steps/prune.ts";
import { startInProcess } from "./in-process.ts";

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1000);
const DELETE_LATENCY_MS = 1000;

const { emu, avd, settings, credential } = await startInProcess({ versionDeleteMs: DELETE_LATENCY_MS, lroRetryAfterSeconds: 1 }, { "keep-versions": "1" });
try {
  for (let i = 0; i <= VERSIONS; i += 1) {
    emu.seedImageVersion({
      resourceGroup: avd.resourceGroup,
      gallery: avd.gallery,
      image: avd.imageDefinition,
      version: `1.${Math.floor(i / 100)}.${i % 100}`,
      tags: { "avd-image-action.managed": "true" },
    });
  }
  const quiet = () => undefined;
  const host = { info: quiet, warning: quiet, error: console.error, provenance: () => ({}) } as unknown as Host;
  const ctx = {
    host,
    settings,
    azure: createAzureGateway(credential, settings.subscriptionId, settings.cloud),
    lookups: createAzureLookups(credential, settings.cloud),
    signal: new AbortController().signal,
    cancelRequested: new Set<string>(),
  };
  const newest = `1.${Math.floor(VERSIONS / 100)}.${VERSIONS % 100}`;
  const started = performance.now();
  const result = await pruneVersions(ctx as Parameters<typeof pruneVersions>[0], newest);
  const wall = (performance.now() - started) / 1000;
  const deletes = emu.requests.filter((r) => r.method === "DELETE").length;
  const polls = emu.requests.filter((r) => r.method === "GET" && /operations/i.test(r.path)).length;
  console.log(
    `prune: ${result.prunedVersions.length} of ${VERSIONS + 1} versions deleted (${result.pruneFailures.length} failed) in ${wall.toFixed(1)} s ` +
      `with ${PRUNE_CONCURRENCY} in flight; serial estimate ${((result.prunedVersions.length * DELETE_LATENCY_MS) / 1000).toFixed(0)} s at ${DELETE_LATENCY_MS} ms each ` +
      `(target ≤ 60 s); ${deletes} DELETE requests, ${polls} LRO polls`,
  );
} finally {
  await emu.close();
}
