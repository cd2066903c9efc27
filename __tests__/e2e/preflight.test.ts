/**
 * Preflight end to end: misconfigurations Image Builder would only report at distribution, after an
 * hour of build VM, fail here in seconds with zero writes, each naming the input and the fix.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, seedManagedVersions, startScenario } from "../helpers/scenario.ts";

describe("preflight, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
    const { avd, emu } = s;
    // A Gen1 marketplace image, a Gen2 image without Trusted Launch support, and odd definitions.
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "MicrosoftWindowsDesktop",
      offer: "windows-10",
      sku: "win10-22h2-avd",
      versions: ["19045.5487.250210"],
      hyperVGeneration: "V1",
    });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "contoso",
      offer: "legacy-desktop",
      sku: "gen2-standard",
      versions: ["1.0.0"],
      hyperVGeneration: "V2",
      securityType: "Standard",
    });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "contoso",
      offer: "planned",
      sku: "pro",
      versions: ["2.0.0"],
      hyperVGeneration: "V2",
      plan: { name: "pro", product: "planned", publisher: "contoso" },
    });
    const definition = {
      resourceGroup: avd.resourceGroup,
      gallery: avd.gallery,
      publisher: "contoso",
      offer: "avd",
      osType: "Windows" as const,
      osState: "Generalized" as const,
    };
    emu.seedImageDefinition({ ...definition, name: "win11-trustedlaunch", sku: "tl", hyperVGeneration: "V2", securityType: "TrustedLaunch" });
    emu.seedImageDefinition({ ...definition, name: "win11-gen1", sku: "g1", hyperVGeneration: "V1" });
    emu.seedImageDefinition({
      ...definition,
      name: "win11-specialized",
      sku: "sp",
      hyperVGeneration: "V2",
      securityType: "TrustedLaunchSupported",
      osState: "Specialized",
    });
  });
  after(() => s.emu.close());

  const cases: { name: string; inputs: () => Record<string, string>; input: string; expect: RegExp }[] = [
    {
      name: "TrustedLaunch definition with a source that does not support Trusted Launch",
      inputs: () => ({ "image-definition": "win11-trustedlaunch", source: "contoso:legacy-desktop:gen2-standard:latest" }),
      input: "image-definition",
      expect:
        /has SecurityType Standard and the image definition galAvd\/win11-trustedlaunch \('image-definition'\) has SecurityType TrustedLaunch: Image Builder publishes only a TrustedLaunchSupported source to a TrustedLaunchSupported image definition, or a Standard source to a Standard one/,
    },
    {
      name: "Gen1 definition with a Gen2 source",
      inputs: () => ({ "image-definition": "win11-gen1" }),
      input: "source",
      expect: /Hyper-V generation V2, the image definition galAvd\/win11-gen1 is V1/,
    },
    {
      name: "Gen2 definition with a Gen1 source",
      inputs: () => ({ source: "MicrosoftWindowsDesktop:windows-10:win10-22h2-avd:latest" }),
      input: "source",
      expect: /Hyper-V generation V1, the image definition galAvd\/win11-avd-m365 is V2/,
    },
    {
      name: "missing definition",
      inputs: () => ({ "image-definition": "win11-missing" }),
      input: "image-definition",
      expect: /gallery image definition 'galAvd\/win11-missing' does not exist .*Create it/,
    },
    {
      name: "specialized definition",
      inputs: () => ({ "image-definition": "win11-specialized" }),
      input: "image-definition",
      expect: /osState Specialized; Image Builder publishes generalized/,
    },
    {
      name: "missing identity",
      inputs: () => ({ "identity-id": s.avd.identityId.replace(/[^/]+$/, "id-nobody") }),
      input: "identity-id",
      expect: /user-assigned managed identity 'id-nobody' does not exist/,
    },
    {
      name: "unknown target region",
      inputs: () => ({ "target-regions": "westeurope\nwesteurop=2" }),
      input: "target-regions",
      expect: /'westeurop' is not an Azure region of subscription .* \(did you mean westeurope\?\)/,
    },
    {
      name: "missing resource group",
      inputs: () => ({ "resource-group": "rg-typo" }),
      input: "resource-group",
      expect: /resource group 'rg-typo' does not exist/,
    },
    {
      name: "unknown marketplace image",
      inputs: () => ({ source: "MicrosoftWindowsDesktop:office-365:win11-99h9-avd-m365:latest" }),
      input: "source",
      expect: /marketplace image MicrosoftWindowsDesktop:office-365:win11-99h9-avd-m365 was not found in westeurope/,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: fails in seconds, names '${c.input}', writes nothing`, async () => {
      s.emu.resetLog();
      const run = await s.run(c.inputs());
      assert.equal(run.exitCode, 1, run.stdout);
      assert.match(run.stdout, new RegExp(`::error::.*Input '${c.input}'`));
      assert.match(run.stdout, c.expect);
      assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
      assert.deepEqual(s.emu.writeRequests(), []);
    });
  }

  it("a taken explicit version fails before anything is written", async () => {
    seedManagedVersions(s, ["1.4.0"]);
    s.emu.resetLog();
    const run = await s.run({ version: "1.4.0" });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /::error::Input 'version': image version 1\.4\.0 already exists/);
    assert.deepEqual(s.emu.writeRequests(), []);
  });

  it("reports every problem at once, and lists the checks in the job summary", async () => {
    s.emu.resetLog();
    const run = await s.run({
      "image-definition": "win11-gen1",
      "identity-id": s.avd.identityId.replace(/[^/]+$/, "id-nobody"),
      "target-regions": "westeurope\nmars",
    });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /Preflight found 3 problems; nothing was created or deleted/);
    for (const input of ["source", "identity-id", "target-regions"]) assert.match(run.stdout, new RegExp(`Input '${input}'`));
    assert.match(run.summary, /✔ Resource group/);
    assert.match(run.summary, /✖ Identity/);
    assert.deepEqual(s.emu.writeRequests(), []);
  });

  it("a marketplace image with a purchase plan builds with planInfo, after a warning about its terms", async () => {
    s.emu.resetLog();
    const run = await s.run({ source: "contoso:planned:pro:latest", "dry-run": "true" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.match(run.stdout, /::warning::Preflight ⚠ Purchase plan: contoso:planned:pro:latest has purchase plan contoso\/planned\/pro/);
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
