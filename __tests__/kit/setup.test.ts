/**
 * setup/: its outputs are the action's inputs, and its custom roles grant exactly what the action's Azure
 * calls (documented at the top of each src/azure/ file) and Image Builder need, at the narrowest scope.
 * No Bicep compiler installs offline (npm has only wrappers that download one; Debian has none), so the
 * Bicep's structure is checked here: brackets, resources, module parameters, outputs, role lists.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { AZURE_CLOUDS } from "../../src/cloud.ts";
import {
  actionInputs,
  bashJustifiedArray,
  bicepBlock,
  bicepJustifiedArray,
  bicepOutputs,
  bicepParams,
  bicepResources,
  bracketProblems,
  camel,
  kebab,
  list,
  literal,
  objectKeys,
  read,
  root,
} from "./kit-helpers.ts";

const MAIN = read("setup/main.bicep");
const MODULE = read("setup/resource-group.bicep");
const SCRIPT = read("setup/setup.sh");

const TEMPLATES = "Microsoft.VirtualMachineImages/imageTemplates";
const VERSIONS = "Microsoft.Compute/galleries/images/versions";
const MARKETPLACE_READ = "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read";

type Scope = "resourceGroup" | "subscription" | "container";
type Grant = { actions: string[]; scope: Scope } | { notGranted: string };

/**
 * What each Azure operation the action calls needs (Azure's resource provider operations). Operations
 * the action might call but does not yet are listed too, so a new call fails with the action it needs.
 */
const OPERATION_PERMISSIONS: Record<string, Grant> = {
  VirtualMachineImageTemplates_Get: { actions: [`${TEMPLATES}/read`], scope: "resourceGroup" },
  VirtualMachineImageTemplates_ListByResourceGroup: { actions: [`${TEMPLATES}/read`], scope: "resourceGroup" },
  // A body naming a user-assigned identity makes ARM check that the caller may assign it (linked access check).
  VirtualMachineImageTemplates_CreateOrUpdate: {
    actions: [`${TEMPLATES}/write`, "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"],
    scope: "resourceGroup",
  },
  VirtualMachineImageTemplates_Update: {
    actions: [`${TEMPLATES}/write`, "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"],
    scope: "resourceGroup",
  },
  VirtualMachineImageTemplates_Delete: { actions: [`${TEMPLATES}/delete`], scope: "resourceGroup" },
  VirtualMachineImageTemplates_Run: { actions: [`${TEMPLATES}/run/action`], scope: "resourceGroup" },
  VirtualMachineImageTemplates_Cancel: { actions: [`${TEMPLATES}/cancel/action`], scope: "resourceGroup" },
  VirtualMachineImageTemplates_GetRunOutput: { actions: [`${TEMPLATES}/runOutputs/read`], scope: "resourceGroup" },
  GalleryImageVersions_ListByGalleryImage: { actions: [`${VERSIONS}/read`], scope: "resourceGroup" },
  GalleryImageVersions_Get: { actions: [`${VERSIONS}/read`], scope: "resourceGroup" },
  GalleryImageVersions_Update: { actions: [`${VERSIONS}/write`], scope: "resourceGroup" },
  GalleryImageVersions_CreateOrUpdate: { actions: [`${VERSIONS}/write`], scope: "resourceGroup" },
  GalleryImageVersions_Delete: { actions: [`${VERSIONS}/delete`], scope: "resourceGroup" },
  GalleryImages_Get: { actions: ["Microsoft.Compute/galleries/images/read"], scope: "resourceGroup" },
  Galleries_Get: { actions: ["Microsoft.Compute/galleries/read"], scope: "resourceGroup" },
  // Marketplace images and regions belong to no resource group: ARM authorizes them at the subscription.
  VirtualMachineImages_List: { actions: [MARKETPLACE_READ], scope: "subscription" },
  VirtualMachineImages_Get: { actions: [MARKETPLACE_READ], scope: "subscription" },
  Subscriptions_ListLocations: { actions: ["Microsoft.Resources/subscriptions/locations/read"], scope: "subscription" },
  ResourceGroups_Get: { actions: ["Microsoft.Resources/subscriptions/resourceGroups/read"], scope: "resourceGroup" },
  UserAssignedIdentities_Get: { actions: ["Microsoft.ManagedIdentity/userAssignedIdentities/read"], scope: "resourceGroup" },
  Images_Get: {
    notGranted: "managed images are only a possible source, outside what setup creates: grant Microsoft.Compute/images/read on the source's resource group",
  },
  // The live build log sits in Image Builder's own staging resource group (IT_<group>_<template>_<guid>),
  // whose name nobody knows before the build: reading it would take a subscription-wide storage role.
  // Without it the action says once that it cannot show the log, and builds on.
  StorageAccounts_ListByResourceGroup: {
    notGranted: "the build log's staging resource group is named by Image Builder at build time; a subscription-wide grant is not least privilege",
  },
};

