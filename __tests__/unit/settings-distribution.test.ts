/**
 * Inputs AVD admins ask for (README, Inputs): the GitHub OIDC `audience` following the cloud,
 * per-region replica storage (`region=replicas:Standard_ZRS`), `replication-mode`, `managed-resource-tags`
 * and `build-vm-identities` — parsed with errors naming the input, and what they put into the template.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import { SUBSCRIPTION, validInputs } from "../helpers/inputs.ts";
import { fakeRepository } from "../image-content/repository.ts";

const reader = (inputs: Record<string, string>) => (name: InputName) => inputs[name] ?? "";
const parse = (overrides: Record<string, string>) => parseSettings(reader(validInputs(overrides)));
const OIDC = { "client-id": SUBSCRIPTION, "tenant-id": SUBSCRIPTION };
const SOURCE: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  version: "26100.4349.250607",
};
const VERSION = { major: 1, minor: 0, patch: 0 };
const identity = (name: string, group = "rg-avd-images") =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

/** The one problem `overrides` cause: its input and message. */
function problem(overrides: Record<string, string>): { input: string; message: string } {
  try {
    parse(overrides);
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    assert.equal(error.problems.length, 1, error.message);
    return error.problems[0]!;
  }
  assert.fail(`no problem with ${JSON.stringify(overrides)}`);
}

describe("audience: the GitHub OIDC token's audience follows the cloud", () => {
  it("defaults to the token exchange audience of 'environment'", () => {
    const audienceOf = (environment: string) => {
      const auth = parse({ ...OIDC, environment }).auth;
      assert.equal(auth.kind, "oidc");
      return auth.kind === "oidc" ? auth.audience : "";
    };
    assert.equal(audienceOf("AzureCloud"), "api://AzureADTokenExchange");
    assert.equal(audienceOf("AzureUSGovernment"), "api://AzureADTokenExchangeUSGov");
    assert.equal(audienceOf("AzureChinaCloud"), "api://AzureADTokenExchangeChina");
  });

  it("keeps the named cloud's audience when arm-endpoint or authority-host override its endpoints", () => {
    const auth = parse({
      ...OIDC,
      environment: "AzureUSGovernment",
      "arm-endpoint": "https://127.0.0.1:8443",
      "authority-host": "https://127.0.0.1:8443",
    }).auth;
    assert.deepEqual(auth, { kind: "oidc", clientId: SUBSCRIPTION, tenantId: SUBSCRIPTION, audience: "api://AzureADTokenExchangeUSGov" });
  });

  it("an explicit 'audience' wins", () => {
    const auth = parse({ ...OIDC, audience: "api://contoso-avd-images" }).auth;
    assert.equal(auth.kind === "oidc" ? auth.audience : undefined, "api://contoso-avd-images");
  });

  it("refuses an audience with spaces, and an audience without GitHub OIDC sign-in, naming 'audience'", () => {
    assert.equal(problem({ ...OIDC, audience: "api://a b" }).input, "audience");
    const withoutOidc = problem({ audience: "api://AzureADTokenExchangeUSGov" });
    assert.equal(withoutOidc.input, "audience");
    assert.match(withoutOidc.message, /only to sign in with GitHub OIDC: set 'client-id' and 'tenant-id'/);
  });
});

describe("target-regions: region=replicas:StorageType", () => {
  it("gives a region its own replica storage, any case; others keep storage-account-type", () => {
    const settings = parse({ "target-regions": "westeurope=2:Standard_ZRS\nnortheurope=1:premium_lrs\nuksouth", "storage-account-type": "Standard_LRS" });
    assert.deepEqual(settings.targetRegions, [
      { name: "westeurope", replicaCount: 2, storageAccountType: "Standard_ZRS" },
      { name: "northeurope", replicaCount: 1, storageAccountType: "Premium_LRS" },
      { name: "uksouth", replicaCount: 1 },
    ]);
    const plan = buildTemplatePlan(settings, SOURCE, VERSION);
    const distributor = plan.template.distribute![0] as { targetRegions: unknown[] };
    assert.deepEqual(distributor.targetRegions, [
      { name: "westeurope", replicaCount: 2, storageAccountType: "Standard_ZRS" },
      { name: "northeurope", replicaCount: 1, storageAccountType: "Premium_LRS" },
      { name: "uksouth", replicaCount: 1, storageAccountType: "Standard_LRS" },
    ]);
  });

  it("refuses an unknown storage type and a storage type without a replica count, naming 'target-regions'", () => {
    const unknown = problem({ "target-regions": "westeurope=2:Premium_ZRS" });
    assert.equal(unknown.input, "target-regions");
    assert.match(unknown.message, /the storage type 'Premium_ZRS' must be one of Standard_LRS, Standard_ZRS, Premium_LRS, e\.g\. 'westeurope=2:Standard_ZRS'/);
    const noCount = problem({ "target-regions": "westeurope:Standard_ZRS" });
    assert.equal(noCount.input, "target-regions");
    assert.match(noCount.message, /must be 'region', 'region=replicas' or 'region=replicas:StorageType'/);
  });
});

