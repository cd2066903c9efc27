/**
 * `template-file`: Image Builder template properties kept in the repository, checked against the vendored
 * Image Builder schema (api-version 2025-10-01) with problems that point at the path in the file and its
 * line (README, "Template file"; the generated schema and its phrases: template-file-schema.test.ts),
 * merged with the inputs (an input that differs from its default wins), and hashed like a template made
 * from inputs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import { parseTemplateFile } from "../../src/template/template-file.ts";
import { validInputs } from "../helpers/inputs.ts";
import { fakeRepository } from "./repository.ts";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const problemsOf = (text: string) => parseTemplateFile(text, "t.yml").problems.map((p) => `${p.path} (line ${p.line}): ${p.message}`);

const settingsWith = (overrides: Record<string, string>, files: Record<string, string>) => {
  const inputs = validInputs(overrides);
  return parseSettings(
    (n: InputName) => inputs[n] ?? "",
    (n) => n,
    fakeRepository(files),
  );
};
const pinned: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "windows-11",
  sku: "win11-24h2-avd",
  version: "26100.4349.250607",
};

describe("template-file", () => {
  it("points at the path and line of each mistake: unknown customizer type, PowerShell without inline or scriptUri, vmSize of the wrong type", () => {
    assert.deepEqual(problemsOf(fixture("bad-template.yml")), [
      "customize[1] (line 17): a PowerShell customizer needs 'inline' (commands to run) or 'scriptUri' (a script to download); it has neither.",
      'customize[2].type (line 20): "Reboot" is not a customizer type; use one of File, PowerShell, WindowsRestart, Shell, WindowsUpdate.',
      "vmProfile.vmSize (line 23): must be a string, not a number (4).",
    ]);
  });

  it("reads JSON too, and a whole template resource (paths under properties.)", () => {
    assert.deepEqual(problemsOf(fixture("bad-template.json")), [
      'properties.customize[0].updateLimit (line 7): must be a whole number, not a string ("all").',
      "properties.customize[1].destination (line 8): is required for a File customizer.",
      "properties.vmProfile.vmSize (line 10): must be a string, not an array.",
      'properties.errorHandling.onCustomizerError (line 11): "keep" is not allowed; use one of cleanup, abort.',
      "properties.lastRunStatus (line 12): is read-only (Azure sets it); remove it.",
      "properties.distribute (line 13): is set by the action (gallery-name, image-definition, target-regions, the version it chooses): remove it from the file.",
    ]);
  });

  it("checks what the schema says only in words, and names case mistakes", () => {
    const cases: [string, RegExp][] = [
      [
        "customize:\n  - { type: Powershell, inline: [x] }\n",
        /^customize\[0\]\.type \(line 2\): "Powershell" is not a customizer type \(types are case-sensitive: 'PowerShell'\)/,
      ],
      [
        "customize:\n  - { type: PowerShell, inline: [x], scriptUri: 'https://e.com/a.ps1' }\n",
        /^customize\[0\] \(line 2\): a PowerShell customizer takes exactly one of 'inline' and 'scriptUri', not both/,
      ],
      [
        "customize:\n  - { type: PowerShell, inline: [x], runAsSystem: true }\n",
        /^customize\[0\]\.runAsSystem \(line 2\): can only be true when 'runElevated' is true/,
      ],
      ["customize:\n  - { type: Shell, inline: [ls] }\n", /^customize\[0\]\.type \(line 2\): Shell runs on Linux/],
      ["customize:\n  - { type: PowerShell, scriptUri: 'http://e.com/a.ps1' }\n", /^customize\[0\]\.scriptUri \(line 2\): must be an https:\/\/ URL/],
      [
        "customize:\n  - { type: PowerShell, scriptUri: 'https://e.com/a.ps1', sha256Checksum: abc }\n",
        /sha256Checksum \(line 2\): must be a SHA-256 checksum/,
      ],
      [
        "vmprofile:\n  vmSize: Standard_D4s_v5\n",
        /^vmprofile \(line 1\): is not a property of the template properties \(names are case-sensitive: 'vmProfile'\)/,
      ],
      ["buildTimeoutInMinutes: 2000\n", /^buildTimeoutInMinutes \(line 1\): must be at most 960/],
      [
        "vmProfile:\n  vnetConfig: { containerInstanceSubnetId: /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aci }\n",
        /containerInstanceSubnetId \(line 2\): needs 'subnetId'/,
      ],
      [
        "validate:\n  inVMValidations:\n    - { type: PowerShell, name: check }\n",
        /^validate\.inVMValidations\[0\] \(line 3\): a PowerShell validator needs 'inline'/,
      ],
      ["source: { type: PlatformImage, offer: windows-11, sku: win11-24h2-avd }\n", /^source\.publisher \(line 1\): is required for a PlatformImage source/],
      ["autoRun: { state: Enabled }\n", /^autoRun\.state \(line 1\): must not be Enabled/],
      ["customize:\n  - type: PowerShell\n    inline: [a\n", /^ \(line \d+\): is not valid JSON or YAML/],
      ["- just a list\n", /must hold Image Builder template properties/],
    ];
    for (const [text, expected] of cases) {
      const problems = problemsOf(text);
      assert.equal(problems.length, 1, `${text}\n${problems.join("\n")}`);
      assert.match(problems[0]!, expected);
    }
  });

  it("reports the file's problems with the other inputs, before any Azure call, naming 'template-file'", () => {
    assert.throws(
      () => settingsWith({ "template-file": "images/avd.yml", "keep-versions": "x" }, { "images/avd.yml": fixture("bad-template.yml") }),
      (error: SettingsError) => {
        assert.ok(error instanceof SettingsError);
        assert.deepEqual(error.problems.map((p) => p.input).sort(), ["keep-versions", "template-file", "template-file", "template-file"]);
        assert.match(error.message, /Input 'template-file': images\/avd\.yml: customize\[2\]\.type \(line 20\): "Reboot" is not a customizer type/);
        assert.match(error.message, /Input 'template-file': images\/avd\.yml: vmProfile\.vmSize \(line 23\): must be a string/);
        return true;
      },
    );
    assert.throws(
      () => settingsWith({ "template-file": "images/missing.yml" }, {}),
      /Input 'template-file': 'images\/missing\.yml' does not exist \(looked for \/work\/repo\/images\/missing\.yml/,
    );
  });

  it("takes the file's values where the inputs are left at their defaults", () => {
    const settings = settingsWith({ "template-file": "images/avd.yml" }, { "images/avd.yml": fixture("good-template.yml") });
    assert.deepEqual(settings.source, {
      kind: "marketplace",
      publisher: "MicrosoftWindowsDesktop",
      offer: "windows-11",
      sku: "win11-24h2-avd",
      version: "latest",
    });
    const plan = buildTemplatePlan(settings, pinned, { major: 1, minor: 0, patch: 0 });
    const t = plan.template;
    assert.deepEqual(t.vmProfile, { vmSize: "Standard_D8s_v5", osDiskSizeGB: 256 });
    assert.equal(t.buildTimeoutInMinutes, 180);
    assert.deepEqual(t.errorHandling, { onCustomizerError: "abort" });
    assert.deepEqual(t.optimize, { vmBoot: { state: "Enabled" } });
    assert.deepEqual(t.additionalDataDisks, [{ sizeGB: 64 }]);
    assert.deepEqual(t.managedResourceTags, { costCenter: "4711" });
    assert.deepEqual(
      t.validate?.inVMValidations?.map((v) => v.name),
      ["apps-present"],
    );
    const names = t.customize!.map((c) => c.name);
    // The file's steps after the safety step, before Windows Update; the action's restart-after-scripts only follows input scripts.
    assert.deepEqual(names, [
      "safety-bitlocker-off",
      "install-line-of-business-apps",
      "restart-after-apps",
      "windows-update",
      "restart-after-windows-update",
      "safety-wait-for-bitlocker-decryption",
      "safety-remove-per-user-appx",
      "avd-image-action-inventory",
    ]);
  });

  it("lets an input that differs from its default override the file; lists add up", () => {
    const settings = settingsWith(
      {
        "template-file": "images/avd.yml",
        source: "MicrosoftWindowsDesktop:windows-11:win11-23h2-avd:latest",
        "vm-size": "Standard_D16s_v5",
        "error-handling": "validation=abort",
        "data-disk-sizes": "128, 256",
        "validation-script": "Get-Service FSLogix",
        "avd-steps": "timezone-redirection",
        "inline-script": "Write-Host last",
      },
      { "images/avd.yml": fixture("good-template.yml") },
    );
    assert.equal(settings.source.kind === "marketplace" && settings.source.sku, "win11-23h2-avd");
    const t = buildTemplatePlan(settings, pinned, { major: 1, minor: 0, patch: 0 }).template;
    assert.equal(t.vmProfile?.vmSize, "Standard_D16s_v5");
    assert.equal(t.vmProfile?.osDiskSizeGB, 256, "os-disk-size-gb left at its default: the file's");
    assert.deepEqual(t.errorHandling, { onCustomizerError: "abort", onValidationError: "abort" });
    assert.deepEqual(t.additionalDataDisks, [{ sizeGB: 128 }, { sizeGB: 256 }]);
    assert.deepEqual(
      t.validate?.inVMValidations?.map((v) => v.name),
      ["apps-present", "validation-script"],
    );
    const names = t.customize!.map((c) => c.name);
    assert.ok(names.indexOf("avdBuiltInScript_timeZoneRedirection") < names.indexOf("install-line-of-business-apps"));
    assert.ok(names.indexOf("install-line-of-business-apps") < names.indexOf("inline-script"));
  });

  it("hashes the file's content like any other template content", () => {
    const good = fixture("good-template.yml");
    const hash = (text: string) =>
      buildTemplatePlan(settingsWith({ "template-file": "t.yml" }, { "t.yml": text }), pinned, { major: 1, minor: 0, patch: 0 }).hash;
    const base = hash(good);
    assert.equal(hash(`# a comment\n${good}`), base, "formatting is not content");
    assert.notEqual(hash(good.replace("LOB apps installed", "LOB apps installed!")), base);
    assert.notEqual(hash(good.replace("onCustomizerError: abort", "onCustomizerError: cleanup")), base);
    assert.equal(hash(good.replace("vmSize: Standard_D8s_v5", "vmSize: Standard_D16s_v5")), base, "vmProfile is patched, not hashed");
  });
});
