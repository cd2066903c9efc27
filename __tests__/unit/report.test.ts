/**
 * All job-summary Markdown lives in src/report.ts: the promote and schedule-skip summaries (once written
 * inline by main.ts), the GitHub release notes, and no Markdown heading or summary text built anywhere
 * else in src/ (changelog/render.ts, the changelog renderer report.ts calls, excepted).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Changelog } from "../../src/changelog/diff.ts";
import type { Manifest } from "../../src/changelog/manifest.ts";
import { type BuildReport, changelogOf, promoteSummary, releaseNotesOf } from "../../src/report.ts";
import { parseSettings } from "../../src/settings/index.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";
import { validInputs } from "../helpers/inputs.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const settings = parseSettings((name) => validInputs()[name] ?? "");

/** Every .ts file under src/, relative to it, with its text. */
function sources(): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) files.push({ path: relative(SRC, path), text: readFileSync(path, "utf8") });
    }
  };
  walk(SRC);
  return files;
}

describe("report.ts writes every summary", () => {
  it("mode promote: the version and what happened, then why (in-process main(): the promoted version's summary)", async () => {
    const world = fakeWorld();
    const [rg, gallery, image] = world.gallery;
    world.azure.seedVersion(rg, gallery, image, { name: "1.4.0", excludeFromLatest: true, publishedDate: new Date(Date.now() - 3 * 86_400_000) });
    const { code, host } = await runMain(world, { mode: "promote" });
    assert.equal(code, 0, host.failed);
    assert.equal(host.summary, "## AVD image: win11-avd-m365 1.4.0 — promoted\n\nimage version 1.4.0 is now included in latest (was staged 3.0 days).\n");
    assert.equal(world.azure.version(rg, gallery, image, "1.4.0")!.excludeFromLatest, false);
  });

  it("the promote summary of a dry run and of a skip say so", () => {
    assert.equal(
      promoteSummary(settings, { version: { name: "1.4.0" }, runState: "DryRun", reason: "dry run: would include image version 1.4.0 in latest." }),
      "## AVD image: win11-avd-m365 1.4.0 — dry run, nothing written\n\ndry run: would include image version 1.4.0 in latest.\n",
    );
    assert.match(
      promoteSummary(settings, { version: { name: "1.4.0" }, runState: "Skipped", reason: "too young" }),
      /^## AVD image: win11-avd-m365 1\.4\.0 — skipped\n\ntoo young\n$/,
    );
  });

  it("a run the schedule guard skips: nothing built, and why (in-process main() off Patch Tuesday)", async () => {
    const world = fakeWorld();
    const [rg, gallery, image] = world.gallery;
    // February 2027's Patch Tuesday is the 9th: build day the 10th; 1.3.0 (the 12th) covers that cycle until March's.
    world.azure.seedVersion(rg, gallery, image, { name: "1.3.0", publishedDate: new Date("2027-02-12T06:00:00Z") });
    const { code, host } = await runMain(world, { schedule: "patch-tuesday+1" }, { now: () => new Date("2027-03-01T06:00:00Z") });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["run-state"], "Skipped");
    assert.match(host.summary, /^## AVD image: win11-avd-m365 — nothing built\n\nSkipped: Patch Tuesday cycle .* is covered by image version 1\.3\.0, .*\n$/);
    assert.equal(world.azure.templatesIn(rg).length, 0, "nothing was written");
  });

  it("the GitHub release notes: the changelog, then source, template and gallery", () => {
    const changelog: Changelog = {
      version: "1.0.1",
      previousVersion: "1.0.0",
      customizers: { added: [], removed: [], changed: [], moved: [] },
      settings: [],
      applications: { added: [], removed: [], upgraded: [] },
      unchanged: true,
      notCompared: [],
    } as unknown as Changelog;
    const report = { dryRun: false, changelog } as BuildReport;
    const manifest = {
      source: { given: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest", exactVersion: "26100.1.1" },
      template: { name: "t-1" },
      gallery: { name: "galAvd" },
    } as Manifest;
    const notes = releaseNotesOf(report, manifest);
    assert.ok(notes.startsWith(changelogOf(report)) && changelogOf(report).startsWith("### "), notes);
    assert.ok(
      notes.endsWith(
        "\nSource `MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest` → `26100.1.1`, image template `t-1`, gallery galAvd. The manifest is attached.\n",
      ),
      notes,
    );
  });

  it("no other file of src/ builds summary Markdown: every writeSummary call passes a report.ts function, and no other file writes a heading", () => {
    const writers = sources().flatMap(({ path, text }) => [...text.matchAll(/\.writeSummary\((\w*)/g)].map((m) => ({ path, argument: m[1]!.trim() })));
    assert.ok(writers.length >= 4, `main.ts writes the build, promote, skip and failure summaries: ${JSON.stringify(writers)}`);
    for (const { path, argument } of writers) {
      assert.equal(path, "main.ts", `${path} writes a summary`);
      assert.match(
        argument,
        /^(summaryOf|promoteSummary|scheduleSkipSummary|failureSummary)$/,
        `main.ts: writeSummary(${argument}(…)) is a report.ts function`,
      );
    }
    const headings = sources().filter(({ path, text }) => path !== "report.ts" && path !== join("changelog", "render.ts") && /["'`]#{2,4} /.test(text));
    assert.deepEqual(
      headings.map((f) => f.path),
      [],
      "Markdown headings are written only in report.ts (and the changelog renderer it calls)",
    );
  });
});
