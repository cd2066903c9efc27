/**
 * The changelog's pure parts: customizer digests and build settings from templates, the facts of a
 * customization.log (Windows updates, inventory), the diff, and its Markdown.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { diffStates, hasChanges } from "../../src/changelog/diff.ts";
import { INVENTORY_BEGIN, INVENTORY_END, LogFacts, factsOfLog } from "../../src/changelog/log-facts.ts";
import { renderChangelog } from "../../src/changelog/render.ts";
import { type ImageState, buildSettingsOf, digestCustomizers, sha256, stateOfTags } from "../../src/changelog/state.ts";
import { type InputName, parseSettings } from "../../src/settings/index.ts";
import { previousVersionOf } from "../../src/steps/previous.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import { INVENTORY_CUSTOMIZER_NAME, inventoryCustomizer } from "../../src/template/inventory.ts";
import { validInputs } from "../helpers/inputs.ts";

const out = (text: string) => `[0f3c2d1e-aaaa-bbbb-cccc-1234567890ab] PACKER OUT     azure-arm: ${text}`;

describe("customizer digests and build settings", () => {
  it("checksums inline scripts, pinned and unpinned script URLs, and AVD step parameters", () => {
    const digests = digestCustomizers([
      { type: "PowerShell", name: "inline-script", inline: ["Write-Host 'a'", "Write-Host 'b'"] },
      { type: "PowerShell", name: "script-1-x.ps1", scriptUri: "https://example.com/x.ps1", sha256Checksum: "AB".repeat(32) },
      { type: "PowerShell", name: "script-2-y.ps1", scriptUri: "https://example.com/y.ps1" },
      {
        type: "PowerShell",
        name: "avdBuiltInScript_installLanguagePacks-parameter",
        inline: ["C:\\AVDImage\\installLanguagePacks.ps1 -LanguageList 'English (United Kingdom)'"],
      },
      { type: "WindowsUpdate", name: "windows-update", updateLimit: 40 },
    ]);
    assert.equal(digests[0]!.checksum, `inline sha256:${sha256("Write-Host 'a'\nWrite-Host 'b'")}`);
    assert.equal(digests[1]!.checksum, `scriptUri https://example.com/x.ps1 sha256:${"ab".repeat(32)}`);
    assert.equal(digests[2]!.checksum, "scriptUri https://example.com/y.ps1 sha256 not pinned");
    assert.equal(digests[3]!.avdParameters, "-LanguageList 'English (United Kingdom)'");
    assert.match(digests[4]!.checksum, /^settings sha256:[0-9a-f]{64}$/);
    assert.notEqual(digestCustomizers([{ type: "WindowsUpdate", name: "windows-update", updateLimit: 10 }])[0]!.checksum, digests[4]!.checksum);
  });

  it("flattens the build VM, network, timeout and distribution settings", () => {
    const template = {
      location: "westeurope",
      source: { type: "PlatformImage" },
      buildTimeoutInMinutes: 120,
      vmProfile: {
        vmSize: "Standard_D4s_v5",
        osDiskSizeGB: 127,
        vnetConfig: { subnetId: "/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/build" },
      },
      distribute: [{ type: "SharedImage", galleryImageId: "/x/versions/1.0.0", runOutputName: "o", targetRegions: [{ name: "westeurope", replicaCount: 2 }] }],
    } as unknown as ImageTemplate;
    assert.deepEqual(buildSettingsOf(template), {
      vmSize: "Standard_D4s_v5",
      osDiskSizeGB: "127",
      subnetId: "/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/build",
      buildTimeoutInMinutes: "120",
      targetRegions: "westeurope=2",
    });
  });

  it("reads the provenance tags of a version", () => {
    const state = stateOfTags("1.10.0", {
      "avd-image-action.template": "t-1",
      "avd-image-action.template-hash": "abc",
      "avd-image-action.source-version": "26100.1.1",
      other: "x",
    });
    assert.deepEqual(state, { version: "1.10.0", templateName: "t-1", templateHash: "abc", sourceVersion: "26100.1.1" });
  });

  it("the previous version is the newest below the new one in numeric order, not text order", () => {
    const existing = ["1.9.0", "1.10.0", "1.2.0"].map((name) => ({ name }));
    assert.equal(previousVersionOf(existing, "1.10.1"), "1.10.0");
    assert.equal(previousVersionOf(existing, "1.9.5"), "1.9.0");
    assert.equal(previousVersionOf(existing, "1.0.0"), undefined);
  });
});

describe("facts of customization.log", () => {
  it("takes each update the Windows Update provisioner found once (it searches again after each restart), with its KB", () => {
    const log = [
      out("Searching for Windows updates..."),
      out("Found Windows update (2025-06-10; 4187.26 MB): 2025-06 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5060842)"),
      out("Found Windows update (2025-06-10; 1.20 MB): Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.431.118.0)"),
      out("Skipped (filter) Windows update (2025-06-24; 4000.00 MB): 2025-06 Cumulative Update Preview for Windows 11 (KB5060829)"),
      out("Installing Windows updates..."),
      out("Found Windows update (2025-06-10; 4187.26 MB): 2025-06 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5060842)"),
      out("Found Windows update (2025-06-10; 3.00 MB): Update for Microsoft Edge"),
    ].join("\n");
    assert.deepEqual(factsOfLog(log).updates, [
      { kb: "KB5060842", title: "2025-06 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5060842)" },
      { kb: "KB2267602", title: "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.431.118.0)" },
      { title: "Update for Microsoft Edge" },
    ]);
  });

  it("reads the inventory block between its markers, and nothing of an unfinished one", () => {
    const block = [
      out(INVENTORY_BEGIN),
      out("os\tWindows 11 Enterprise multi-session\t24H2\t26100\t4349"),
      out("app\tMicrosoft Edge\t137.0.3296.68\tMicrosoft Corporation"),
      out("app\t7-Zip 24.09 (x64)\t24.09\tIgor Pavlov"),
      out("hotfix\tKB5060842\tSecurity Update"),
      out("appx\tMicrosoft.WindowsTerminal\t1.22.11141.0"),
    ];
    const unfinished = new LogFacts();
    for (const line of block) unfinished.line(line);
    assert.equal(unfinished.inventory, undefined);
    const facts = factsOfLog([...block, out(INVENTORY_END)].join("\r\n"));
    assert.deepEqual(facts.inventory, {
      os: { productName: "Windows 11 Enterprise multi-session", displayVersion: "24H2", build: "26100", ubr: "4349" },
      applications: [
        { name: "Microsoft Edge", version: "137.0.3296.68", publisher: "Microsoft Corporation" },
        { name: "7-Zip 24.09 (x64)", version: "24.09", publisher: "Igor Pavlov" },
      ],
      hotfixes: [{ kb: "KB5060842", description: "Security Update" }],
      appx: [{ name: "Microsoft.WindowsTerminal", version: "1.22.11141.0" }],
    });
  });
});

describe("the diff and its Markdown", () => {
  const base: ImageState = {
    version: "1.10.0",
    sourceVersion: "26100.4349.250607",
    templateHash: "a".repeat(64),
    customizers: digestCustomizers([
      { type: "PowerShell", name: "inline-script", inline: ["x"] },
      { type: "WindowsRestart", name: "restart-after-scripts" },
    ]),
    settings: { vmSize: "Standard_D4s_v5" },
    inventory: {
      applications: [
        { name: "Edge", version: "1", publisher: "M" },
        { name: "Old", version: "1", publisher: "" },
      ],
      hotfixes: [],
      appx: [],
    },
    buildStart: "2025-06-11T06:00:00Z",
    buildEnd: "2025-06-11T06:48:00Z",
  };

  it("names the source, customizers added, removed and changed, settings, hash, applications and durations", () => {
    const current: ImageState = {
      ...base,
      version: "1.10.1",
      sourceVersion: "26100.4652.250708",
      templateHash: "b".repeat(64),
      customizers: digestCustomizers([
        { type: "PowerShell", name: "inline-script", inline: ["y"] },
        { type: "PowerShell", name: "script-1-a.ps1", scriptUri: "https://e/a.ps1" },
      ]),
      settings: { vmSize: "Standard_D8s_v5" },
      inventory: {
        applications: [
          { name: "Edge", version: "2", publisher: "M" },
          { name: "7-Zip", version: "24.09", publisher: "Igor Pavlov" },
        ],
        hotfixes: [],
        appx: [],
      },
      updates: [{ kb: "KB5062553", title: "2025-07 Cumulative Update (KB5062553)" }],
      buildStart: "2025-07-09T06:00:00Z",
      buildEnd: "2025-07-09T06:52:30Z",
    };
    const log = diffStates(base, current);
    assert.equal(log.unchanged, false);
    assert.deepEqual(
      log.customizers.added.map((c) => c.name),
      ["script-1-a.ps1"],
    );
    assert.deepEqual(
      log.customizers.removed.map((c) => c.name),
      ["restart-after-scripts"],
    );
    assert.deepEqual(
      log.customizers.changed.map((c) => c.name),
      ["inline-script"],
    );
    assert.deepEqual(log.applications, {
      added: [{ name: "7-Zip", version: "24.09", publisher: "Igor Pavlov" }],
      removed: [{ name: "Old", version: "1", publisher: "" }],
      upgraded: [{ name: "Edge", version: "2", publisher: "M", from: "1" }],
    });
    const md = renderChangelog(log);
    assert.match(md, /^### What changed since 1\.10\.0\n/);
    assert.match(md, /Source version: `26100\.4349\.250607` → `26100\.4652\.250708`/);
    assert.match(md, /Build setting vmSize: `Standard_D4s_v5` → `Standard_D8s_v5`/);
    assert.match(md, /Template hash: `aaaaaaaaaaaa` → `bbbbbbbbbbbb`/);
    assert.match(md, /Application added: 7-Zip 24\.09 \(Igor Pavlov\)/);
    assert.match(md, /Application upgraded: Edge 1 → 2/);
    assert.match(md, /Application removed: Old 1/);
    assert.match(md, /\*\*KB5062553\*\*/);
    assert.match(md, /Build duration: 52\.5 min \(1\.10\.0: 48\.0 min\)/);
  });

  it("an unchanged rebuild: nothing changed in what goes into the image, and only the updates", () => {
    const log = diffStates(base, { ...base, version: "1.10.1", updates: [{ kb: "KB890830", title: "MSRT (KB890830)" }] });
    assert.equal(log.unchanged, true);
    const md = renderChangelog(log);
    assert.match(md, /Nothing changed in what goes into the image/);
    assert.match(md, /KB890830/);
    assert.doesNotMatch(md, /Customizer|Build setting|Template hash|Build duration/);
  });

  it("a changed OS disk size is a change even with the same template hash (vmProfile is patched, not hashed)", () => {
    const log = diffStates(base, { ...base, version: "1.10.1", settings: { vmSize: "Standard_D4s_v5", osDiskSizeGB: "256" } });
    assert.equal(log.unchanged, false);
    assert.ok(hasChanges(log));
  });

  it("says in one line each what it could not compare, and never fails", () => {
    const previous = stateOfTags("1.10.0", {});
    const log = diffStates(
      previous,
      { ...base, version: "1.10.1" },
      { template: "the image template win11-abc of 1.10.0 no longer exists", log: "the image template win11-abc of 1.10.0 no longer exists" },
    );
    const md = renderChangelog(log);
    assert.match(md, /Not compared: Customizers: the image template win11-abc of 1\.10\.0 no longer exists\./);
    assert.match(md, /Not compared: Build settings: the image template win11-abc of 1\.10\.0 no longer exists\./);
    assert.match(md, /Not compared: Applications: the image template win11-abc of 1\.10\.0 no longer exists\./);
    assert.match(md, /Not compared: Source version/);
    assert.equal(renderChangelog(diffStates(undefined, { ...base, version: "1.0.0" })).includes("First version of this image definition"), true);
  });
});

