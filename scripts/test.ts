/**
 * `npm test`'s test run: Node's own runner (`node --test`) in 8 worker processes at once, each running its
 * share of the test files one after another in that one process (`--test-isolation=none`).
 *
 * Why: most e2e files wait (the emulator's scaled build minutes, Retry-After), so several run at once on 2
 * cores; and a process per file cost more CPU than many files' tests (starting Node, loading the emulator
 * and the SDKs, TLS keys): 107 files in their own processes took 80 s and 136 s of CPU here, in 8 workers
 * 62 s and about 85 s. Files are dealt longest first to the least loaded worker, by the seconds measured
 * below (two files at a time on this 2-core machine, 2026-12-01; any other file counts 2 s). Each worker's
 * report is printed as one block when it ends, then the totals; a worker without the runner's summary (a
 * file exited the process early) fails the run. `--test-force-exit` ends a worker whose
 * last file left a handle open. Extra arguments go to every worker, e.g.
 * `npm test -- --test-name-pattern=retention`. Exits non-zero when any worker fails.
 */
import { spawn } from "node:child_process";
import { globSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const WORKERS = 8;
/** Seconds of the longer files, measured; the rest count {@link DEFAULT_SECONDS}. */
const SECONDS: Record<string, number> = {
  "__tests__/e2e/github-action.test.ts": 33,
  "__tests__/build-log/stuck-builds.test.ts": 23,
  "__tests__/e2e/adopt.test.ts": 23,
  "__tests__/e2e/throttling.test.ts": 23,
  "__tests__/e2e/build-control.test.ts": 22,
  "__tests__/build-log/live-log.test.ts": 20,
  "__tests__/kit/local-action.test.ts": 20,
  "__tests__/e2e/cleanup.test.ts": 14,
  "__tests__/kit/demo-log.test.ts": 14,
  "__tests__/e2e/sign-in-errors.test.ts": 13,
  "__tests__/kit/release.test.ts": 13,
  "__tests__/e2e/matrix.test.ts": 11,
  "__tests__/e2e/skip.test.ts": 11,
  "__tests__/changelog/changelog.e2e.test.ts": 8,
  "__tests__/changelog/github-release.e2e.test.ts": 8,
  "__tests__/ado/e2e.test.ts": 8,
  "__tests__/e2e/race.test.ts": 8,
  "__tests__/image-content/scripts.e2e.test.ts": 7,
  "__tests__/build-log/unreadable-log.test.ts": 7,
  "__tests__/ado/L0.test.ts": 6,
  "__tests__/emulator/emulator.behaviour.test.ts": 6,
  "__tests__/e2e/stuck-canceling.test.ts": 6,
};
const DEFAULT_SECONDS = 2;

/** The files dealt to `workers` workers, longest first, each to the least loaded one. */
function deal(files: string[], workers: number): string[][] {
  const shares = Array.from({ length: workers }, () => ({ files: [] as string[], seconds: 0 }));
  const seconds = (f: string) => SECONDS[f] ?? DEFAULT_SECONDS;
  for (const file of [...files].sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b))) {
    const least = shares.reduce((min, s) => (s.seconds < min.seconds ? s : min));
    least.files.push(file);
    least.seconds += seconds(file);
  }
  return shares.filter((s) => s.files.length).map((s) => s.files);
}

/** Runs one worker; resolves with its exit code and its whole report. */
function runWorker(files: string[], extra: string[]): Promise<{ code: number; out: string }> {
  const args = ["--import", "./scripts/test-setup.ts", "--test", "--test-isolation=none", "--test-force-exit", "--test-reporter=spec", ...extra, ...files];
  // No colour, so the summary lines (`ℹ tests 12`) read the same whatever the terminal or CI forces.
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr.on("data", (chunk) => {
    out += chunk;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? 1, out })));
}

const files = globSync("__tests__/**/*.test.ts", { cwd: ROOT }).sort();
if (!files.length) throw new Error("no test files under __tests__/");
const shares = deal(files, WORKERS);
console.log(`# ${files.length} test files in ${shares.length} worker processes`);
const totals: Record<string, number> = {};
let failed = false;
await Promise.all(
  shares.map(async (share, i) => {
    const { code, out } = await runWorker(share, process.argv.slice(2));
    process.stdout.write(`\n# worker ${i + 1}: ${share.join(" ")}\n${out}`);
    const summary = Object.fromEntries([...out.matchAll(/^ℹ (\w+) (\d+)$/gm)].map(([, key, value]) => [key!, Number(value)]));
    for (const [key, value] of Object.entries(summary)) totals[key] = (totals[key] ?? 0) + value;
    // A file that calls process.exit(0) ends its worker with code 0 before the files after it ran: the runner's
    // summary is then missing, and that is a failure too.
    if (code !== 0 || summary.tests === undefined || summary.fail || summary.cancelled) {
      failed = true;
      if (summary.tests === undefined) console.log(`# worker ${i + 1} ended (code ${code}) without the test runner's summary: not every file ran`);
    }
  }),
);
console.log(
  `\n# all workers: ${Object.entries(totals)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}`,
);
process.exit(failed ? 1 : 0);
