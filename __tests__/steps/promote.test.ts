/**
 * `mode: promote`: the newest staged version (excluded from latest) is included in latest once it is
 * `promote-after-days` old, tagged with when and by which run; too young, already in latest, or a dry run
 * writes nothing. The clock is the seam's `now`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PROMOTION_TAGS } from "../../src/steps/promote.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

const now = () => new Date("2027-03-20T06:00:00Z");
const staged = (world: ReturnType<typeof fakeWorld>, name: string, published: string) =>
  world.azure.seedVersion(...world.gallery, { name, excludeFromLatest: true, publishedDate: new Date(published), tags: { owner: "avd-team" } });

describe("promote", () => {
  it("includes the newest staged version in latest once old enough, keeping its tags and adding when and by whom", async () => {
    const world = fakeWorld();
    staged(world, "1.1.0", "2027-03-05T06:00:00Z");
    staged(world, "1.2.0", "2027-03-11T06:00:00Z");
    const { code, host } = await runMain(world, { mode: "promote", "promote-after-days": "7" }, { now });
    assert.equal(code, 0, host.failed);
    const promoted = world.azure.version(...world.gallery, "1.2.0")!;
    assert.equal(promoted.excludeFromLatest, false);
    assert.equal(promoted.tags.owner, "avd-team");
    assert.equal(promoted.tags[PROMOTION_TAGS.promotedAt], "2027-03-20T06:00:00.000Z");
    assert.equal(promoted.tags[PROMOTION_TAGS.promotedBy], "https://github.com/contoso/avd-images/actions/runs/42");
    assert.equal(world.azure.version(...world.gallery, "1.1.0")!.excludeFromLatest, true, "only the newest staged one");
    assert.equal(host.outputs["run-state"], "Promoted");
    assert.equal(host.outputs["image-version"], "1.2.0");
    assert.match(host.summary, /1\.2\.0 — promoted/);
  });

  it("a staged version younger than promote-after-days stays staged, and nothing is written", async () => {
    const world = fakeWorld();
    staged(world, "1.2.0", "2027-03-18T06:00:00Z");
    const { code, host } = await runMain(world, { mode: "promote", "promote-after-days": "7" }, { now });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["run-state"], "Skipped");
    assert.equal(host.outputs.skipped, "true");
    assert.match(host.summary, /is 2\.0 days old; promote-after-days is 7/);
    assert.deepEqual(world.azure.writes(), []);
  });

  it("a dry run says what it would promote and writes nothing", async () => {
    const world = fakeWorld();
    staged(world, "1.2.0", "2027-03-01T06:00:00Z");
    const { code, host } = await runMain(world, { mode: "promote", "dry-run": "true" }, { now });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["run-state"], "DryRun");
    assert.deepEqual(world.azure.writes(), []);
  });

  it("no staged version fails the run, saying how to stage one", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "1.0.0" });
    const { code, host } = await runMain(world, { mode: "promote" }, { now });
    assert.equal(code, 1);
    assert.match(host.failed!, /has no staged version .* Build one with 'exclude-from-latest: true', or name one in 'version'/);
  });

  it("an explicit version already in latest: nothing to promote", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "1.0.0" });
    const { code, host } = await runMain(world, { mode: "promote", version: "1.0.0" }, { now });
    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["run-state"], "Skipped");
    assert.deepEqual(world.azure.writes(), []);
  });
});
