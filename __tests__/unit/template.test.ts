import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageTemplateSharedImageDistributor } from "@azure/arm-imagebuilder";
import { type InputName, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan, canonicalJson } from "../../src/template/build.ts";
import { validInputs } from "../helpers/inputs.ts";

const settingsOf = (overrides: Record<string, string> = {}) => {
  const inputs = validInputs(overrides);
  return parseSettings((name: InputName) => inputs[name] ?? "");
};
const source: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  version: "26100.4349.250607",
};
const v = (patch: number) => ({ major: 1, minor: 0, patch });

describe("template plan", () => {
  it("names the template <definition>-<hash>, valid for AIB", () => {
    const plan = buildTemplatePlan(settingsOf(), source, v(0));
    assert.match(plan.name, /^win11-avd-m365-[0-9a-f]{12}$/);
    assert.equal(plan.hash.slice(0, 12), plan.name.slice(-12));
    const long = buildTemplatePlan(settingsOf({ "image-definition": "a".repeat(80) }), source, v(0));
    assert.match(long.name, /^[A-Za-z0-9-_.]{1,64}$/);
  });

  it("keeps the hash when only patchable properties change (version, regions, VM size, disk, exclude from latest)", () => {
    const base = buildTemplatePlan(settingsOf(), source, v(0));
    const changed = buildTemplatePlan(
      settingsOf({ "target-regions": "westeurope=2\nnortheurope", "vm-size": "Standard_D8s_v5", "os-disk-size-gb": "256", "exclude-from-latest": "true" }),
      source,
      v(7),
    );
    assert.equal(changed.hash, base.hash);
    assert.notDeepEqual(changed.template.distribute, base.template.distribute);
  });

  it("changes the hash when anything unpatchable changes", () => {
    const base = buildTemplatePlan(settingsOf(), source, v(0)).hash;
    const variants = [
      buildTemplatePlan(settingsOf({ "inline-script": "Write-Host hi" }), source, v(0)),
      buildTemplatePlan(settingsOf({ "windows-update": "false" }), source, v(0)),
      buildTemplatePlan(settingsOf({ "build-timeout-minutes": "90" }), source, v(0)),
      buildTemplatePlan(settingsOf({ "script-uris": "https://example.com/a.ps1" }), source, v(0)),
      buildTemplatePlan(settingsOf(), { ...source, version: "26100.4350.250701" }, v(0)),
    ];
    const hashes = new Set([base, ...variants.map((p) => p.hash)]);
    assert.equal(hashes.size, variants.length + 1);
  });

  it("lays out scripts, restart, Windows Update, restart — all PowerShell elevated as SYSTEM", () => {
    const plan = buildTemplatePlan(
      settingsOf({
        "script-uris": `https://example.com/x/Install-Apps.ps1 ${"b".repeat(64)}`,
        "inline-script": "Write-Host one\nWrite-Host two",
        "safety-steps": "false",
        inventory: "false",
      }),
      source,
      v(0),
    );
    const steps = plan.template.customize!;
    assert.deepEqual(
      steps.map((s) => s.type),
      ["PowerShell", "PowerShell", "WindowsRestart", "WindowsUpdate", "WindowsRestart"],
    );
    assert.deepEqual(steps[0], {
      type: "PowerShell",
      name: "script-1-Install-Apps.ps1",
      scriptUri: "https://example.com/x/Install-Apps.ps1",
      sha256Checksum: "b".repeat(64),
      runElevated: true,
      runAsSystem: true,
    });
    assert.deepEqual((steps[1] as { inline: string[] }).inline, ["Write-Host one", "Write-Host two"]);
    const noScripts = buildTemplatePlan(settingsOf({ "windows-update": "false", "safety-steps": "false", inventory: "false" }), source, v(0));
    assert.deepEqual(noScripts.template.customize, []);
  });

  it("distributes explicitly to <definition>/versions/<X.Y.Z> in every target region", () => {
    const plan = buildTemplatePlan(settingsOf({ "target-regions": "westeurope=2\nnortheurope", "storage-account-type": "Standard_ZRS" }), source, v(3));
    const distributor = plan.template.distribute![0] as ImageTemplateSharedImageDistributor;
    assert.equal(distributor.galleryImageId, plan.imageVersionId);
    assert.match(plan.imageVersionId, /\/providers\/Microsoft\.Compute\/galleries\/galAvd\/images\/win11-avd-m365\/versions\/1\.0\.3$/);
    assert.deepEqual(distributor.targetRegions, [
      { name: "westeurope", replicaCount: 2, storageAccountType: "Standard_ZRS" },
      { name: "northeurope", replicaCount: 1, storageAccountType: "Standard_ZRS" },
    ]);
    assert.equal(distributor.runOutputName, plan.runOutputName);
    assert.deepEqual(Object.keys(plan.template.identity.userAssignedIdentities!), [settingsOf()["identityId"]]);
  });

  it("hashes canonical JSON: key order does not matter", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
