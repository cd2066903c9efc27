/**
 * The changelog end to end: the bundle, spawned as the GitHub runner spawns it, builds twice against the
 * emulator (with Azurite: each build writes its customization.log). Between the runs a new marketplace
 * version appears and the inline script changes; the second run's summary, `changelog` output and the
 * new version's tags name the previous version and what changed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { POLL_MS, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const NEW_MARKETPLACE_VERSION = "26100.10001.250708";

describe("changelog against the previous version, end to end", () => {
  let azurite: Azurite;
  let s: Scenario;
  let untrust: () => void;
  before(async () => {
    azurite = await startAzurite();
    s = await startScenario({ azurite });
    untrust = trustEmulator(s.emu);
  });
  after(async () => {
    untrust();
    await s.emu.close();
    await azurite.stop();
  });

  it("a new marketplace version and a changed inline-script: the second run names 1.0.0, old → new exact version, inline-script changed, the KBs installed", async () => {
    const first = await s.run({ "inline-script": "Write-Host 'Contoso baseline v1'" });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.equal(first.outputs["image-version"], "1.0.0");
    assert.match(first.outputs.changelog!, /First version of this image definition/);

    const { publisher, offer, sku } = s.avd.marketplace;
    s.emu.seedMarketplaceImage({ location: s.avd.location, publisher, offer, sku, versions: [NEW_MARKETPLACE_VERSION] });
    s.emu.setImageContent({
      updates: [{ title: "2025-07 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5062553)", date: "2025-07-08", sizeMb: 4302.1 }],
    });
    const second = await s.run({ "inline-script": "Write-Host 'Contoso baseline v2'" });
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    assert.equal(second.outputs["image-version"], "1.0.1");
    const changelog = second.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.0$/m);
    assert.match(changelog, new RegExp(`Source version: \`26100\\.10000\\.250610\` → \`${NEW_MARKETPLACE_VERSION.replace(/\./g, "\\.")}\``));
    assert.match(changelog, /Customizer changed: `inline-script` \(PowerShell\): inline sha256:[0-9a-f]{12}… → inline sha256:[0-9a-f]{12}…/);
    assert.match(changelog, /Template hash: `[0-9a-f]{12}` → `[0-9a-f]{12}`/);
    assert.match(changelog, /\*\*KB5062553\*\* 2025-07 Cumulative Update for Windows 11/);
    assert.doesNotMatch(changelog, /KB5060842/, "only this build's updates");
    assert.match(changelog, /Build duration: \d+\.\d min \(1\.0\.0: \d+\.\d min\)/);
    assert.ok(second.summary.includes(changelog.trim()), "the job summary holds the same section");

    const versions = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
    assert.equal(versions.find((v) => v.name === "1.0.1")!.tags["avd-image-action.previous-version"], "1.0.0");
    assert.equal(versions.find((v) => v.name === "1.0.0")!.tags["avd-image-action.previous-version"], undefined, "the first version has none");
  });

  it("an unchanged rebuild says nothing changed in what goes into the image, then lists only the updates installed", async () => {
    s.emu.setImageContent({ updates: [{ title: "Windows Malicious Software Removal Tool x64 - v5.138 (KB890830)", date: "2025-07-08", sizeMb: 81.2 }] });
    const run = await s.run({ "inline-script": "Write-Host 'Contoso baseline v2'" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const changelog = run.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.1$/m);
    assert.match(changelog, /Nothing changed in what goes into the image/);
    assert.match(changelog, /\*\*KB890830\*\* Windows Malicious Software Removal Tool/);
    assert.doesNotMatch(changelog, /Customizer|Source version|Template hash|Build setting/);
  });

  it("with the previous version's image template already deleted, says what it could not compare, and succeeds", async () => {
    const previous = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === "1.0.2")!;
    const templateName = previous.tags["avd-image-action.template"]!;
    await imageBuilderClient(s.emu).virtualMachineImageTemplates.beginDeleteAndWait(s.avd.resourceGroup, templateName, { updateIntervalInMs: POLL_MS });
    const run = await s.run({ "inline-script": "Write-Host 'Contoso baseline v3'" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const changelog = run.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.2$/m);
    assert.match(changelog, new RegExp(`Not compared: Customizers: the image template ${templateName} of 1\\.0\\.2 no longer exists\\.`));
    assert.match(changelog, /Not compared: Build settings: /);
    assert.match(changelog, /Template hash: `[0-9a-f]{12}` → `[0-9a-f]{12}`/, "the tags still give the hash");
    assert.doesNotMatch(changelog, /Source version/, "same source version, from the tags");
  });

  it("a dry run shows the changelog it would produce, and writes nothing", async () => {
    s.emu.resetLog();
    const run = await s.run({ "inline-script": "Write-Host 'Contoso baseline v4'", "vm-size": "Standard_D8s_v5", "dry-run": "true" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs["run-state"], "DryRun");
    const changelog = run.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.3 \(planned\)$/m);
    assert.match(changelog, /Customizer changed: `inline-script`/);
    assert.match(changelog, /Build setting vmSize: `Standard_D4s_v5` → `Standard_D8s_v5`/);
    assert.match(changelog, /Windows updates: known after the build/);
    assert.ok(run.summary.includes(changelog.trim()), "in the job summary too");
    assert.equal(run.outputs["manifest-path"], "", "no manifest: nothing was published");
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
