/**
 * Issue 10 rule 8, end to end: a distribution (replication) timeout is not a customization timeout.
 * Image Builder troubleshooting guide, "Error waiting on Azure Compute Gallery … context deadline
 * exceeded": the build had succeeded and replication goes on. The run reads the version and its
 * replication status, tags it, says so honestly, and leaves pruning to a later run. And the emulator
 * alone, the product's handling bypassed: the run fails late, at Distributing, while the version exists
 * and is still replicating.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, seedManagedVersions, startScenario } from "../helpers/scenario.ts";

const GALLERY_WAIT =
  /\[Distribute 0\] Error publishing MDI to Azure Compute Gallery:.*Error: Error waiting on Azure Compute Gallery future for resource group: rg-avd-images, gallery name: galAvd, gallery image name: win11-avd-m365\.Error: Future#WaitForCompletion: context has been cancelled: StatusCode=200 -- Original Error: context deadline exceeded\}/;

describe("a distribution timeout (the gallery wait), end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
    seedManagedVersions(s, ["1.0.0", "1.0.1"]);
  });
  after(() => s.emu.close());

  const version = (name: string) =>
    s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === name);

  it("the version exists and replicates: it is tagged, the run says so (not a customization timeout), nothing is pruned", async () => {
    s.emu.nextBuild({ replicationTimeout: {} });
    const run = await s.run({ "keep-versions": "1" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["image-version"], "1.0.2");
    assert.equal(run.outputs["run-state"], "Replicating");
    const v = version("1.0.2")!;
    assert.equal(v.properties.provisioningState, "Creating", "replication still in progress");
    assert.equal(v.tags["avd-image-action.managed"], "true", "tagged");
    assert.ok(v.tags["avd-image-action.template"]);
    assert.match(
      run.stdout,
      /::warning::Distribution timed out: Image Builder stopped waiting for Azure Compute Gallery to add and replicate image version 1\.0\.2 \('context deadline exceeded'\)\. The customization had finished: this is not a customization timeout/,
    );
    // (%25: the workflow command's escape of %.)
    assert.match(
      run.stdout,
      /Image version 1\.0\.2 exists \(provisioning Creating; West Europe: Replicating 50%25\) and Azure goes on replicating it; it was tagged\./,
    );
    assert.doesNotMatch(run.stdout, /Timed out: Image Builder stopped the build/);
    assert.ok(version("1.0.0") && version("1.0.1"), "keep-versions 1, yet nothing pruned while 1.0.2 replicates");
    assert.match(run.summary, /Image Builder timed out waiting for Azure Compute Gallery \(the distribution, not the customization\)/);
  });

  it("the version was never created: the run fails naming the distribution timeout, not build-timeout-minutes", async () => {
    s.emu.nextBuild({ replicationTimeout: { versionCreated: false } });
    const run = await s.run({ "inline-script": "Write-Host 'other'" });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(
      run.stdout,
      /::error::Distribution timed out: Image Builder stopped waiting for Azure Compute Gallery to add and replicate image version 1\.0\.3 .*not a customization timeout.*Image version 1\.0\.3 does not exist in the gallery, so nothing was published\./,
    );
    assert.doesNotMatch(run.stdout, /Timed out: Image Builder stopped the build/);
    assert.equal(version("1.0.3"), undefined);
  });
});

describe("the emulator alone: the gallery wait timeout fails the run late, at Distributing, while the version replicates", () => {
  let s: Scenario;
  let untrust: () => void;
  before(async () => {
    s = await startScenario();
    untrust = trustEmulator(s.emu);
  });
  after(async () => {
    untrust();
    await s.emu.close();
  });

  it("a build nobody follows ends Failed with the troubleshooting guide's message; the version exists, Creating, and its run output names it", async () => {
    s.emu.nextBuild({ replicationTimeout: { completeAfterMs: 300 } });
    const submitted = await s.run({ wait: "false" });
    assert.equal(submitted.exitCode, 0, submitted.stdout);
    const [name] = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).map((t) => String(t.name));
    const ib = imageBuilderClient(s.emu);
    let template = await ib.virtualMachineImageTemplates.get(s.avd.resourceGroup, name!);
    for (let i = 0; i < 200 && template.lastRunStatus?.runState === "Running"; i++) {
      await sleep(25);
      template = await ib.virtualMachineImageTemplates.get(s.avd.resourceGroup, name!);
    }
    assert.equal(template.lastRunStatus?.runState, "Failed");
    assert.equal(template.lastRunStatus?.runSubState, "Distributing", "late: after the whole build");
    assert.match(template.lastRunStatus?.message ?? "", /^Failed in distributing 1 images out of total 1: /);
    assert.match(template.lastRunStatus?.message ?? "", GALLERY_WAIT);
    const output = await ib.virtualMachineImageTemplates.getRunOutput(s.avd.resourceGroup, name!, s.avd.imageDefinition);
    assert.match(output.artifactId ?? "", /\/versions\/1\.0\.0$/);
    const versions = () => s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
    assert.equal(versions().find((v) => v.name === "1.0.0")?.properties.provisioningState, "Creating");
    await sleep(400);
    assert.equal(versions().find((v) => v.name === "1.0.0")?.properties.provisioningState, "Succeeded", "replication went on and completed");
  });
});
