/**
 * The Windows client safety steps and the build settings users need (subnet, staging resource group,
 * error handling, in-VM validation, boot optimization, data disks): validated with errors naming the
 * input, placed in the template, and hashed exactly when Image Builder cannot PATCH them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ImageSource, type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import { SAFETY_STEP_NAMES, isWindowsClientSource } from "../../src/template/safety.ts";
import { SUBSCRIPTION, validInputs } from "../helpers/inputs.ts";

const settingsOf = (overrides: Record<string, string> = {}) => {
  const inputs = validInputs(overrides);
  return parseSettings((n: InputName) => inputs[n] ?? "");
};
const pinned: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  version: "26100.4349.250607",
};
const planOf = (overrides: Record<string, string> = {}) => buildTemplatePlan(settingsOf(overrides), pinned, { major: 1, minor: 0, patch: 0 });
const names = (overrides: Record<string, string> = {}) => planOf(overrides).template.customize!.map((c) => c.name);
const refusal = (overrides: Record<string, string>) => {
  try {
    settingsOf(overrides);
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(overrides)}`);
};
const SUBNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-avd/subnets/snet-build`;
const ACI_SUBNET = SUBNET.replace("snet-build", "snet-aci");

describe("Windows client safety steps", () => {
  it("are on by default for Windows client sources, off for others, and switchable", () => {
    const marketplace = (publisher: string, offer: string, sku: string): ImageSource => ({ kind: "marketplace", publisher, offer, sku, version: "latest" });
    assert.equal(isWindowsClientSource(marketplace("MicrosoftWindowsDesktop", "office-365", "win11-24h2-avd-m365")), true);
    assert.equal(isWindowsClientSource(marketplace("MicrosoftWindowsDesktop", "windows-11", "win11-25h2-avd")), true);
    assert.equal(isWindowsClientSource(marketplace("MicrosoftWindowsDesktop", "windows-10", "win10-22h2-avd")), true);
    assert.equal(isWindowsClientSource(marketplace("contoso", "desktop", "win11-custom")), true);
    assert.equal(isWindowsClientSource(marketplace("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition")), false);
    assert.equal(isWindowsClientSource(marketplace("canonical", "ubuntu-24_04-lts", "server")), false);
    assert.equal(isWindowsClientSource({ kind: "gallery", imageVersionId: "/x/versions/latest" }), true);

    assert.equal(settingsOf().safetySteps, true, "the default source is Windows 11");
    assert.equal(settingsOf({ source: "MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest" }).safetySteps, false);
    assert.equal(settingsOf({ source: "MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest", "safety-steps": "true" }).safetySteps, true);
    assert.equal(settingsOf({ "safety-steps": "false" }).safetySteps, false);
    assert.match(refusal({ "safety-steps": "yes" }).message, /Input 'safety-steps': 'yes' must be 'auto' \(on for Windows client sources\), 'true' or 'false'/);
  });

  it("turn BitLocker off first (PreventDeviceEncryption DWORD 1), and wait for decryption and remove per-user Appx after Windows Update, before admin sysprep", () => {
    const steps = planOf({ "avd-steps": "admin-sysprep", "inline-script": "Write-Host hi" }).template.customize as { name: string; inline?: string[] }[];
    const order = steps.map((s) => s.name);
    assert.equal(order[0], SAFETY_STEP_NAMES.bitLockerOff);
    assert.deepEqual(order.slice(-5), [
      "restart-after-windows-update",
      SAFETY_STEP_NAMES.waitForDecryption,
      SAFETY_STEP_NAMES.removeUserAppx,
      "avd-image-action-inventory",
      "avdBuiltInScript_adminSysPrep",
    ]);
    const off = steps[0]!.inline!.join("\n");
    assert.match(off, /'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\BitLocker'/);
    assert.match(off, /New-ItemProperty -Path \$key -Name 'PreventDeviceEncryption' -PropertyType DWord -Value 1/);
    assert.match(off, /Disable-BitLocker -MountPoint/);
    const wait = steps.find((s) => s.name === SAFETY_STEP_NAMES.waitForDecryption)!.inline!.join("\n");
    assert.match(wait, /VolumeStatus -ne 'FullyDecrypted'/);
    assert.match(wait, /throw 'BitLocker decryption did not finish/);
    const appx = steps.find((s) => s.name === SAFETY_STEP_NAMES.removeUserAppx)!.inline!.join("\n");
    assert.match(appx, /Get-AppxProvisionedPackage -Online/);
    assert.match(appx, /Remove-AppxPackage -Package \$package\.PackageFullName -AllUsers/);
  });

  it("change the template hash when switched (they are customizers)", () => {
    assert.notEqual(planOf({ "safety-steps": "false" }).hash, planOf().hash);
    assert.equal(planOf({ "safety-steps": "true" }).hash, planOf().hash);
    assert.ok(!names({ "safety-steps": "false" }).some((n) => n?.startsWith("safety-")));
  });
});

describe("build settings", () => {
  it("builds in an existing subnet, with a proxy VM size or an isolated-build subnet (vmProfile, patched not hashed)", () => {
    const withProxy = planOf({ "subnet-id": SUBNET, "proxy-vm-size": "Standard_A2_v2" });
    assert.deepEqual(withProxy.template.vmProfile, {
      vmSize: "Standard_D4s_v5",
      osDiskSizeGB: 127,
      vnetConfig: { subnetId: SUBNET, proxyVmSize: "Standard_A2_v2" },
    });
    const isolated = planOf({ "subnet-id": SUBNET, "container-instance-subnet-id": ACI_SUBNET });
    assert.deepEqual(isolated.template.vmProfile?.vnetConfig, { subnetId: SUBNET, containerInstanceSubnetId: ACI_SUBNET });
    assert.equal(withProxy.hash, planOf().hash, "vmProfile is PATCHed on reuse");
  });

  it("puts staging resource group, error handling, validation, boot optimization and data disks in the template, and in its hash", () => {
    const t = planOf({
      "staging-resource-group": "rg-aib-staging",
      "error-handling": "customizer=abort",
      "validation-script": "Get-Service -Name frxsvc\nif (-not (Test-Path 'C:\\Program Files\\FSLogix')) { exit 1 }",
      "optimize-boot": "true",
      "data-disk-sizes": "64, 128",
    }).template;
    assert.equal(t.stagingResourceGroup, `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-aib-staging`);
    assert.deepEqual(t.errorHandling, { onCustomizerError: "abort" });
    assert.deepEqual(t.validate, {
      inVMValidations: [
        {
          type: "PowerShell",
          name: "validation-script",
          inline: ["Get-Service -Name frxsvc", "if (-not (Test-Path 'C:\\Program Files\\FSLogix')) { exit 1 }"],
          runElevated: true,
          runAsSystem: true,
        },
      ],
    });
    assert.deepEqual(t.optimize, { vmBoot: { state: "Enabled" } });
    assert.deepEqual(t.additionalDataDisks, [{ sizeGB: 64 }, { sizeGB: 128 }]);
    assert.deepEqual(planOf({ "error-handling": "abort" }).template.errorHandling, { onCustomizerError: "abort", onValidationError: "abort" });
    const base = planOf().hash;
    const variants = (
      [
        { "staging-resource-group": "rg-aib-staging" },
        { "error-handling": "abort" },
        { "validation-script": "exit 0" },
        { "optimize-boot": "true" },
        { "data-disk-sizes": "64" },
      ] as Record<string, string>[]
    ).map((o) => planOf(o).hash);
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
    const plain = planOf().template;
    for (const key of ["stagingResourceGroup", "errorHandling", "validate", "optimize", "additionalDataDisks"])
      assert.ok(!(key in plain), `${key} absent by default (hash of existing templates unchanged)`);
  });

  it("refuses bad values with errors naming the input, all at once", () => {
    const error = refusal({
      "subnet-id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
      "staging-resource-group": "rg-avd-images",
      "error-handling": "keep",
      "optimize-boot": "fast",
      "data-disk-sizes": "64, big, 0",
    });
    assert.deepEqual(error.problems.map((p) => p.input).sort(), ["data-disk-sizes", "error-handling", "optimize-boot", "staging-resource-group", "subnet-id"]);
    assert.match(
      error.message,
      /Input 'subnet-id': '.*' must be a subnet resource ID: \/subscriptions\/<id>\/resourceGroups\/<rg>\/providers\/Microsoft\.Network\/virtualNetworks\/<vnet>\/subnets\/<subnet>\./,
    );
    assert.match(error.message, /Input 'staging-resource-group': 'rg-avd-images' holds the image template or the gallery/);
    assert.match(error.message, /Input 'error-handling': 'keep' must be 'cleanup' .*'abort' .*'customizer=abort, validation=cleanup'/);
    assert.match(error.message, /Input 'data-disk-sizes': .* not 'big', '0'\./);
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ "proxy-vm-size": "Standard_A2_v2" }, "proxy-vm-size", /needs 'subnet-id'/],
      [{ "container-instance-subnet-id": ACI_SUBNET }, "container-instance-subnet-id", /needs 'subnet-id'/],
      [
        { "subnet-id": SUBNET, "container-instance-subnet-id": ACI_SUBNET, "proxy-vm-size": "Standard_A2_v2" },
        "proxy-vm-size",
        /must be empty with 'container-instance-subnet-id'/,
      ],
      [
        { "subnet-id": SUBNET, "container-instance-subnet-id": ACI_SUBNET.replace("vnet-avd", "vnet-other") },
        "container-instance-subnet-id",
        /must be on the virtual network of 'subnet-id'/,
      ],
      [{ "subnet-id": SUBNET, "proxy-vm-size": "A2" }, "proxy-vm-size", /must be an Azure VM size/],
      [
        { "staging-resource-group": "/subscriptions/99999999-2222-3333-4444-555555555555/resourceGroups/rg-staging" },
        "staging-resource-group",
        /must be in subscription/,
      ],
      [{ "scripts-storage-account": "stimages", "scripts-container": "X" }, "scripts-container", /blob container name/],
    ];
    for (const [overrides, input, expected] of cases) {
      const refused = refusal(overrides);
      assert.deepEqual(
        refused.problems.map((p) => p.input),
        [input],
        JSON.stringify(overrides),
      );
      assert.match(refused.problems[0]!.message, expected);
    }
  });
});
