/**
 * Unattended monthly runs end to end: a run with nothing changed builds nothing, and the Patch Tuesday
 * guard lets a daily cron build only on its day — unless a person started the run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

describe("skipping, end to end", () => {
  let s: Scenario;
  before(async () => (s = await startScenario()));
  after(() => s.emu.close());

  it("a second run with nothing changed and skip-if-unchanged writes nothing and finishes in seconds", async () => {
    const first = await s.run({ "skip-if-unchanged": "true" });
    assert.equal(first.exitCode, 0, first.stdout);
    assert.equal(first.outputs.skipped, "false");
    s.emu.resetLog();
    const second = await s.run({ "skip-if-unchanged": "true" });
    assert.equal(second.exitCode, 0, second.stdout);
    assert.equal(second.outputs.skipped, "true");
    assert.equal(second.outputs["run-state"], "Skipped");
    assert.equal(second.outputs["image-version"], "1.0.0", "the current version");
    assert.deepEqual(s.emu.writeRequests(), []);
    assert.ok(second.durationMs < 10_000, `${second.durationMs} ms`);
    assert.match(
      second.summary,
      /Skipped: the newest version 1\.0\.0 was built from the same template \(hash [0-9a-f]{12}\) 0\.0 days ago, less than rebuild-after-days \(7\)/,
    );
    assert.deepEqual(versionNames(s), ["1.0.0"]);
  });

  it("builds again when the template changed, or when Windows Update makes an old version stale", async () => {
    const changed = await s.run({ "skip-if-unchanged": "true", "inline-script": "Write-Host 'new app'" });
    assert.equal(changed.outputs.skipped, "false");
    assert.equal(changed.outputs["image-version"], "1.0.1");
    const stale = await s.run({ "skip-if-unchanged": "true", "inline-script": "Write-Host 'new app'", "rebuild-after-days": "0" });
    assert.equal(stale.outputs.skipped, "false", "rebuild-after-days 0: Windows Update always rebuilds");
    assert.equal(stale.outputs["image-version"], "1.0.2");
  });

  describe("schedule: once per Patch Tuesday cycle, catching up a dropped build day (clock injected)", { concurrency: false }, () => {
    // March 2027: Patch Tuesday the 9th, patch-tuesday+1 builds from the 10th; the next build day is 14 April.
    const scheduled = (clock: string, overrides: Record<string, string> = {}) =>
      s.run({ schedule: "patch-tuesday+1", ...overrides }, { GITHUB_EVENT_NAME: "schedule", AVD_IMAGE_ACTION_CLOCK: clock });
    const built = (run: Awaited<ReturnType<typeof scheduled>>) => {
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.outputs.skipped, "false", run.stdout);
      assert.equal(run.outputs["run-state"], "Succeeded");
      assert.ok(versionNames(s).includes(run.outputs["image-version"]!));
    };

    it("a scheduled run 3 days after PT+1 with no version published since builds (catching up)", async () => {
      const run = await scheduled("2027-03-13T06:00:00Z");
      built(run);
      assert.match(
        run.stdout,
        /Schedule: Patch Tuesday cycle 2027-03 \(patch-tuesday\+1: build day 2027-03-10 UTC\): no image version published since 2027-03-10, so this run builds it \(catching up, 3 days after the build day\)/,
      );
    });

    it("a scheduled run on PT+1 builds", async () => {
      const run = await scheduled("2027-03-10T05:00:00Z", { "inline-script": "Write-Host 'on the day'" });
      built(run);
      assert.match(run.stdout, /no image version published since 2027-03-10, so this run builds it\./);
    });

    it("the same 3 days later, with a version published on PT+1, skips with a notice naming the cycle, the version and the next build day", async () => {
      s.emu.seedImageVersion({
        resourceGroup: s.avd.resourceGroup,
        gallery: s.avd.gallery,
        image: s.avd.imageDefinition,
        version: "7.0.0",
        publishedDate: "2027-03-10T07:00:00Z",
      });
      s.emu.resetLog();
      const run = await scheduled("2027-03-13T06:00:00Z");
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.outputs.skipped, "true");
      assert.equal(run.outputs["run-state"], "Skipped");
      assert.match(
        run.stdout,
        /::notice::Skipped: Patch Tuesday cycle 2027-03 \(patch-tuesday\+1: build day 2027-03-10 UTC\) is covered by image version 7\.0\.0, published 2027-03-10T07:00Z\. Next build day: 2027-04-14 \(UTC\)/,
      );
      assert.match(run.summary, /nothing built[\s\S]*covered by image version 7\.0\.0/);
      assert.deepEqual(s.emu.writeRequests(), [], "a skipped run writes nothing");
      assert.deepEqual(
        s.emu.requests.filter((r) => r.path.startsWith("/subscriptions/")).map((r) => `${r.method} ${r.path.replace(/^.*\/images\//, "…/images/")}`),
        [`GET …/images/${s.avd.imageDefinition}/versions`],
        "one list of the definition's versions decides",
      );
    });

    it("attach: true in a covered cycle is not skipped: it finishes the build a scheduled step submitted", async () => {
      const run = await scheduled("2027-03-13T06:00:00Z", { attach: "true" });
      assert.doesNotMatch(run.stdout, /Skipped: Patch Tuesday cycle/);
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.outputs.skipped, "false");
      assert.equal(run.outputs["run-state"], "Succeeded");
    });

    it("a manual run builds even in a covered cycle", async () => {
      const run = await s.run(
        { schedule: "patch-tuesday+1", "inline-script": "Write-Host 'by hand'" },
        { GITHUB_EVENT_NAME: "workflow_dispatch", AVD_IMAGE_ACTION_CLOCK: "2027-03-13T06:00:00Z" },
      );
      built(run);
      assert.match(run.stdout, /Schedule: started by hand: builds whatever the schedule \(Patch Tuesday cycle 2027-03/);
    });

    it("a malformed clock is refused before any Azure call, naming the variable", async () => {
      s.emu.resetLog();
      const run = await scheduled("13/03/2027");
      assert.equal(run.exitCode, 1);
      assert.match(run.stdout, /::error::Environment variable AVD_IMAGE_ACTION_CLOCK: '13\/03\/2027' is not an ISO 8601 UTC time/);
      assert.deepEqual(s.emu.requests, []);
    });
  });
});
