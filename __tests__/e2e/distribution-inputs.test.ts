/**
 * Issue 10 rules 10 and 11 end to end, against the bundle and the emulator: the GitHub OIDC `audience`,
 * per-region replica storage with its availability-zone check, `replication-mode`, `managed-resource-tags`
 * and `build-vm-identities`. Each new input reaches the template and the gallery image version; each
 * misconfiguration is refused in seconds, naming the input, with zero writes. (That the emulator alone
 * fails zone-redundant replicas in a zoneless region late, at Distributing: __tests__/emulator/zone-redundancy.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

const CLIENT_USGOV_AUDIENCE = "7c1b7a52-5c2e-4c4e-9a55-0d3b8e8a6f01";

describe("distribution and build VM inputs, end to end", () => {
  let s: Scenario;
  let buildVmIdentity: string;
  before(async () => {
    s = await startScenario();
    buildVmIdentity = s.emu.seedUserAssignedIdentity({ resourceGroup: s.avd.resourceGroup, name: "id-keyvault-reader" }).id;
    // A definition in UK West (no availability zones): its version's default target region.
    s.emu.seedAvdImageDefinition("win11-ukwest", { location: "ukwest", sku: "ukw" });
    // An app whose only federated credential expects the US Government audience.
    s.emu.registerApp({
      clientId: CLIENT_USGOV_AUDIENCE,
      federated: [{ issuer: s.emu.defaults.githubIssuer, subject: s.emu.defaults.githubSubject, audiences: ["api://AzureADTokenExchangeUSGov"] }],
    });
  });
  after(() => s.emu.close());

  const templatePut = () =>
    s.emu.requests.find((r) => r.method === "PUT" && /\/imageTemplates\//i.test(r.path))?.body as { properties: Record<string, any> } | undefined;

  it("each new input reaches the template and the published image version", async () => {
    s.emu.resetLog();
    const run = await s.run({
      "target-regions": "westeurope=2:Standard_ZRS\nnortheurope=1",
      "managed-resource-tags": "costCenter=4711\nowner=avd-team",
      "build-vm-identities": buildVmIdentity,
      version: "3.0.0",
    });
    assert.equal(run.exitCode, 0, run.stdout);
    const put = templatePut();
    assert.ok(put, "the template was created");
    assert.deepEqual(put.properties.managedResourceTags, { costCenter: "4711", owner: "avd-team" });
    assert.deepEqual(put.properties.vmProfile.userAssignedIdentities, [buildVmIdentity]);
    const distributor = put.properties.distribute[0];
    assert.equal(distributor.replicationMode, undefined, "Full is Image Builder's default: omitted");
    assert.deepEqual(distributor.targetRegions, [
      { name: "westeurope", replicaCount: 2, storageAccountType: "Standard_ZRS" },
      { name: "northeurope", replicaCount: 1, storageAccountType: "Standard_LRS" },
    ]);
    assert.ok(versionNames(s).includes("3.0.0"));
    const version = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === "3.0.0")!;
    const profile = version.properties.publishingProfile as {
      replicationMode: string;
      targetRegions: { name: string; storageAccountType: string; regionalReplicaCount: number }[];
    };
    assert.equal(profile.replicationMode, "Full");
    assert.deepEqual(
      profile.targetRegions.map((r) => [r.name, r.regionalReplicaCount, r.storageAccountType]),
      [
        ["West Europe", 2, "Standard_ZRS"],
        ["North Europe", 1, "Standard_LRS"],
      ],
    );
  });

  it("other build VM identities reuse the template (vmProfile is patchable, outside the hash) and PATCH them", async () => {
    const second = s.emu.seedUserAssignedIdentity({ resourceGroup: s.avd.resourceGroup, name: "id-storage-reader" }).id;
    s.emu.resetLog();
    const run = await s.run({
      "target-regions": "westeurope=2:Standard_ZRS\nnortheurope=1",
      "managed-resource-tags": "costCenter=4711\nowner=avd-team",
      "build-vm-identities": `${buildVmIdentity}\n${second}`,
      version: "3.0.1",
    });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["template-reused"], "true");
    assert.equal(templatePut(), undefined, "no new template");
    const patch = s.emu.requests.find((r) => r.method === "PATCH" && /\/imageTemplates\//i.test(r.path))?.body as {
      properties: { vmProfile: { userAssignedIdentities: string[] } };
    };
    assert.deepEqual(patch.properties.vmProfile.userAssignedIdentities, [buildVmIdentity, second]);
  });

  it("replication-mode Shallow reaches the distributor and the published version", async () => {
    s.emu.resetLog();
    const run = await s.run({ "replication-mode": "Shallow", "target-regions": "westeurope=1:Premium_LRS", version: "4.0.0", "keep-versions": "0" });
    assert.equal(run.exitCode, 0, run.stdout);
    const put = s.emu.requests.find((r) => r.method === "PUT" && /\/imageTemplates\//i.test(r.path));
    const patch = s.emu.requests.find((r) => r.method === "PATCH" && /\/imageTemplates\//i.test(r.path));
    const distributor = ((put ?? patch)!.body as { properties: { distribute: Record<string, unknown>[] } }).properties.distribute[0]!;
    assert.equal(distributor.replicationMode, "Shallow");
    const version = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === "4.0.0")!;
    assert.equal((version.properties.publishingProfile as { replicationMode: string }).replicationMode, "Shallow");
  });

  const refusals: { name: string; inputs: () => Record<string, string>; input: string; expect: RegExp }[] = [
    {
      name: "Standard_ZRS replicas in a region without availability zones (target-regions)",
      inputs: () => ({ "target-regions": "westeurope=1:Standard_ZRS\nwestus=1:Standard_ZRS" }),
      input: "target-regions",
      expect: /region 'westus' has no availability zones in subscription .* cannot be Standard_ZRS\. Give it Standard_LRS \('westus=1:Standard_LRS'/,
    },
    {
      name: "storage-account-type Standard_ZRS with a zoneless target region",
      inputs: () => ({ "target-regions": "westeurope\nukwest=2", "storage-account-type": "Standard_ZRS" }),
      input: "storage-account-type",
      expect: /region 'ukwest' has no availability zones .* cannot be Standard_ZRS/,
    },
    {
      name: "storage-account-type Standard_ZRS with no target-regions, for a definition in a zoneless region",
      inputs: () => ({ "image-definition": "win11-ukwest", "storage-account-type": "Standard_ZRS" }),
      input: "storage-account-type",
      expect: /region 'ukwest' has no availability zones .* cannot be Standard_ZRS/,
    },
    {
      name: "a build VM identity that does not exist",
      inputs: () => ({ "build-vm-identities": `${buildVmIdentity}\n${buildVmIdentity.replace(/[^/]+$/, "id-missing")}` }),
      input: "build-vm-identities",
      expect: /user-assigned managed identity 'id-missing' .* given to the build VM does not exist in resource group/,
    },
    {
      name: "an unknown replica storage type",
      inputs: () => ({ "target-regions": "westeurope=1:Standard_GRS" }),
      input: "target-regions",
      expect: /the storage type 'Standard_GRS' must be one of Standard_LRS, Standard_ZRS, Premium_LRS/,
    },
    {
      name: "Shallow replication to two regions",
      inputs: () => ({ "replication-mode": "Shallow", "target-regions": "westeurope\nnortheurope" }),
      input: "replication-mode",
      expect: /'Shallow' keeps the image version in one region with one replica/,
    },
    {
      name: "an unknown replication mode",
      inputs: () => ({ "replication-mode": "Deep" }),
      input: "replication-mode",
      expect: /'Deep' must be 'Full'/,
    },
  ];
  for (const c of refusals) {
    it(`${c.name}: refused in seconds, naming '${c.input}', nothing written`, async () => {
      s.emu.resetLog();
      const run = await s.run(c.inputs());
      assert.equal(run.exitCode, 1, run.stdout);
      assert.match(run.stdout, new RegExp(`::error::.*Input '${c.input}'`));
      assert.match(run.stdout, c.expect);
      assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
      assert.deepEqual(s.emu.writeRequests(), []);
    });
  }

  it("audience: the OIDC token is asked for with the 'audience' input, and a credential expecting another audience refuses the default", async () => {
    s.emu.resetLog();
    const withAudience = await s.run({ "client-id": CLIENT_USGOV_AUDIENCE, audience: "api://AzureADTokenExchangeUSGov", "dry-run": "true" });
    assert.equal(withAudience.exitCode, 0, withAudience.stdout);
    const asked = s.emu.requests.filter((r) => /\/github\/oidc\/token/.test(r.path)).map((r) => r.query.audience);
    assert.ok(asked.length > 0 && asked.every((a) => a === "api://AzureADTokenExchangeUSGov"), JSON.stringify(asked));

    s.emu.resetLog();
    const withDefault = await s.run({ "client-id": CLIENT_USGOV_AUDIENCE, "dry-run": "true" });
    assert.equal(withDefault.exitCode, 1, withDefault.stdout);
    assert.match(withDefault.stdout, /No matching federated identity record found for presented assertion audience 'api:\/\/AzureADTokenExchange'/);
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
