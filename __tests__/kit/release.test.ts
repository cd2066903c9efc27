/**
 * `npm run release` on a clone of this commit (with dist/ built and committed, as the integrator leaves
 * it): `--dry-run` says it would tag v1.0.0 and move v1, and tags nothing; the real run makes both tags
 * on HEAD; a second run refuses because v1.0.0 exists. The version is 1.0.0 everywhere it is stamped.
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VERSION = "1.0.0";
const identity = {
  GIT_AUTHOR_NAME: "release test",
  GIT_AUTHOR_EMAIL: "release@example.invalid",
  GIT_COMMITTER_NAME: "release test",
  GIT_COMMITTER_EMAIL: "release@example.invalid",
};

describe("npm run release on a clone of this commit", { timeout: 120_000 }, () => {
  let clone: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: clone, encoding: "utf8", env: { ...process.env, ...identity } }).trim();
  const release = (...args: string[]): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, ["scripts/release.ts", ...args], { cwd: clone, encoding: "utf8", env: { ...process.env, ...identity }, timeout: 60_000 });

  before(() => {
    clone = mkdtempSync(join(tmpdir(), "release-clone-"));
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    execFileSync("git", ["clone", "--quiet", "--no-checkout", ROOT, clone]);
    git("checkout", "--quiet", "--detach", head);
    for (const tag of git("tag", "--list").split("\n").filter(Boolean)) git("tag", "--delete", tag);
    symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"), "dir");
    appendFileSync(join(clone, ".git", "info", "exclude"), "node_modules\n");
    execFileSync(process.execPath, ["scripts/build.ts"], { cwd: clone });
    git("add", "dist");
    if (git("status", "--porcelain")) git("commit", "--quiet", "--message", "dist: build");
  });
  after(() => rmSync(clone, { recursive: true, force: true }));

  it(`the version is ${VERSION}: package.json, package-lock.json, task.json (Major 1), vss-extension.json`, () => {
    const json = (file: string) => JSON.parse(readFileSync(join(ROOT, file), "utf8")) as Record<string, unknown>;
    assert.equal(json("package.json").version, VERSION);
    assert.equal(json("package-lock.json").version, VERSION);
    assert.equal((json("package-lock.json").packages as Record<string, { version: string }>)[""]!.version, VERSION);
    assert.deepEqual(json("task.json").version, { Major: 1, Minor: 0, Patch: 0 });
    assert.equal(json("vss-extension.json").version, VERSION);
  });

  it("--dry-run says it would tag v1.0.0 and move v1 to it, and tags nothing", () => {
    const run = release("--dry-run");
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const lines = run.stdout.split("\n");
    assert.ok(lines.includes(`would run git tag --annotate v${VERSION} --message avd-image-action v${VERSION}`), run.stdout);
    assert.ok(lines.includes(`would run git tag --force --annotate v1 --message avd-image-action v${VERSION} v${VERSION}^{}`), run.stdout);
    assert.ok(lines.includes(`v${VERSION} is ready to release.`), run.stdout);
    assert.equal(git("tag", "--list"), "", "a dry run makes no tag");
  });

  it("tags v1.0.0 on HEAD and moves v1 to it; a second release of the same version refuses", () => {
    const run = release();
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Tagged v1\.0\.0; v1 points to it\./);
    const head = git("rev-parse", "HEAD");
    assert.equal(git("rev-parse", `v${VERSION}^{commit}`), head);
    assert.equal(git("rev-parse", "v1^{commit}"), head);
    assert.equal(git("cat-file", "-t", "v1"), "tag", "v1 is an annotated tag");
    const again = release("--dry-run");
    assert.equal(again.status, 1);
    assert.match(again.stderr, /tag v1\.0\.0 exists already: bump the version in package\.json/);
  });
});
