/**
 * The action is importable: src/main.ts does nothing at import and exports run(); the bundle's entry
 * (dist/index.js) and the post-job target (dist/post-job.js) load under require() — no top-level await —
 * as TaskMockRunner loads a task. (The bundle before run() existed failed here with ERR_REQUIRE_ASYNC_MODULE.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `code` in a fresh Node 24 with no INPUT_* variables, in an empty working directory. */
function node(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "entry-test-"));
  const env = { PATH: process.env.PATH ?? "", HOME: cwd };
  return spawnSync(process.execPath, args, { cwd, env, encoding: "utf8", timeout: 30_000 });
}

describe("importable entry", () => {
  it("importing src/main.ts runs nothing: no output, no signal listeners, exit 0; run is a function", () => {
    const child = node([
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(join(ROOT, "src/main.ts"))}); console.log(JSON.stringify({ run: typeof m.run, sigint: process.listenerCount("SIGINT"), exitCode: process.exitCode ?? 0 }));`,
    ]);
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim()), { run: "function", sigint: 0, exitCode: 0 });
    assert.doesNotMatch(child.stdout, /::/, "no workflow command was printed at import");
  });

  it("require('dist/index.js') loads the bundle and runs the action once (here: fails on the missing inputs)", () => {
    const child = node(["-e", `require(${JSON.stringify(join(ROOT, "dist/index.js"))});`]);
    assert.doesNotMatch(child.stderr, /ERR_REQUIRE_ASYNC_MODULE|ERR_REQUIRE_ESM/, child.stderr);
    assert.equal(child.status, 1, child.stdout + child.stderr);
    assert.match(child.stdout, /^::error::.*Input 'subscription-id': is required/m);
  });

  it("require('dist/post-job.js') loads the post-job target; with no recorded build it does nothing and exits 0", () => {
    const child = node(["-e", `require(${JSON.stringify(join(ROOT, "dist/post-job.js"))});`]);
    assert.doesNotMatch(child.stderr, /ERR_REQUIRE_ASYNC_MODULE|ERR_REQUIRE_ESM/, child.stderr);
    assert.equal(child.status, 0, child.stdout + child.stderr);
    assert.doesNotMatch(child.stdout, /::error::/);
  });
});
