/**
 * The emulator alone, driven with the Azure SDK (no product code, so no preflight), fails each build the
 * way Azure does — late, after the build VM ran — for the rules the action checks up front
 * (__tests__/e2e/azure-rules.test.ts). This proves each emulator rule is real.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type AvdDefaults, type Emulator, startEmulator } from "../../emulator/index.ts";
import { POLL_MS, avdTemplate, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

describe("emulator alone: Azure rules fail the build late", () => {
  let emu: Emulator;
  let avd: AvdDefaults;
  let azurite: Azurite;
  let untrust: () => void;
  let version = 0;
  before(async () => {
    azurite = await startAzurite();
    emu = await startEmulator({
      lroRetryAfterSeconds: null,
      phaseDurationsMs: { Queued: 10, Building: 10, Customizing: 10, Optimizing: 10, Validating: 10, Distributing: 10 },
      azurite,
    });
    untrust = trustEmulator(emu);
    avd = emu.seedAvdDefaults();
  });
  after(async () => {
    untrust();
    await emu.close();
    await azurite.stop();
  });

  /** Creates and runs a template; returns its last run status and the version it was to publish. */
  async function build(name: string, change: (template: any) => void = () => undefined) {
    const client = imageBuilderClient(emu);
    version += 1;
    const target = `1.0.${version}`;
    const template = avdTemplate({ identityId: avd.identityId, galleryImageId: `${avd.imageDefinitionId}/versions/${target}` });
    change(template);
    await client.virtualMachineImageTemplates.createOrUpdate(avd.resourceGroup, name, template, { updateIntervalInMs: POLL_MS });
    const run = await client.virtualMachineImageTemplates.run(avd.resourceGroup, name, { updateIntervalInMs: POLL_MS }).then(
      () => undefined,
      (e: Error) => e,
    );
    const status = (await client.virtualMachineImageTemplates.get(avd.resourceGroup, name)).lastRunStatus!;
    const published = emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).some((v) => v.name === target);
    return { status, runError: run, published };
  }

  describe("rule 1: target regions must hold the image definition's region", () => {
    it("a definition in another region than the target regions fails at Distributing with Compute's refusal", async () => {
      emu.seedGallery({ resourceGroup: avd.resourceGroup, name: "galNorth", location: "northeurope" });
      emu.seedImageDefinition({
        resourceGroup: avd.resourceGroup,
        gallery: "galNorth",
        name: "north",
        publisher: "c",
        offer: "o",
        sku: "north",
        osType: "Windows",
        osState: "Generalized",
        hyperVGeneration: "V2",
        securityType: "TrustedLaunchSupported",
      });
      const { status, published } = await build(
        "regions-miss",
        (t) =>
          (t.distribute[0].galleryImageId = t.distribute[0].galleryImageId.replace(
            `/galleries/${avd.gallery}/images/${avd.imageDefinition}/`,
            "/galleries/galNorth/images/north/",
          )),
      );
      assert.equal(status.runState, "Failed");
      assert.equal(status.runSubState, "Distributing");
      assert.match(
        status.message!,
        /Gallery image version publishing profile regions 'westeurope' must contain the location of image version 'North Europe'\./,
      );
      assert.equal(published, false);
      assert.equal(emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, "galNorth", "north").length, 0);
    });
  });

  describe("rule 7: buildTimeoutInMinutes 1-5", () => {
    it("fails early in the build (Building), packer refusing its configuration: client_jwt will expire within 5 minutes", async () => {
      const { status, runError, published } = await build("jwt-5", (t) => (t.buildTimeoutInMinutes = 5));
      assert.equal(status.runState, "Failed");
      assert.equal(status.runSubState, "Building");
      assert.match(status.message!, /Packer build command has failed: exit status 1/);
      assert.ok(runError, "the run LRO fails");
      assert.equal(published, false);
      const log = emu.buildLogs().at(-1)!.lines.join("\n");
      assert.match(log, /PACKER OUT Error: Failed to prepare build: "azure-arm"/);
      assert.match(log, /PACKER ERR .*\* client_jwt will expire within 5 minutes, please use a JWT that is valid for at least 5 minutes/);
    });

    it("6 minutes builds", async () => {
      const { status, published } = await build("jwt-6", (t) => (t.buildTimeoutInMinutes = 6));
      assert.equal(status.runState, "Succeeded");
      assert.equal(published, true);
    });
  });

  describe("rule 6: validate.continueDistributeOnFailure", () => {
    const validate = (continueDistributeOnFailure: boolean) => (t: any) => {
      t.validate = { continueDistributeOnFailure, inVMValidations: [{ type: "PowerShell", name: "smoke", inline: ["exit 1"] }] };
    };

    it("true: a failed validation still distributes the image version, and the run is Failed", async () => {
      emu.failNextBuild({ phase: "Validating", templateName: "validate-anyway" });
      const { status, published } = await build("validate-anyway", validate(true));
      assert.equal(status.runState, "Failed");
      assert.equal(published, true, "the version exists although validation failed");
    });

    it("false (the default): a failed validation publishes nothing", async () => {
      emu.failNextBuild({ phase: "Validating", templateName: "validate-strict" });
      const { status, published } = await build("validate-strict", validate(false));
      assert.equal(status.runState, "Failed");
      assert.equal(status.runSubState, "Validating");
      assert.equal(published, false);
    });
  });
});
