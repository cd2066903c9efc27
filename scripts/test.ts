/**
 * `npm test`'s test run: Node's own runner (`node --test`), in two passes.
 *
 * 1. Files that stay in-process (the pure core, the steps on the in-memory fakes, the kit's file checks)
 *    share ONE process (`--test-isolation=none`): starting a process per file cost more CPU than their
 *    tests (38 unit and step files: 16 s of CPU in their own processes, 2.3 s in one).
 * 2. Files that start the emulator, spawn a process (the bundle, the CLI, npm, git) or use the harness run
 *    in a process each (`--test-isolation=process`, the default), 8 at a time: they mostly wait on the
 *    emulator's scaled build minutes and Retry-After, so more of them run than there are cores.
 *
 * Which pass a file belongs to is read from its imports, and those of the `__tests__/` and `harness/` modules
 * it imports, transitively: `emulator/` or `node:child_process` (the harness's runners spawn) puts it in the
 * second. Both passes
 * load `scripts/test-setup.ts` (the compile cache). Extra arguments go to both runs, e.g.
 * `npm test -- --test-name-pattern=retention`. Exits non-zero when either pass fails.
 */
import { spawnSync } from "node:child_process";
import { globSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Imports that make a test file need a process of its own: a child process, or the emulator (a server, timers, process-wide TLS trust). */
const ISOLATING = /(?:from\s+|import\()["'](?:node:child_process|(?:\.\.\/)+emulator\/[^"']*)["']/;
/** Local imports (`./x.ts`, `../x.ts`) of a module. */
const LOCAL_IMPORT = /from\s+["'](\.{1,2}\/[^"']+\.ts)["']/g;

/** Whether `file` (or a `__tests__/` module it imports, transitively) starts the emulator, the harness or a child process. */
function isolates(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  if (ISOLATING.test(text)) return true;
  for (const [, spec] of text.matchAll(LOCAL_IMPORT)) {
    const target = resolve(dirname(file), spec!);
    const where = relative(ROOT, target);
    if (!where.startsWith("__tests__/") && !where.startsWith("harness/")) continue; // src/ and scripts/ are the code under test
    if (isolates(target, seen)) return true;
  }
  return false;
}

const files = globSync("__tests__/**/*.test.ts", { cwd: ROOT }).sort();
const isolated = files.filter((f) => isolates(join(ROOT, f)));
const shared = files.filter((f) => !isolated.includes(f));
const extra = process.argv.slice(2);
const node = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "./scripts/test-setup.ts", "--test", "--test-reporter=spec", ...args, ...extra], { cwd: ROOT, stdio: "inherit" })
    .status ?? 1;

console.log(`# ${shared.length} test files in one process, ${isolated.length} in a process each`);
const first = node(["--test-isolation=none", ...shared]);
const second = node(["--test-concurrency=8", ...isolated]);
process.exit(first || second);