/**
 * What Image Builder itself does as the template's identity (learn.microsoft.com, "Configure Azure VM
 * Image Builder permissions by using the Azure CLI": distribute to a gallery; read scripts from storage).
 */
const IMAGE_BUILDER_NEEDS: { action: string; scope: Scope; dataAction?: true }[] = [
  { action: "Microsoft.Compute/galleries/read", scope: "resourceGroup" },
  { action: "Microsoft.Compute/galleries/images/read", scope: "resourceGroup" },
  { action: `${VERSIONS}/read`, scope: "resourceGroup" },
  { action: `${VERSIONS}/write`, scope: "resourceGroup" },
  // "…needs the following Azure Actions permissions in the distribution resource group:
  // Microsoft.Compute/images/write, …/read, …/delete"; "If you want to distribute to Azure Compute
  // Gallery, you also need" the gallery actions above — in addition, not instead.
  { action: "Microsoft.Compute/images/write", scope: "resourceGroup" },
  { action: "Microsoft.Compute/images/read", scope: "resourceGroup" },
  { action: "Microsoft.Compute/images/delete", scope: "resourceGroup" },
  { action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", scope: "container", dataAction: true },
];

/** Operation IDs (`Group_Operation`, `Group_A/B/C`) named in the header comment of each src/azure/ file. */
function documentedOperations(): Map<string, string> {
  const operations = new Map<string, string>();
  const name = "[A-Z][a-z]+(?:[A-Z][a-z]*)*";
  for (const file of list("src/azure/").filter((f) => f.endsWith(".ts"))) {
    const header = /^\/\*\*([\s\S]*?)\*\//.exec(read(`src/azure/${file}`))?.[1] ?? "";
    for (const m of header.matchAll(new RegExp(`\\b(${name})_(${name}(?:/${name})*)`, "g"))) {
      for (const op of m[2]!.split("/")) operations.set(`${m[1]}_${op}`, file);
    }
  }
  return operations;
}

/** SDK calls in the code of src/azure/ files, as operation IDs (client property → operation group). */
function calledOperations(): Map<string, string> {
  const groups: Record<string, string> = {
    templates: "VirtualMachineImageTemplates",
    virtualMachineImageTemplates: "VirtualMachineImageTemplates",
    galleryImageVersions: "GalleryImageVersions",
    galleryImages: "GalleryImages",
    galleries: "Galleries",
    virtualMachineImages: "VirtualMachineImages",
    images: "Images",
    resourceGroups: "ResourceGroups",
    subscriptions: "Subscriptions",
    userAssignedIdentities: "UserAssignedIdentities",
  };
  const calls = new Map<string, string>();
  for (const file of list("src/azure/").filter((f) => f.endsWith(".ts"))) {
    const code = read(`src/azure/${file}`)
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
    for (const m of code.matchAll(/\b(\w+)\.(\w+)\(/g)) {
      const group = groups[m[1]!];
      if (group) calls.set(`${group}_${m[2]![0]!.toUpperCase()}${m[2]!.slice(1)}`, file);
    }
  }
  return calls;
}

const roleLists = {
  pipeline: { bicep: bicepJustifiedArray(MAIN, "pipelineActions"), bash: bashJustifiedArray(SCRIPT, "pipeline_actions"), scope: "resourceGroup" as Scope },
  subscription: {
    bicep: bicepJustifiedArray(MAIN, "subscriptionActions"),
    bash: bashJustifiedArray(SCRIPT, "subscription_actions"),
    scope: "subscription" as Scope,
  },
  scriptReader: {
    bicep: bicepJustifiedArray(MAIN, "scriptReaderDataActions"),
    bash: bashJustifiedArray(SCRIPT, "script_reader_data_actions"),
    scope: "container" as Scope,
  },
};

/** Runs setup.sh --dry-run with `args`; returns what it printed. */
function dryRun(...args: string[]) {
  return spawnSync("bash", ["setup/setup.sh", "--dry-run", ...args], { cwd: root, encoding: "utf8" });
}

describe("setup/", () => {
  it("main.bicep's outputs are action inputs named like them, covering every required input and the OIDC client-id and tenant-id", () => {
    const inputs = actionInputs();
    const outputs = bicepOutputs(MAIN);
    for (const output of outputs) {
      assert.ok(inputs.has(kebab(output.name)), `output '${output.name}' names no action input (${kebab(output.name)})`);
      assert.equal(output.type, "string", `output '${output.name}' is not a string`);
      assert.equal(output.name, camel(kebab(output.name)), `output '${output.name}' is not the camelCase of its input`);
    }
    const covered = new Set(outputs.map((o) => kebab(o.name)));
    const setupKnows = [...inputs]
      .filter(([, required]) => required)
      .map(([name]) => name)
      .concat("client-id", "tenant-id");
    for (const input of setupKnows) assert.ok(covered.has(input), `no output gives the input '${input}'`);
    assert.equal(covered.size, outputs.length, "two outputs give the same input");
  });

  it("setup.sh prints the same inputs as main.bicep's outputs, and runs (--dry-run) without Azure", () => {
    const run = dryRun("--location", "westeurope", "--github-repo", "contoso/avd-images", "--set-github-variables");
    assert.equal(run.status, 0, run.stderr);
    const printed = [...run.stdout.split("The action's inputs (with:), from this setup:\n")[1]!.matchAll(/^ {2}([a-z-]+): (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(
      printed.sort(),
      bicepOutputs(MAIN)
        .map((o) => kebab(o.name))
        .sort(),
    );
    assert.match(run.stdout, /^gh variable set AVD_IDENTITY_ID --repo contoso\/avd-images --body /m);
    assert.match(run.stdout, /--subject repo:contoso\/avd-images:environment:avd-images /);

    const bad = dryRun("--location", "westeurope", "--security-type", "Trusted");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--security-type 'Trusted' is not one of/);
    assert.equal(dryRun("--github-repo", "contoso/avd-images").status, 2, "--location is required");
  });

  it("every Azure call in src/azure/ is documented in its file's header, and every documented operation has a row in the permission table", () => {
    const documented = documentedOperations();
    assert.ok(documented.size >= 12, `only ${documented.size} documented operations found: did the header format change?`);
    for (const [op, file] of calledOperations()) {
      assert.ok(documented.has(op), `src/azure/${file} calls ${op} but its header comment does not name it`);
    }
    for (const [op, file] of documented) {
      assert.ok(
        OPERATION_PERMISSIONS[op],
        `src/azure/${file} documents ${op}: add the RBAC action it needs to OPERATION_PERMISSIONS here and to the roles in setup/ (main.bicep, setup.sh)`,
      );
    }
  });

  it("the custom roles grant exactly what the action's calls and Image Builder need, each action at its scope", () => {
    const needed = new Map<string, Scope>();
    for (const op of documentedOperations().keys()) {
      const grant = OPERATION_PERMISSIONS[op]; // an unknown operation fails the test above
      if (grant && "actions" in grant) for (const action of grant.actions) needed.set(action, grant.scope);
    }
    for (const need of IMAGE_BUILDER_NEEDS) needed.set(need.action, need.scope);

    const granted = new Map<string, Scope>();
    for (const [role, { bicep, scope }] of Object.entries(roleLists)) {
      for (const { value } of bicep) {
        assert.ok(needed.has(value), `role ${role} grants ${value}, which no Azure call of the action and nothing Image Builder does needs`);
        assert.equal(needed.get(value), scope, `role ${role} grants ${value} at the ${scope}; it belongs at the ${needed.get(value)}`);
        assert.ok(!granted.has(value), `${value} is granted twice`);
        granted.set(value, scope);
      }
    }
    for (const action of needed.keys()) assert.ok(granted.has(action), `no role grants ${action}`);
    assert.ok(
      roleLists.scriptReader.bicep.every(({ value }) => IMAGE_BUILDER_NEEDS.find((n) => n.action === value)?.dataAction),
      "script reader holds data actions only",
    );
  });

  it("every action is justified by a comment naming the operation that needs it or Image Builder", () => {
    const operations = new Set(Object.keys(OPERATION_PERMISSIONS));
    for (const [role, lists] of Object.entries(roleLists)) {
      for (const [where, entries] of [
        ["main.bicep", lists.bicep],
        ["setup.sh", lists.bash],
      ] as const) {
        for (const { value, comment } of entries) {
          const named = comment.match(/\b[A-Z][A-Za-z]+_[A-Z][A-Za-z]+/g) ?? [];
          const group = named[0]?.split("_")[0];
          const expanded = [...named, ...[...comment.matchAll(/, _([A-Z][A-Za-z]+)/g)].map((m) => `${group}_${m[1]}`)];
          const justifiedByCall = expanded.some(
            (op) =>
              operations.has(op) && "actions" in OPERATION_PERMISSIONS[op]! && (OPERATION_PERMISSIONS[op] as { actions: string[] }).actions.includes(value),
          );
          const justifiedByBuilder = /Image Builder/.test(comment) && IMAGE_BUILDER_NEEDS.some((n) => n.action === value);
          assert.ok(
            justifiedByCall || justifiedByBuilder,
            `${where}, role ${role}: '${value}' has no comment naming an operation that needs it (or Image Builder): "${comment}"`,
          );
        }
      }
    }
  });

  it("setup.sh grants main.bicep's roles, action for action, and its dry run sends them to az", () => {
    for (const [role, { bicep, bash }] of Object.entries(roleLists)) {
      assert.deepEqual(
        bash.map((e) => e.value),
        bicep.map((e) => e.value),
        `setup.sh's ${role} role differs from main.bicep's`,
      );
    }
    const run = dryRun("--location", "westeurope", "--script-storage-account", "stavdscripts");
    assert.equal(run.status, 0, run.stderr);
    const definitions = run.stdout.split("\n").filter((line) => line.startsWith("az role definition create"));
    assert.equal(definitions.length, 3);
    for (const [index, { bicep }] of Object.values(roleLists).entries()) {
      for (const { value } of bicep) assert.ok(definitions[index]!.includes(`\\"${value}\\"`), `${value} is not in the role az creates`);
    }
    assert.match(run.stdout, /role assignment create .* --scope \/subscriptions\/\\<subscription-id\\>\/resourceGroups\/rg-avd-images -o none/);
    assert.match(run.stdout, /role assignment create .* --scope \/subscriptions\/\\<subscription-id\\> -o none/);
    assert.match(run.stdout, /role assignment create .* --scope .*\/storageAccounts\/stavdscripts\/blobServices\/default\/containers\/scripts -o none/);
  });

  it("main.bicep assigns each role at its scope: resource group, subscription, scripts container", () => {
    const roleOf = (role: string) => new RegExp(`roleDefinitionId: ${role}`);
    // Role 1: assigned in the module (scope: rg), at the module's resource group.
    assert.match(bicepBlock(MAIN, /^module resources /m), /pipelineRoleId: pipelineRole\.id/);
    const rgAssignment = bicepBlock(MODULE, /^resource pipelineRoleAssignment /m);
    assert.match(rgAssignment, roleOf("pipelineRoleId"));
    assert.doesNotMatch(rgAssignment, /scope:/);
    // Role 2: at the subscription (main.bicep's targetScope), no narrower scope is possible.
    assert.match(MAIN, /^targetScope = 'subscription'$/m);
    assert.match(bicepBlock(MAIN, /^resource subscriptionRoleAssignment /m), roleOf("subscriptionRole\\.id"));
    // Role 3: at the container.
    const containerAssignment = bicepBlock(MODULE, /^resource scriptReaderAssignment /m);
    assert.match(containerAssignment, /scope: scriptContainer/);
    assert.match(containerAssignment, roleOf("scriptReaderRoleId"));
    // Each role definition holds its list, assignable only where it is assigned.
    for (const [resource, list, scope] of [
      ["pipelineRole", "pipelineActions", "rg.id"],
      ["subscriptionRole", "subscriptionActions", "subscription().id"],
      ["scriptReaderRole", "scriptReaderDataActions", "rg.id"],
    ]) {
      const block = bicepBlock(MAIN, new RegExp(`^resource ${resource} `, "m"));
      assert.match(block, new RegExp(`${list.endsWith("DataActions") ? "dataActions" : "actions"}: ${list}\\b`));
      assert.match(block, new RegExp(`assignableScopes: \\[\\s*${scope.replace(/[().]/g, "\\$&")}\\s*\\]`));
    }
  });

  it("the Bicep is well formed: balanced brackets, dated API versions, module parameters match, every parameter used", () => {
    for (const [file, text] of [
      ["main.bicep", MAIN],
      ["resource-group.bicep", MODULE],
    ]) {
      assert.deepEqual(bracketProblems(text), [], file);
      for (const resource of bicepResources(text)) {
        assert.match(resource.apiVersion, /^\d{4}-\d{2}-\d{2}(-preview)?$/, `${file}: ${resource.name}`);
        assert.match(resource.type, /^Microsoft\.\w+\/\w+(\/\w+)*$/, `${file}: ${resource.name}`);
      }
      const code = text.replace(/^(param|@description).*$/gm, "");
      for (const param of bicepParams(text)) {
        assert.ok(param.description, `${file}: param ${param.name} has no @description`);
        assert.match(code, new RegExp(`\\b${param.name}\\b`), `${file}: param ${param.name} is never used`);
      }
    }
    assert.deepEqual(
      list("setup/").filter((f) => f.endsWith(".bicep")),
      ["main.bicep", "resource-group.bicep"],
    );
    assert.match(MAIN, /^module resources 'resource-group\.bicep' = \{$/m);
    const passed = objectKeys(bicepBlock(bicepBlock(MAIN, /^module resources /m), /params: \{/)).sort();
    assert.deepEqual(
      passed,
      bicepParams(MODULE)
        .map((p) => p.name)
        .sort(),
      "main.bicep passes resource-group.bicep other parameters than it declares",
    );
    const types = [...bicepResources(MAIN), ...bicepResources(MODULE)].map((r) => r.type);
    for (const type of [
      "Microsoft.Resources/resourceGroups",
      "Microsoft.ManagedIdentity/userAssignedIdentities",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      "Microsoft.Compute/galleries",
      "Microsoft.Compute/galleries/images",
      "Microsoft.Authorization/roleDefinitions",
      "Microsoft.Authorization/roleAssignments",
    ]) {
      assert.ok(types.includes(type), `setup/ creates no ${type}`);
    }
    // Federated credentials on one identity must be written one at a time.
    assert.match(MODULE, /@batchSize\(1\)\nresource githubCredentials /);
  });

  it("the image definition is Windows, Generalized, Hyper-V V2, TrustedLaunchSupported by default, in both files", () => {
    const definition = bicepBlock(MODULE, /^resource imageDefinition /m);
    assert.match(definition, /osType: 'Windows'/);
    assert.match(definition, /osState: 'Generalized'/);
    assert.match(definition, /hyperVGeneration: 'V2'/);
    assert.match(MODULE, /name: 'SecurityType'\s+value: securityType/);
    const securityType = bicepParams(MAIN).find((p) => p.name === "securityType")!;
    assert.equal(literal(securityType.defaultText), "TrustedLaunchSupported");
    assert.ok(
      securityType.allowed?.includes("Standard") && !securityType.allowed.includes("TrustedLaunch"),
      "Image Builder cannot publish to a TrustedLaunch definition",
    );
    assert.match(SCRIPT, /^security_type=TrustedLaunchSupported$/m);
    const run = dryRun("--location", "westeurope");
    assert.match(
      run.stdout,
      /az sig image-definition create .*--os-type Windows --os-state Generalized --hyper-v-generation V2 .*--features SecurityType=TrustedLaunchSupported/,
    );
    assert.doesNotMatch(dryRun("--location", "westeurope", "--security-type", "Standard").stdout, /--features/);
  });

  it("GitHub federated credentials expect the token exchange audience of the cloud, as the action asks for it", () => {
    const map = bicepBlock(MODULE, /^var githubAudiences = /m);
    for (const [cloud, { tokenExchangeAudience }] of Object.entries(AZURE_CLOUDS)) {
      assert.match(map, new RegExp(`${cloud}: '${tokenExchangeAudience}'`), `resource-group.bicep: ${cloud}`);
      assert.match(SCRIPT, new RegExp(`${cloud === "AzureCloud" ? "\\*" : cloud}\\) github_audience=${tokenExchangeAudience} ;;`), `setup.sh: ${cloud}`);
    }
    assert.match(bicepBlock(MODULE, /^resource githubCredentials /m), /audiences: \[\s*githubAudience\s*\]/);
    const run = dryRun(
      "--location",
      "westeurope",
      "--github-repo",
      "contoso/avd-images",
      "--ado-issuer",
      "https://vstoken.dev.azure.com/x",
      "--ado-subject",
      "sc://c/p/s",
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /federated-credential create .*--subject repo:contoso\/avd-images:environment:avd-images --audiences api:\/\/AzureADTokenExchange -o none/,
    );
    assert.match(run.stdout, /federated-credential create .*--subject sc:\/\/c\/p\/s --audiences api:\/\/AzureADTokenExchange -o none/);
  });

  it("setup.sh's defaults are main.bicep's", () => {
    const defaults = Object.fromEntries(bicepParams(MAIN).map((p) => [p.name, literal(p.defaultText)]));
    const pairs: [string, string][] = [
      ["resourceGroupName", "resource_group"],
      ["identityName", "identity"],
      ["galleryName", "gallery"],
      ["imageDefinitionName", "image_definition"],
      ["imagePublisher", "image_publisher"],
      ["imageOffer", "image_offer"],
    ];
    for (const [param, variable] of pairs) {
      assert.match(SCRIPT, new RegExp(`^${variable}=${String(defaults[param]).replace(/[.]/g, "\\.")}$`, "m"), `${variable} is not ${param}'s default`);
    }
    assert.deepEqual(defaults.githubSubjects, ["environment:avd-images"]);
    assert.match(SCRIPT, /github_subjects=\("environment:avd-images"\)/);
    execFileSync("bash", ["-n", "setup/setup.sh"], { cwd: root });
  });
});
