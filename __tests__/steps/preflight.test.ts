/**
 * The preflight step in a whole run: a misconfiguration it finds fails the run before anything is written
 * to Azure, naming the input; what it could not check is a warning and the build goes on. (The rules
 * themselves are unit-tested in __tests__/unit/preflight.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WORLD, fakeWorld, runMain } from "../fakes/fake-services.ts";

describe("preflight step", () => {
  it("a missing image definition fails the run naming 'image-definition', before any write", async () => {
    const world = fakeWorld();
    world.lookups.remove("imageDefinition");

    const { code, host } = await runMain(world);

    assert.equal(code, 1);
    assert.match(host.failed!, /image-definition/);
    assert.deepEqual(world.azure.writes(), []);
    assert.match(host.summary, /✖ Image definition: gallery image definition 'galAvd\/win11-avd-m365' does not exist/);
  });

  it("an image definition of another generation fails the run (Azure would fail it only at Distributing)", async () => {
    const world = fakeWorld();
    world.lookups.seedImageDefinition(WORLD.subscriptionId, WORLD.resourceGroup, WORLD.gallery, WORLD.image, {
      osType: "Windows",
      osState: "Generalized",
      hyperVGeneration: "V1",
      location: "westeurope",
    });

    const { code, host } = await runMain(world);

    assert.equal(code, 1);
    assert.match(host.failed!, /V1/);
    assert.deepEqual(world.azure.writes(), []);
  });

  it("an identity the signed-in identity may not read is a warning, and the build goes on to publish", async () => {
    const world = fakeWorld();
    world.lookups.forbid("userAssignedIdentity");

    const { code, host } = await runMain(world);

    assert.equal(code, 0, host.failed);
    assert.match(host.messages("warning").join("\n"), /Preflight ⚠ .*could not check/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
  });

  it("an Azure DevOps run names the input camelCase", async () => {
    const world = fakeWorld();
    world.lookups.remove("imageDefinition");
    const { code, host } = await runMain(world, {}, { host: { kind: "azure-pipelines" } });
    assert.equal(code, 1);
    assert.match(host.failed!, /imageDefinition/);
  });

  it("a target region the subscription does not have fails the run naming 'target-regions'", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world, { "target-regions": "westeurope\nmarsnorth" });
    assert.equal(code, 1);
    assert.match(host.failed!, /target-regions/);
    assert.match(host.failed!, /marsnorth/);
    assert.deepEqual(world.azure.writes(), []);
  });
});
