/**
 * Availability zones and zone-redundant replicas, as Azure has them:
 * - Subscriptions_ListLocations (2022-12-01) gives a region with availability zones its
 *   `availabilityZoneMappings` (logical zone → physical zone), in the shape of the spec's GetLocations.json
 *   example; a region without zones has none.
 * - a template's `managedResourceTags` are on the resources Image Builder creates in the staging group
 *   (imagebuilder.json 2025-10-01: "Tags that will be applied to the resource group and/or resources
 *   created by the service"), here its storage account;
 * - Standard_ZRS replicas in a region without zones fail the build late, at Distributing, after the whole
 *   build (Azure/avdaccelerator PR #289: a West US ZRS build failed). The action's preflight refuses it
 *   before any write (__tests__/e2e/distribution-inputs.test.ts); these tests bypass the product.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type AvdDefaults, type Emulator, startEmulator } from "../../emulator/index.ts";
import { FAST_RETRY, POLL_MS, avdTemplate, computeClient, imageBuilderClient, raw, secretCredential } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const EXAMPLE = JSON.parse(
  readFileSync(
    new URL(
      "../fixtures/azure-specs/specification/resources/resource-manager/Microsoft.Resources/subscriptions/stable/2022-12-01/examples/GetLocations.json",
      import.meta.url,
    ),
    "utf8",
  ),
) as { responses: { 200: { body: { value: Record<string, unknown>[] } } } };

describe("emulator: availability zones and zone-redundant replicas", () => {
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
  });
  after(async () => {
    untrust();
    await emu.close();
  });

  it("lists availabilityZoneMappings for regions with zones, shaped like the spec example, and none for zoneless regions", async () => {
    const client = new SubscriptionClient(secretCredential(emu), { endpoint: emu.url, retryOptions: FAST_RETRY });
    const locations = new Map<string, { availabilityZoneMappings?: { logicalZone?: string; physicalZone?: string }[] }>();
    for await (const l of client.subscriptions.listLocations(avd.subscriptionId)) locations.set(l.name!, l);
    const sample = EXAMPLE.responses[200].body.value[0]!.availabilityZoneMappings as { logicalZone: string; physicalZone: string }[];
    const westeurope = locations.get("westeurope")!.availabilityZoneMappings!;
    assert.deepEqual(
      westeurope.map((m) => m.logicalZone),
      sample.map((m) => m.logicalZone),
    );
    for (const m of westeurope) assert.match(m.physicalZone!, /^westeurope-az[123]$/, "physical zones are named <region>-az<N>, as in the example");
    assert.deepEqual(Object.keys(westeurope[0]!).sort(), Object.keys(sample[0]!).sort());
    for (const zoneless of ["westus", "northcentralus", "westcentralus", "ukwest"]) {
      assert.equal(locations.get(zoneless)?.availabilityZoneMappings, undefined, zoneless);
    }
  });

  async function build(name: string, targetRegions: Record<string, unknown>[], replicationMode?: string) {
    const client = imageBuilderClient(emu);
    const template = avdTemplate({
      identityId: avd.identityId,
      galleryImageId: `${avd.galleryId}/images/${avd.imageDefinition}/versions/${name === "zrs-zoned" ? "2.0.0" : name === "shallow-one" ? "2.0.2" : "2.0.1"}`,
    });
    template.distribute[0].targetRegions = targetRegions;
    if (replicationMode) template.distribute[0].replicationMode = replicationMode;
    await client.virtualMachineImageTemplates.createOrUpdate(avd.resourceGroup, name, template, { updateIntervalInMs: POLL_MS });
    await client.virtualMachineImageTemplates.run(avd.resourceGroup, name, { updateIntervalInMs: POLL_MS }).catch(() => undefined);
    return (await client.virtualMachineImageTemplates.get(avd.resourceGroup, name)).lastRunStatus!;
  }

  it("Standard_ZRS replicas in a region without zones fail the build at Distributing, and no version is created", async () => {
    const status = await build("zrs-zoneless", [
      { name: "westeurope", replicaCount: 1, storageAccountType: "Standard_LRS" },
      { name: "westus", replicaCount: 1, storageAccountType: "Standard_ZRS" },
    ]);
    assert.equal(status.runState, "Failed");
    assert.equal(status.runSubState, "Distributing");
    assert.match(
      status.message!,
      /Failed in distributing 1 images out of total 1: .*The storage account type 'Standard_ZRS' is not supported in region 'westus'/,
    );
    const versions = emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).map((v) => v.name);
    assert.ok(!versions.includes("2.0.1"), versions.join(", "));
  });

  it("Shallow replication to another region or with more replicas fails at Distributing", async () => {
    for (const [name, regions] of [
      [
        "shallow-two-regions",
        [
          { name: "westeurope", replicaCount: 1 },
          { name: "northeurope", replicaCount: 1 },
        ],
      ],
      ["shallow-two-replicas", [{ name: "westeurope", replicaCount: 2 }]],
    ] as const) {
      const status = await build(
        name,
        regions.map((r) => ({ ...r })),
        "Shallow",
      );
      assert.equal(status.runState, "Failed", name);
      assert.equal(status.runSubState, "Distributing", name);
      assert.match(status.message!, /Replication mode 'Shallow' supports only the image version's region 'westeurope' with 1 replica/, name);
    }
  });

  it("Standard_ZRS in regions with zones is published, each region with its storage type, and the replication mode kept", async () => {
    const status = await build(
      "zrs-zoned",
      [
        { name: "westeurope", replicaCount: 2, storageAccountType: "Standard_ZRS" },
        { name: "northeurope", replicaCount: 1, storageAccountType: "Standard_LRS" },
      ],
      "Full",
    );
    assert.equal(status.runState, "Succeeded", status.message);
    const version = await computeClient(emu).galleryImageVersions.get(avd.resourceGroup, avd.gallery, avd.imageDefinition, "2.0.0");
    const profile = version.publishingProfile!;
    assert.deepEqual(
      profile.targetRegions!.map((r) => [r.name, r.regionalReplicaCount, r.storageAccountType]),
      [
        ["West Europe", 2, "Standard_ZRS"],
        ["North Europe", 1, "Standard_LRS"],
      ],
    );
    assert.equal(profile.replicationMode, "Full");
    const shallow = await build("shallow-one", [{ name: "westeurope", replicaCount: 1, storageAccountType: "Standard_ZRS" }], "Shallow");
    assert.equal(shallow.runState, "Succeeded", shallow.message);
    const shallowVersion = await computeClient(emu).galleryImageVersions.get(avd.resourceGroup, avd.gallery, avd.imageDefinition, "2.0.2");
    assert.equal(shallowVersion.publishingProfile!.replicationMode, "Shallow");
  });
});

describe("emulator: managedResourceTags on the staging resources", () => {
  let emu: Emulator;
  let avd: AvdDefaults;
  let azurite: Azurite;
  let untrust: () => void;
  before(async () => {
    azurite = await startAzurite();
    emu = await startEmulator({ lroRetryAfterSeconds: null, azurite });
    untrust = trustEmulator(emu);
    avd = emu.seedAvdDefaults();
  });
  after(async () => {
    untrust();
    await emu.close();
    await azurite.stop();
  });

  it("a template's managedResourceTags are on the staging storage account", async () => {
    const client = imageBuilderClient(emu);
    const template = avdTemplate({ identityId: avd.identityId, galleryImageId: `${avd.galleryId}/images/${avd.imageDefinition}/versions/2.1.0` });
    template.managedResourceTags = { costCenter: "4711" };
    const created = await client.virtualMachineImageTemplates.createOrUpdate(avd.resourceGroup, "tagged-staging", template, { updateIntervalInMs: POLL_MS });
    const staging = created.exactStagingResourceGroup!;
    const list = await raw(emu, "GET", `${staging}/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.value.map((a: { tags: Record<string, string> }) => a.tags),
      [{ costCenter: "4711" }],
    );
  });
});