describe("replication-mode", () => {
  it("defaults to Full, which the distributor omits (Image Builder's default); Shallow, in any case, reaches it", () => {
    assert.equal(parse({}).replicationMode, "Full");
    assert.equal("replicationMode" in (buildTemplatePlan(parse({ "replication-mode": "full" }), SOURCE, VERSION).template.distribute![0] as object), false);
    const shallow = parse({ "replication-mode": "shallow" });
    assert.equal(shallow.replicationMode, "Shallow");
    const distributor = buildTemplatePlan(shallow, SOURCE, VERSION).template.distribute![0] as { replicationMode?: string };
    assert.equal(distributor.replicationMode, "Shallow");
  });

  it("is PATCHable distribution, not part of the template hash", () => {
    assert.equal(buildTemplatePlan(parse({ "replication-mode": "Shallow" }), SOURCE, VERSION).hash, buildTemplatePlan(parse({}), SOURCE, VERSION).hash);
  });

  it("Shallow takes one target region with one replica, else it is refused naming 'replication-mode'", () => {
    assert.equal(parse({ "replication-mode": "Shallow", "target-regions": "westeurope=1" }).replicationMode, "Shallow");
    for (const regions of ["westeurope\nnortheurope", "westeurope=2"]) {
      const bad = problem({ "replication-mode": "Shallow", "target-regions": regions });
      assert.equal(bad.input, "replication-mode");
      assert.match(bad.message, /'Shallow' keeps the image version in one region with one replica, but 'target-regions' lists .*or use 'Full'/);
    }
    assert.equal(parse({ "replication-mode": "Full", "target-regions": "westeurope=2\nnortheurope" }).replicationMode, "Full");
  });

  it("refuses anything else, naming 'replication-mode'", () => {
    const bad = problem({ "replication-mode": "Deep" });
    assert.equal(bad.input, "replication-mode");
    assert.match(bad.message, /'Deep' must be 'Full' .* or 'Shallow'/);
  });
});

describe("managed-resource-tags", () => {
  it("become the template's managedResourceTags, and change the template hash (not PATCHable)", () => {
    const settings = parse({ "managed-resource-tags": "costCenter=4711\nowner = avd-team\n# comment" });
    assert.deepEqual(settings.managedResourceTags, { costCenter: "4711", owner: "avd-team" });
    const plan = buildTemplatePlan(settings, SOURCE, VERSION);
    assert.deepEqual(plan.template.managedResourceTags, { costCenter: "4711", owner: "avd-team" });
    assert.notEqual(plan.hash, buildTemplatePlan(parse({}), SOURCE, VERSION).hash);
    assert.equal(parse({}).managedResourceTags, undefined);
    assert.equal("managedResourceTags" in buildTemplatePlan(parse({}), SOURCE, VERSION).template, false, "no tags: the template has no managedResourceTags");
  });

  it("refuses a line without key=value or a forbidden tag name, naming 'managed-resource-tags'", () => {
    assert.equal(problem({ "managed-resource-tags": "costCenter" }).input, "managed-resource-tags");
    assert.match(problem({ "managed-resource-tags": "cost/center=1" }).message, /none of < > % & \\ \? \//);
  });
});

describe("build-vm-identities", () => {
  it("become vmProfile.userAssignedIdentities, outside the template hash (vmProfile is PATCHed on reuse)", () => {
    const ids = [identity("id-build-vm"), identity("id-keyvault-reader", "rg-secrets")];
    const settings = parse({ "build-vm-identities": `${ids[0]}\n\n${ids[1]}\n` });
    assert.deepEqual(settings.vmUserAssignedIdentities, ids);
    assert.equal(settings.vmUserAssignedIdentitiesInput, "build-vm-identities");
    const plan = buildTemplatePlan(settings, SOURCE, VERSION);
    assert.deepEqual(plan.template.vmProfile?.userAssignedIdentities, ids);
    assert.equal(plan.hash, buildTemplatePlan(parse({}), SOURCE, VERSION).hash);
    assert.equal(parse({}).vmUserAssignedIdentities, undefined);
  });

  it("refuses a line that is not a user-assigned identity ID, and a duplicate, naming 'build-vm-identities'", () => {
    const notIdentity = problem({ "build-vm-identities": `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv` });
    assert.equal(notIdentity.input, "build-vm-identities");
    assert.match(notIdentity.message, /must be the resource ID of a user-assigned managed identity/);
    const twice = problem({ "build-vm-identities": `${identity("a")}\n${identity("A")}` });
    assert.equal(twice.input, "build-vm-identities");
    assert.match(twice.message, /same identity twice/);
  });
});

describe("with a template file", () => {
  const file = [
    "managedResourceTags:",
    "  costCenter: '1000'",
    "  environment: prod",
    "vmProfile:",
    "  userAssignedIdentities:",
    `    - ${identity("id-from-file")}`,
    "",
  ].join("\n");
  const withFile = (overrides: Record<string, string>) =>
    parseSettings(reader(validInputs({ "template-file": "images/avd.yml", ...overrides })), (n) => n, fakeRepository({ "images/avd.yml": file }));

  it("managed-resource-tags add to the file's managedResourceTags, the input winning per key", () => {
    assert.deepEqual(withFile({}).managedResourceTags, { costCenter: "1000", environment: "prod" });
    assert.deepEqual(withFile({ "managed-resource-tags": "costCenter=4711\nowner=avd-team" }).managedResourceTags, {
      costCenter: "4711",
      environment: "prod",
      owner: "avd-team",
    });
  });

  it("build-vm-identities replace the file's vmProfile.userAssignedIdentities; the preflight names the input they came from", () => {
    const fromFile = withFile({});
    assert.deepEqual(fromFile.vmUserAssignedIdentities, [identity("id-from-file")]);
    assert.equal(fromFile.vmUserAssignedIdentitiesInput, "template-file");
    const fromInput = withFile({ "build-vm-identities": identity("id-from-input") });
    assert.deepEqual(fromInput.vmUserAssignedIdentities, [identity("id-from-input")]);
    assert.equal(fromInput.vmUserAssignedIdentitiesInput, "build-vm-identities");
  });
});