describe("the inventory customizer", () => {
  const base = validInputs({ "avd-steps": "language-packs: English (United Kingdom)\nadmin-sysprep" });
  const source: PinnedSource = {
    type: "PlatformImage",
    publisher: "MicrosoftWindowsDesktop",
    offer: "office-365",
    sku: "win11-24h2-avd-m365",
    version: "26100.4349.250607",
  };
  const planOf = (inputs: Record<string, string>) =>
    buildTemplatePlan(
      parseSettings((n: InputName) => inputs[n] ?? ""),
      source,
      { major: 1, minor: 0, patch: 0 },
    );

  it("is on by default, runs just before admin sysprep (which stays last), and prints between the markers the log reader looks for", () => {
    const names = (planOf(base).template.customize ?? []).map((c) => c.name);
    assert.deepEqual(names.slice(-2), [INVENTORY_CUSTOMIZER_NAME, "avdBuiltInScript_adminSysPrep"]);
    const inline = (inventoryCustomizer().inline ?? []).join("\n");
    assert.ok(inline.includes(`Write-Output '${INVENTORY_BEGIN}'`) && inline.includes(`Write-Output '${INVENTORY_END}'`));
    for (const source of ["Uninstall\\*", "WOW6432Node", "Get-HotFix", "Get-AppxProvisionedPackage -Online", "UBR"]) assert.ok(inline.includes(source), source);
  });

  it("inventory: false leaves it out (and so changes the template hash)", () => {
    const off = planOf({ ...base, inventory: "false" });
    assert.ok(!(off.template.customize ?? []).some((c) => c.name === INVENTORY_CUSTOMIZER_NAME));
    assert.notEqual(off.hash, planOf(base).hash);
    assert.throws(() => planOf({ ...base, inventory: "yes" }), /inventory/);
  });
});
