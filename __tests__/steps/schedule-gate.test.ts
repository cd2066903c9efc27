/**
 * The schedule gate (`schedule: patch-tuesday+N`): a scheduled run in a Patch Tuesday cycle a version
 * already covers builds nothing and says when the next build day is; a run a person started builds; a
 * cycle with no version yet builds. The clock is the seam's `now`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

// Patch Tuesday of March 2027 is the 9th: patch-tuesday+1 is March 10.
const now = () => new Date("2027-03-13T06:00:00Z");
const covered = (world: ReturnType<typeof fakeWorld>) =>
  world.azure.seedVersion(...world.gallery, { name: "3.0.0", publishedDate: new Date("2027-03-10T07:00:00Z") });

describe("schedule gate", () => {
  it("a scheduled run in a covered cycle skips: a notice with the next build day, skipped outputs, nothing written", async () => {
    const world = fakeWorld();
    covered(world);
    const { code, host } = await runMain(world, { schedule: "patch-tuesday+1" }, { now });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs.skipped, "true");
    assert.equal(host.outputs["run-state"], "Skipped");
    assert.match(host.messages("notice").join("\n"), /Skipped: Patch Tuesday cycle 2027-03 .* is covered by image version 3\.0\.0.*Next build day: 2027-04-14/);
    assert.match(host.summary, /nothing built/);
    assert.deepEqual(world.azure.writes(), []);
  });

  it("a run a person started builds even in a covered cycle", async () => {
    const world = fakeWorld();
    covered(world);
    const { code, host } = await runMain(world, { schedule: "patch-tuesday+1" }, { now, host: { manualTrigger: true } });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["image-version"], "3.0.1");
  });

  it("a cycle no version covers yet builds, and says why", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "2.0.0", publishedDate: new Date("2027-02-10T07:00:00Z") });
    const { code, host } = await runMain(world, { schedule: "patch-tuesday+1" }, { now });
    assert.equal(code, 0, host.failed);
    assert.match(host.messages("info").join("\n"), /^Schedule: /m);
    assert.equal(host.outputs["image-version"], "2.0.1");
  });
});
