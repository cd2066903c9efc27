/**
 * The emulator, like Azure, refuses a source that does not fit the gallery image definition only when
 * the version is created — at distribution, after the whole build. (The action's preflight catches it
 * before anything is written: __tests__/e2e/preflight.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AvdDefaults, type Emulator, startEmulator } from "../../emulator/index.ts";
import { POLL_MS, avdTemplate, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

describe("emulator: source and definition fit, checked at distribution", () => {
  let emu: Emulator;
  let avd: AvdDefaults;
  let untrust: () => void;
  before(async () => {
    emu = await startEmulator({
      lroRetryAfterSeconds: null,
      phaseDurationsMs: { Queued: 10, Building: 10, Customizing: 10, Optimizing: 10, Validating: 10, Distributing: 10 },
    });
    untrust = trustEmulator(emu);
    avd = emu.seedAvdDefaults();
    const definition = {
      resourceGroup: avd.resourceGroup,
      gallery: avd.gallery,
      publisher: "c",
      offer: "o",
      osType: "Windows" as const,
      osState: "Generalized" as const,
    };
    emu.seedImageDefinition({ ...definition, name: "gen1", sku: "g1", hyperVGeneration: "V1" });
    emu.seedImageDefinition({ ...definition, name: "tl", sku: "tl", hyperVGeneration: "V2", securityType: "TrustedLaunch" });
    emu.seedImageDefinition({ ...definition, name: "standard-gen2", sku: "std2", hyperVGeneration: "V2" });
    emu.seedImageDefinition({ ...definition, name: "tls", sku: "tls", hyperVGeneration: "V2", securityType: "TrustedLaunchSupported" });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "MicrosoftWindowsDesktop",
      offer: "office-365",
      sku: "win11-trustedlaunch",
      versions: ["1.0.0"],
      hyperVGeneration: "V2",
      securityType: "TrustedLaunch",
    });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "MicrosoftWindowsDesktop",
      offer: "office-365",
      sku: "win11-cvm",
      versions: ["1.0.0"],
      hyperVGeneration: "V2",
      securityType: "ConfidentialVM",
    });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "MicrosoftWindowsDesktop",
      offer: "office-365",
      sku: "win11-standard",
      versions: ["1.0.0"],
      hyperVGeneration: "V2",
      securityType: "Standard",
    });
  });
  after(async () => {
    untrust();
    await emu.close();
  });

  async function build(name: string, definition: string, sku?: string) {
    const client = imageBuilderClient(emu);
    const template = avdTemplate({ identityId: avd.identityId, galleryImageId: `${avd.galleryId}/images/${definition}/versions/1.0.0` });
    if (sku) template.source = { ...template.source, sku, version: "1.0.0" };
    await client.virtualMachineImageTemplates.createOrUpdate(avd.resourceGroup, name, template, { updateIntervalInMs: POLL_MS });
    await client.virtualMachineImageTemplates.run(avd.resourceGroup, name, { updateIntervalInMs: POLL_MS }).catch(() => undefined);
    return (await client.virtualMachineImageTemplates.get(avd.resourceGroup, name)).lastRunStatus!;
  }

  it("a Gen2 source into a Gen1 definition fails at Distributing", async () => {
    const status = await build("gen-mismatch", "gen1");
    assert.equal(status.runState, "Failed");
    assert.equal(status.runSubState, "Distributing");
    assert.match(status.message!, /HyperVGeneration 'V2' does not match the HyperVGeneration 'V1'/);
  });

  it("a source without Trusted Launch into a TrustedLaunch definition fails at Distributing", async () => {
    const status = await build("tl-mismatch", "tl", "win11-standard");
    assert.equal(status.runState, "Failed");
    assert.equal(status.runSubState, "Distributing");
    assert.match(
      status.message!,
      /The source image with SecurityType 'Standard' cannot be published to the gallery image definition with SecurityType 'TrustedLaunch'/,
    );
  });

  // Rule 2 (Learn, VM Image Builder overview, "Confidential VM and Trusted Launch support"); the product's
  // preflight refuses these before any write (__tests__/e2e/azure-rules.test.ts).
  it("a TrustedLaunchSupported source into an existing Standard Gen2 definition fails at Distributing", async () => {
    const status = await build("tls-into-standard", "standard-gen2");
    assert.equal(status.runState, "Failed");
    assert.equal(status.runSubState, "Distributing");
    assert.match(
      status.message!,
      /SecurityType 'TrustedLaunchSupported' cannot be published to the gallery image definition with SecurityType 'Standard'; the source and the distribution must both be TrustedLaunchSupported, or both Standard/,
    );
  });

  it("a Standard source into a TrustedLaunchSupported definition fails at Distributing", async () => {
    const status = await build("standard-into-tls", "tls", "win11-standard");
    assert.equal(status.runState, "Failed");
    assert.match(status.message!, /SecurityType 'Standard' cannot be published to the gallery image definition with SecurityType 'TrustedLaunchSupported'/);
  });

  for (const sku of ["win11-trustedlaunch", "win11-cvm"]) {
    it(`a ${sku === "win11-cvm" ? "ConfidentialVM" : "TrustedLaunch"} source is not supported as a source image: fails at Distributing`, async () => {
      const status = await build(`source-${sku}`, "tls", sku);
      assert.equal(status.runState, "Failed");
      assert.equal(status.runSubState, "Distributing");
      assert.match(status.message!, /which is not supported as a source image/);
    });
  }

  it("a fitting source is published", async () => {
    assert.equal((await build("fits", avd.imageDefinition)).runState, "Succeeded");
  });
});
