/**
 * Releases the version in package.json: `npm run release` (tags locally), `npm run release -- --push`
 * (and pushes the tags), `npm run release -- --dry-run` (checks and prints, changes nothing).
 *
 * 1. Checks: the version is `X.Y.Z`; CHANGELOG.md has a `## [X.Y.Z]` section; tag `vX.Y.Z` does not exist;
 *    the work tree is clean (a tag must name exactly what was tested).
 * 2. Builds the bundle into a temporary folder and checks that the committed dist/ is byte for byte that
 *    build (else: `npm run build`, commit dist/, try again).
 * 3. Tags `vX.Y.Z` (annotated) on HEAD and moves the major tag `vX` to it: workflows pin `@v1` and get
 *    every 1.x release, `@v1.2.3` for exactly one.
 * 4. With `--push`: pushes `vX.Y.Z`, and force-pushes `vX` (a moved tag needs it).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** What the release checks look at, gathered from the repository. */
export interface ReleaseState {
  /** package.json `version`. */
  version: string;
  /** Tags that exist (`git tag --list`). */
  tags: string[];
  /** `git status --porcelain` output (empty when clean). */
  status: string;
  /** CHANGELOG.md. */
  changelog: string;
  /** Files of dist/ that differ from a fresh build (empty when dist/ is the build). */
  staleDist: string[];
}

/** The git commands of a release, in order. */
export interface ReleasePlan {
  tag: string;
  majorTag: string;
  commands: string[][];
}

/**
 * Checks `state` and returns the git commands that release it. Pure.
 * @throws Error listing every problem found, when there is any.
 */
export function planRelease(state: ReleaseState, push: boolean): ReleasePlan {
  const problems: string[] = [];
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(state.version);
  if (!match) problems.push(`package.json version '${state.version}' is not X.Y.Z.`);
  const tag = `v${state.version}`;
  const majorTag = `v${match?.[1] ?? "?"}`;
  if (state.tags.includes(tag)) problems.push(`tag ${tag} exists already: bump the version in package.json.`);
  if (!new RegExp(`^## \\[${state.version.replace(/\./g, "\\.")}\\]`, "m").test(state.changelog)) {
    problems.push(`CHANGELOG.md has no "## [${state.version}]" section: move the Unreleased notes under it.`);
  }
  if (state.status.trim() !== "") problems.push(`the work tree is not clean: commit or stash first.\n${state.status.trimEnd()}`);
  if (state.staleDist.length > 0) {
    problems.push(`dist/ is not the build of these sources (${state.staleDist.join(", ")}): run npm run build and commit dist/.`);
  }
  if (problems.length > 0) throw new Error(`Cannot release ${tag}:\n- ${problems.join("\n- ")}`);

  const commands = [
    ["git", "tag", "--annotate", tag, "--message", `avd-image-action ${tag}`],
    ["git", "tag", "--force", "--annotate", majorTag, "--message", `avd-image-action ${tag}`, `${tag}^{}`],
  ];
  if (push) commands.push(["git", "push", "origin", `refs/tags/${tag}`], ["git", "push", "--force", "origin", `refs/tags/${majorTag}`]);
  return { tag, majorTag, commands };
}

/** Files of `dist` (recursively, as paths like `chunks/x.js`) that differ from (or are missing in) a fresh build in `built`, and extra files. */
export function compareDist(dist: string, built: string): string[] {
  const list = (dir: string) => {
    try {
      // Every file, chunks/ included (paths relative to dir; directories themselves are not compared).
      return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
        .sort();
    } catch {
      return [];
    }
  };
  const names = new Set([...list(dist), ...list(built)]);
  return [...names].filter((name) => {
    try {
      return !readFileSync(join(dist, name)).equals(readFileSync(join(built, name)));
    } catch {
      return true;
    }
  });
}

function main(): void {
  const { values } = parseArgs({ options: { push: { type: "boolean", default: false }, "dry-run": { type: "boolean", default: false } } });
  const root = fileURLToPath(new URL("../", import.meta.url));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" });

  const out = mkdtempSync(join(tmpdir(), "release-build-"));
  let staleDist: string[];
  try {
    execFileSync(process.execPath, ["scripts/build.ts", "--outdir", out], { cwd: root, stdio: "inherit" });
    staleDist = compareDist(join(root, "dist"), out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const state: ReleaseState = {
    version: (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version,
    tags: git("tag", "--list").split("\n").filter(Boolean),
    status: git("status", "--porcelain"),
    changelog: readFileSync(join(root, "CHANGELOG.md"), "utf8"),
    staleDist,
  };
  const plan = planRelease(state, values.push);
  for (const command of plan.commands) {
    console.log(`${values["dry-run"] ? "would run" : "+"} ${command.join(" ")}`);
    if (!values["dry-run"]) execFileSync(command[0]!, command.slice(1), { cwd: root, stdio: "inherit" });
  }
  if (values["dry-run"]) console.log(`${plan.tag} is ready to release.`);
  else if (values.push) console.log(`Released ${plan.tag}; ${plan.majorTag} points to it.`);
  else console.log(`Tagged ${plan.tag}; ${plan.majorTag} points to it. Push: git push origin ${plan.tag} && git push --force origin ${plan.majorTag}`);
}

if (import.meta.main) {
  try {
    main();
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
