/**
 * Project hygiene: the release script's checks and tags, CI and Dependabot, the license, and the README
 * sections of the adoption kit.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { type ReleaseState, compareDist, planRelease } from "../../scripts/release.ts";
import { read, readmeSection } from "./kit-helpers.ts";

const ready: ReleaseState = {
  version: "1.2.3",
  tags: ["v1.2.2", "v1"],
  status: "",
  changelog: "# Changelog\n\n## [1.2.3] - 2026-12-09\n\n- Fixed.\n",
  staleDist: [],
};

describe("release script", () => {
  it("tags vX.Y.Z and moves the major tag to it; --push pushes both, the major one forced", () => {
    const plan = planRelease(ready, false);
    assert.equal(plan.tag, "v1.2.3");
    assert.equal(plan.majorTag, "v1");
    assert.deepEqual(plan.commands, [
      ["git", "tag", "--annotate", "v1.2.3", "--message", "avd-image-action v1.2.3"],
      ["git", "tag", "--force", "--annotate", "v1", "--message", "avd-image-action v1.2.3", "v1.2.3^{}"],
    ]);
    assert.deepEqual(planRelease(ready, true).commands.slice(2), [
      ["git", "push", "origin", "refs/tags/v1.2.3"],
      ["git", "push", "--force", "origin", "refs/tags/v1"],
    ]);
  });

  it("refuses, listing every problem: not X.Y.Z, tag taken, no changelog section, dirty tree, stale dist/", () => {
    assert.throws(
      () => planRelease({ version: "1.2", tags: ["v1.2"], status: " M src/index.ts\n", changelog: "## [Unreleased]\n", staleDist: ["index.js"] }, false),
      (error: Error) => {
        for (const problem of [
          /'1\.2' is not X\.Y\.Z/,
          /tag v1\.2 exists already/,
          /no "## \[1\.2\]" section/,
          /work tree is not clean/,
          /dist\/ is not the build .*index\.js/,
        ]) {
          assert.match(error.message, problem);
        }
        return true;
      },
    );
    assert.throws(() => planRelease({ ...ready, staleDist: ["index.js.LEGAL.txt"] }, false), /npm run build and commit dist/);
  });

  it("finds dist/ files that differ from a fresh build, and missing or extra ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-test-"));
    const [dist, built] = [join(dir, "dist"), join(dir, "built")];
    mkdirSync(dist);
    mkdirSync(built);
    writeFileSync(join(dist, "index.js"), "a");
    writeFileSync(join(built, "index.js"), "a");
    assert.deepEqual(compareDist(dist, built), []);
    writeFileSync(join(built, "index.js"), "b");
    writeFileSync(join(built, "index.js.LEGAL.txt"), "l");
    writeFileSync(join(dist, "old.js"), "o");
    mkdirSync(join(dist, "chunks"));
    mkdirSync(join(built, "chunks"));
    writeFileSync(join(dist, "chunks", "same-AAAA.js"), "s");
    writeFileSync(join(built, "chunks", "same-AAAA.js"), "s");
    writeFileSync(join(dist, "chunks", "stale-AAAA.js"), "x");
    writeFileSync(join(built, "chunks", "stale-BBBB.js"), "y");
    assert.deepEqual(compareDist(dist, built).sort(), ["chunks/stale-AAAA.js", "chunks/stale-BBBB.js", "index.js", "index.js.LEGAL.txt", "old.js"]);
  });

  it("is the npm release script, and the project's version has a changelog section or Unreleased notes", () => {
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string>; license: string; version: string };
    assert.equal(pkg.scripts.release, "node scripts/release.ts");
    assert.equal(pkg.license, "MIT");
    assert.match(read("CHANGELOG.md"), new RegExp(`^## \\[(Unreleased|${pkg.version.replace(/\./g, "\\.")})\\]`, "m"));
  });
});

describe("CI, Dependabot, license, security policy", () => {
  it("CI runs .ci/run, and a check-dist job fails when dist/ is not the build of the sources", () => {
    const ci = parse(read(".github/workflows/ci.yml")) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const runs = (job: string) => ci.jobs[job]!.steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs("test"), /^bash \.ci\/run$/m);
    assert.match(runs("check-dist"), /npm ci[\s\S]*npm run build[\s\S]*git status --porcelain -- dist[\s\S]*exit 1/);
  });

  it("Dependabot updates npm packages and GitHub Actions", () => {
    const config = parse(read(".github/dependabot.yml")) as { version: number; updates: { "package-ecosystem": string; directory: string }[] };
    assert.equal(config.version, 2);
    assert.deepEqual(config.updates.map((u) => u["package-ecosystem"]).sort(), ["github-actions", "npm"]);
  });

  it("LICENSE is MIT, 2026, avd-image-action contributors; SECURITY.md says how to report privately", () => {
    const license = read("LICENSE");
    assert.match(license, /^MIT License$/m);
    assert.match(license, /^Copyright \(c\) 2026 avd-image-action contributors$/m);
    assert.match(read("SECURITY.md"), /## Reporting a vulnerability[\s\S]*privately/);
  });
});

describe("README, adoption sections", () => {
  it("Troubleshooting covers the known Image Builder failures", () => {
    const text = readmeSection("Troubleshooting");
    for (const topic of [
      /BitLocker/,
      /25H2/,
      /PreventDeviceEncryption/,
      /Appx/,
      /Windows Update/,
      /Policy/,
      /staging resource group/,
      /Timeout/,
      /Update\/Upgrade of image templates is currently not supported/,
      /customization\.log/,
    ]) {
      assert.match(text, topic);
    }
  });

  it("How it compares names each alternative", () => {
    const text = readmeSection("How it compares");
    for (const peer of [/Azure\/build-vm-image/, /Azure VM Image Builder" task/, /Packer/, /custom image templates/, /Nerdio/]) assert.match(text, peer);
  });

  it("the Quick start links the Azure DevOps section, and Set up Azure and Permissions explain the roles", () => {
    assert.match(readmeSection("Quick start"), /\]\(#azure-devops\)/);
    assert.match(readmeSection("Set up Azure"), /Microsoft\.VirtualMachineImages\/imageTemplates\/run\/action/);
    assert.match(readmeSection("Permissions"), /id-token: write/);
  });
});
