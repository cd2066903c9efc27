/**
 * The prune step: after a publish, the versions the retention policy allows are deleted; what the policy
 * protects stays (keep=true, block-deletion before end of life, other tools' versions); a failed deletion
 * fails the run after the others went, naming the version.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAGS } from "../../src/tags.ts";
import { armError } from "../fakes/arm-errors.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

const managed = { [TAGS.managed]: "true" };
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

describe("prune step", () => {
  it("deletes beyond keep-versions, and keeps what is protected: keep=true, blocked before end of life, and versions this action did not make", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "1.0.0", tags: managed, publishedDate: daysAgo(300) });
    world.azure.seedVersion(...world.gallery, { name: "1.0.1", tags: { ...managed, keep: "true" }, publishedDate: daysAgo(250) });
    world.azure.seedVersion(...world.gallery, {
      name: "1.0.2",
      tags: managed,
      publishedDate: daysAgo(200),
      blockDeletionBeforeEndOfLife: true,
      endOfLifeDate: new Date(Date.now() + 86_400_000),
    });
    world.azure.seedVersion(...world.gallery, { name: "1.0.3", tags: {}, publishedDate: daysAgo(150) });
    world.azure.seedVersion(...world.gallery, { name: "1.0.4", tags: managed, publishedDate: daysAgo(100) });

    const { code, host } = await runMain(world, { "keep-versions": "1" });

    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.azure.versionNames(...world.gallery).sort(), ["1.0.1", "1.0.2", "1.0.3", "1.0.5"]);
    assert.deepEqual(JSON.parse(host.outputs["pruned-versions"]!).sort(), ["1.0.0", "1.0.4"]);
  });

  it("prune-foreign: true deletes versions this action did not make too", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "1.0.0", tags: {}, publishedDate: daysAgo(300) });
    const { code, host } = await runMain(world, { "keep-versions": "1", "prune-foreign": "true" });
    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.1"]);
  });

  it("a deletion Azure refuses fails the run naming the version, after the new version is published and the other deletions done", async () => {
    const world = fakeWorld();
    for (const [i, name] of ["1.0.0", "1.0.1", "1.0.2"].entries())
      world.azure.seedVersion(...world.gallery, { name, tags: managed, publishedDate: daysAgo(300 - i) });
    world.azure.onCall("deleteImageVersion", (_rg, _g, _i, version) => {
      if (version === "1.0.1")
        throw armError(
          409,
          "ScopeLocked",
          "The scope '/subscriptions/…/versions/1.0.1' cannot perform delete operation because following scope(s) are locked.",
        );
    });

    const { code, host } = await runMain(world, { "keep-versions": "1" });

    assert.equal(code, 1);
    assert.match(host.failed!, /Image version 1\.0\.3 was published, but deleting 1\.0\.1 failed/);
    assert.deepEqual(world.azure.versionNames(...world.gallery).sort(), ["1.0.1", "1.0.3"]);
    assert.match(host.messages("error").join("\n"), /Deleting image version 1\.0\.1 failed: The scope .* locked/);
    assert.equal(host.outputs["image-version"], "1.0.3", "the outputs are written");
  });

  it("keep-versions: 0 never prunes", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "1.0.0", tags: managed, publishedDate: daysAgo(900) });
    const { code } = await runMain(world, { "keep-versions": "0" });
    assert.equal(code, 0);
    assert.deepEqual(world.azure.callsOf("deleteImageVersion"), []);
  });
});
