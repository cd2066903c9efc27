/**
 * The replication-timeout step: Image Builder gave up waiting on Azure Compute Gallery ("Error waiting on
 * Azure Compute Gallery … context deadline exceeded", AIB troubleshooting guide) while replication goes on.
 * A version that exists is tagged and reported Replicating, and nothing is pruned; one that does not exist
 * fails the run, publishing nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAGS } from "../../src/tags.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

const GALLERY_TIMEOUT =
  "Failed while distributing: Error waiting on Azure Compute Gallery future for resource group: rg-avd-images, gallery name: galAvd, gallery image name: win11-avd-m365.Error: Future#WaitForCompletion: context has been cancelled: StatusCode=200 -- Original Error: context deadline exceeded}";
const old = { tags: { [TAGS.managed]: "true" }, publishedDate: new Date(Date.now() - 400 * 86_400_000) };

describe("replication-timeout step", () => {
  it("the version exists and replicates: tagged, reported Replicating with how far each region got, nothing pruned, and the run succeeds", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "0.1.0", ...old });
    world.azure.scriptBuilds({
      end: "fail",
      at: "Distributing",
      message: GALLERY_TIMEOUT,
      versionLeft: {
        provisioningState: "Creating",
        replication: { aggregatedState: "InProgress", regions: [{ region: "West Europe", state: "Replicating", progress: 40 }] },
      },
    });

    const { code, host } = await runMain(world, { "keep-versions": "1" });

    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["run-state"], "Replicating");
    assert.equal(host.outputs["image-version"], "0.1.1");
    assert.equal(world.azure.version(...world.gallery, "0.1.1")!.tags[TAGS.managed], "true", "tagged");
    assert.deepEqual(world.azure.versionNames(...world.gallery).sort(), ["0.1.0", "0.1.1"], "nothing pruned while it replicates");
    const warning = host.messages("warning").find((m) => m.startsWith("Distribution timed out"))!;
    assert.match(warning, /not a customization timeout, and raising build-timeout-minutes does not help/);
    assert.match(warning, /West Europe: Replicating 40%/);
    assert.match(host.summary, /Image Builder timed out waiting for Azure Compute Gallery/);
  });

  it("the version does not exist: the run fails saying so, and nothing is tagged or pruned", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "0.1.0", ...old });
    world.azure.scriptBuilds({ end: "fail", at: "Distributing", message: GALLERY_TIMEOUT });

    const { code, host } = await runMain(world, { "keep-versions": "1" });

    assert.equal(code, 1);
    assert.match(host.failed!, /Image version 0\.1\.1 does not exist in the gallery, so nothing was published/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["0.1.0"]);
    assert.deepEqual(world.azure.callsOf("updateImageVersion"), []);
  });
});
