/**
 * Unattended monthly runs end to end: a run with nothing changed builds nothing, and the Patch Tuesday
 * guard lets a daily cron build only on its day — unless a person started the run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { patchTuesday } from "../../src/schedule.ts";
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
    assert.match(second.summary, /Skipped: the newest version 1\.0\.0 was built from the same template \(hash [0-9a-f]{12}\) 0\.0 days ago, less than rebuild-after-days \(7\)/);
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

  it("schedule: builds nothing on other days, and builds on any day when started by hand", async () => {
    const now = new Date();
    const tuesday = patchTuesday(now.getUTCFullYear(), now.getUTCMonth() + 1);
    const today = Math.round((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - tuesday.getTime()) / 86_400_000);
    const notToday = today === 3 ? 4 : 3; // an offset whose day is not today
    s.emu.resetLog();
    const scheduled = await s.run({ schedule: `patch-tuesday+${notToday}` }, { GITHUB_EVENT_NAME: "schedule" });
    assert.equal(scheduled.exitCode, 0, scheduled.stdout);
    assert.equal(scheduled.outputs.skipped, "true");
    assert.match(scheduled.stdout, new RegExp(`schedule is patch-tuesday\\+${notToday}: this month's build day is \\d{4}-\\d{2}-\\d{2} \\(UTC\\)`));
    assert.deepEqual(s.emu.requests, [], "the guard runs before any Azure call");
    const byHand = await s.run({ schedule: `patch-tuesday+${notToday}`, "dry-run": "true" }, { GITHUB_EVENT_NAME: "workflow_dispatch" });
    assert.equal(byHand.outputs["run-state"], "DryRun");
  });
});
