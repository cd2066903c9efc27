/**
 * Build settings end to end: the bundled action sends the subnet, staging resource group, error
 * handling, validation, boot optimization and data disks to Image Builder; with a staging resource
 * group (which must be empty), the older template that holds it is deleted before a changed template
 * is created.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

describe("build settings, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
  });
  after(() => s.emu.close());

  it("sends the build settings, and frees the staging resource group before a changed template is created", async () => {
    const subnet = `/subscriptions/${s.avd.subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-avd/subnets/snet-build`;
    const inputs = {
      "subnet-id": subnet,
      "proxy-vm-size": "Standard_A2_v2",
      "staging-resource-group": "rg-aib-staging",
      "error-handling": "abort",
      "validation-script": "if (-not (Get-Service -Name frxsvc -ErrorAction SilentlyContinue)) { exit 1 }",
      "optimize-boot": "true",
      "data-disk-sizes": "64",
      "windows-update": "false",
    };
    const first = await s.run(inputs);
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path))!;
    const props = (put.body as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(props["vmProfile"], { vmSize: "Standard_D4s_v5", osDiskSizeGB: 127, vnetConfig: { subnetId: subnet, proxyVmSize: "Standard_A2_v2" } });
    assert.equal(props["stagingResourceGroup"], `/subscriptions/${s.avd.subscriptionId}/resourceGroups/rg-aib-staging`);
    assert.deepEqual(props["errorHandling"], { onCustomizerError: "abort", onValidationError: "abort" });
    assert.deepEqual(props["optimize"], { vmBoot: { state: "Enabled" } });
    assert.deepEqual(props["additionalDataDisks"], [{ sizeGB: 64 }]);
    assert.equal((props["validate"] as { inVMValidations: { name: string }[] }).inVMValidations[0]!.name, "validation-script");

    s.emu.resetLog();
    const second = await s.run({ ...inputs, "inline-script": "Write-Host 'changed'" });
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    const writes = s.emu
      .writeRequests()
      .filter((e) => /\/imageTemplates\/[^/]+$/i.test(e.path))
      .map((e) => `${e.method} ${e.path.split("/").pop()}`);
    const deleted = writes.indexOf(`DELETE ${first.outputs["template-name"]}`);
    const created = writes.indexOf(`PUT ${second.outputs["template-name"]}`);
    assert.ok(deleted >= 0 && created > deleted, `the older template goes first: ${writes.join(", ")}`);
  });
});
