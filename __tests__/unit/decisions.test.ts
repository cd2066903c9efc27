import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageVersionInfo } from "../../src/azure/gateway.ts";
import { ConflictError } from "../../src/errors.ts";
import { decideTemplateAction, scheduleSkipReason, unchangedSince } from "../../src/steps/decisions.ts";
import { TAGS } from "../../src/tags.ts";
import type { TemplatePlan } from "../../src/template/build.ts";

const plan = { hash: "ab".repeat(32) } as TemplatePlan;
const NOW = new Date("2026-11-21T12:00:00Z");
const version = (name: string, hash: string, ageDays: number): ImageVersionInfo => ({
  name,
  id: `/x/versions/${name}`,
  tags: { [TAGS.templateHash]: hash },
  excludeFromLatest: false,
  blockDeletionBeforeEndOfLife: false,
  publishedDate: new Date(NOW.getTime() - ageDays * 86_400_000),
  regions: [],
});

describe("pipeline decisions", () => {
  it("skip-if-unchanged: the newest version (numeric order) must carry the same template hash", () => {
    const noUpdates = { windowsUpdate: false, rebuildAfterDays: 7 };
    assert.equal(unchangedSince([version("1.10.0", plan.hash, 40)], plan, noUpdates, NOW)?.version.name, "1.10.0");
    assert.equal(unchangedSince([version("1.10.0", "other", 1), version("1.9.0", plan.hash, 1)], plan, noUpdates, NOW), undefined);
    assert.equal(unchangedSince([], plan, noUpdates, NOW), undefined);
  });

  it("skip-if-unchanged with Windows Update: only while the newest version is younger than rebuild-after-days", () => {
    const updates = { windowsUpdate: true, rebuildAfterDays: 7 };
    assert.match(unchangedSince([version("1.0.0", plan.hash, 2)], plan, updates, NOW)!.reason, /2\.0 days ago, less than rebuild-after-days \(7\)/);
    assert.equal(unchangedSince([version("1.0.0", plan.hash, 8)], plan, updates, NOW), undefined);
  });

  it("schedule: builds on the day, or when started by hand", () => {
    const schedule = { schedule: { offsetDays: 8 } }; // November 2026: Patch Tuesday the 10th, +8 = the 18th
    assert.match(scheduleSkipReason(schedule, false, NOW)!, /build day is 2026-11-18 \(UTC\), today is 2026-11-21/);
    assert.equal(scheduleSkipReason(schedule, true, NOW), undefined);
    assert.equal(scheduleSkipReason(schedule, false, new Date("2026-11-18T23:00:00Z")), undefined);
    assert.equal(scheduleSkipReason({ schedule: undefined }, false, NOW), undefined);
  });

  it("template: create when absent, recreate when Failed, refuse one another run is building", () => {
    assert.equal(decideTemplateAction(undefined, "t"), "create");
    assert.equal(decideTemplateAction({ provisioningState: "Succeeded", identity: {} } as never, "t"), "reuse");
    assert.equal(decideTemplateAction({ provisioningState: "Failed", identity: {} } as never, "t"), "recreate");
    assert.throws(
      () => decideTemplateAction({ provisioningState: "Succeeded", identity: {}, lastRunStatus: { runState: "Running" } } as never, "t"),
      (error: Error) => error instanceof ConflictError && /t is running a build .* another run/.test(error.message),
    );
  });
});
