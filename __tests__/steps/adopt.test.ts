/**
 * The adopt step: a build of this run's template (same content, same name) already running — a lost
 * runner's, or an identical run's — is followed to its end and published, never started twice; a build
 * that succeeded but was never tagged is finished (tags, pruning) without a new build.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAGS } from "../../src/tags.ts";
import { WORLD, fakeWorld, runMain } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;

describe("adopt step", () => {
  it("a run that finds its template building (a lost runner's build) follows that build and publishes its version, starting none", async () => {
    const world = fakeWorld();
    await runMain(world, { wait: "false" }); // the lost runner: submitted, then gone
    const started = world.azure.callsOf("startRun").length;

    const { code, host } = await runMain(world);

    assert.equal(code, 0, host.failed);
    assert.equal(world.azure.callsOf("startRun").length, started, "no second build");
    assert.equal(host.outputs["image-version"], "1.0.0");
    assert.equal(host.outputs["run-state"], "Succeeded");
    assert.match(host.messages("notice").join("\n"), /is already building this run's image .* it starts no second build/);
    assert.match(host.summary, /Adopted a build of/);
    assert.equal(world.azure.version(...world.gallery, "1.0.0")!.tags[TAGS.managed], "true");
  });

  it("a build that succeeded but whose version no run tagged is finished: tagged and pruned, no new build", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "0.9.0", tags: { [TAGS.managed]: "true" }, publishedDate: new Date(Date.now() - 90 * 86_400_000) });
    await runMain(world, { wait: "false" });
    const name = world.azure.templatesIn(rg)[0]!.name!;
    await world.azure.asAnotherRun(async (azure) => {
      for (let i = 0; i < 8; i++) await azure.getTemplate(rg, name); // Image Builder finishes the build meanwhile
    });
    assert.equal(world.azure.version(...world.gallery, "0.9.1")!.tags[TAGS.managed], undefined, "published, untagged");

    const { code, host } = await runMain(world, { "keep-versions": "1" });

    assert.equal(code, 0, host.failed);
    assert.equal(world.azure.callsOf("startRun").length, 1);
    assert.equal(world.azure.version(...world.gallery, "0.9.1")!.tags[TAGS.managed], "true");
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["0.9.1"], "0.9.0 pruned");
    assert.match(host.messages("notice").join("\n"), /built this run's image .* it starts no second build/);
  });

  it("an explicit version that differs from what the running build publishes stops the run, naming 'version'", async () => {
    const world = fakeWorld();
    await runMain(world, { wait: "false" });
    const { code, host } = await runMain(world, { version: "2.0.0" });
    assert.equal(code, 1);
    assert.match(host.failed!, /Input 'version' is 2\.0\.0, but image template .* is already building 1\.0\.0/);
    assert.equal(world.azure.callsOf("startRun").length, 1);
  });

  it("a 409 on run while an identical run started the template meanwhile: adopts that build", async () => {
    const world = fakeWorld();
    world.azure.onCall("startRun", async (rgName, name) => {
      if (world.azure.callsOf("startRun").length === 1) {
        await world.azure.asAnotherRun((azure) => azure.startRun(rgName as string, name as string)); // the identical run wins
      }
    });
    const { code, host } = await runMain(world);
    assert.equal(code, 0, host.failed);
    assert.match(host.summary, /Adopted a build of/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
  });
});
