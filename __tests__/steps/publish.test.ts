/**
 * The publish step: the run output must be the planned image version; the version gets the user's tags,
 * the provenance tags and the end-of-life date.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAGS } from "../../src/tags.ts";
import { WORLD, fakeWorld, runMain } from "../fakes/fake-services.ts";

describe("publish step", () => {
  it("tags the new version with the user's tags and the provenance (template, source, commit, run URL, build times), and sets the end-of-life date", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world, { tags: "owner=avd-team\ncost-center=42", "end-of-life-days": "180" });
    assert.equal(code, 0, host.failed);
    const version = world.azure.version(...world.gallery, "1.0.0")!;
    assert.equal(version.tags.owner, "avd-team");
    assert.equal(version.tags["cost-center"], "42");
    assert.equal(version.tags[TAGS.template], host.outputs["template-name"]);
    assert.equal(version.tags[TAGS.sourceVersion], "26100.4652.250708", "the pinned marketplace version, not 'latest'");
    assert.equal(version.tags[TAGS.commit], "0123456789abcdef0123456789abcdef01234567");
    assert.equal(version.tags[TAGS.runUrl], "https://github.com/contoso/avd-images/actions/runs/42");
    assert.ok(Date.parse(version.tags[TAGS.buildStart]!) < Date.parse(version.tags[TAGS.buildEnd]!));
    const days = (version.endOfLifeDate!.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 179.9 && days <= 180, `end of life in ${days} days`);
  });

  it("a run output that is not the planned version fails the run and tags nothing", async () => {
    const world = fakeWorld();
    const other = `/subscriptions/${WORLD.subscriptionId}/resourceGroups/${WORLD.resourceGroup}/providers/Microsoft.Compute/galleries/${WORLD.gallery}/images/${WORLD.image}/versions/9.9.9`;
    world.azure.getRunOutput = async (_rg, _name, runOutputName) => ({ name: runOutputName, artifactId: other });

    const { code, host } = await runMain(world);

    assert.equal(code, 1);
    assert.match(host.failed!, new RegExp(`Run output '.*' of .* reports '${other}', not the planned image version .*/versions/1\\.0\\.0`));
    assert.deepEqual(world.azure.callsOf("updateImageVersion"), []);
    assert.equal(world.azure.version(...world.gallery, "1.0.0")!.tags[TAGS.managed], undefined);
  });
});
