/**
 * Azure's own rules (emulator/README.md, "Azure rules"), end to end against the bundle: what a real subscription would fail late,
 * after the build, the action refuses in seconds with zero writes, naming the input and the fix — or it
 * does the right thing and publishes. The emulator alone failing each build late, with the product's
 * check bypassed, is shown in __tests__/emulator/azure-rules.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

/** The first image template PUT of the run, its properties. */
function templatePut(s: Scenario): Record<string, unknown> {
  const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path));
  assert.ok(put, "an image template was created");
  return (put.body as { properties: Record<string, unknown> }).properties;
}

describe("Azure rules, end to end", () => {
  let s: Scenario;
  let workspace: string;
  before(async () => {
    s = await startScenario();
    workspace = mkdtempSync(join(tmpdir(), "avd-rules-"));
    mkdirSync(join(workspace, "images"));
    writeFileSync(
      join(workspace, "images", "distribute-anyway.yml"),
      ["validate:", "  continueDistributeOnFailure: true", "  inVMValidations:", "    - { type: PowerShell, name: smoke, inline: ['exit 0'] }", ""].join("\n"),
    );
    writeFileSync(join(workspace, "images", "short-timeout.yml"), "buildTimeoutInMinutes: 3\n");
    const { emu, avd } = s;
    // An admin's gallery in another region than `location`, and an existing Standard Gen2 definition.
    emu.seedGallery({ resourceGroup: avd.resourceGroup, name: "galNorth", location: "northeurope" });
    const definition = {
      resourceGroup: avd.resourceGroup,
      publisher: "contoso",
      offer: "avd",
      osType: "Windows" as const,
      osState: "Generalized" as const,
      hyperVGeneration: "V2" as const,
    };
    emu.seedImageDefinition({ ...definition, gallery: "galNorth", name: "win11-north", sku: "north", securityType: "TrustedLaunchSupported" });
    emu.seedImageDefinition({ ...definition, gallery: avd.gallery, name: "win11-standard-gen2", sku: "std2" });
    emu.seedMarketplaceImage({
      location: avd.location,
      publisher: "contoso",
      offer: "hardened",
      sku: "win11-tl",
      versions: ["1.0.0"],
      hyperVGeneration: "V2",
      securityType: "TrustedLaunch",
    });
  });
  after(async () => {
    await s.emu.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  async function refused(inputs: Record<string, string>, input: string, expect: RegExp) {
    s.emu.resetLog();
    const run = await s.run(inputs, { GITHUB_WORKSPACE: workspace });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.stdout, new RegExp(`::error::.*Input '${input}'`));
    assert.match(run.stdout, expect);
    assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
    assert.deepEqual(s.emu.writeRequests(), []);
    return run;
  }

  describe("rule 1: target regions hold the image definition's region", () => {
    it("no target-regions: the version is published to the definition's region (gallery elsewhere than location)", async () => {
      s.emu.resetLog();
      const run = await s.run({ "gallery-name": "galNorth", "image-definition": "win11-north" });
      assert.equal(run.exitCode, 0, run.stdout);
      const distributor = (templatePut(s)["distribute"] as { targetRegions: { name: string; replicaCount: number }[] }[])[0]!;
      assert.deepEqual(
        distributor.targetRegions.map((r) => [r.name, r.replicaCount]),
        [["northeurope", 1]],
      );
      const versions = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, "galNorth", "win11-north");
      assert.deepEqual(
        versions.map((v) => v.name),
        [run.outputs["image-version"]],
      );
    });

    it("a list without the definition's region is refused by name before any write, with the fix", async () => {
      await refused(
        { "gallery-name": "galNorth", "image-definition": "win11-north", "target-regions": "westeurope=2" },
        "target-regions",
        /lists westeurope but not northeurope, the region of image definition galNorth\/win11-north: .*Add a line 'northeurope' \(or 'northeurope=<replicas>'\) to 'target-regions', or leave it empty/,
      );
    });

    it("a list holding it is published as listed", async () => {
      s.emu.resetLog();
      const run = await s.run({ "gallery-name": "galNorth", "image-definition": "win11-north", "target-regions": "westeurope=2\nnortheurope" });
      assert.equal(run.exitCode, 0, run.stdout);
      // Same template (target regions are not in its hash): its distributor is PATCHed.
      const patch = s.emu.writeRequests().find((e) => e.method === "PATCH" && /\/imageTemplates\//i.test(e.path))!;
      const distributor = (patch.body as { properties: { distribute: { targetRegions: { name: string; replicaCount: number }[] }[] } }).properties
        .distribute[0]!;
      assert.deepEqual(
        distributor.targetRegions.map((r) => [r.name, r.replicaCount]),
        [
          ["westeurope", 2],
          ["northeurope", 1],
        ],
      );
      assert.ok(
        s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, "galNorth", "win11-north").some((v) => v.name === run.outputs["image-version"]),
      );
    });
  });

  describe("rule 2: security-type pairing", () => {
    it("an existing Standard Gen2 definition with the default (TrustedLaunchSupported) source is refused, naming both inputs and the fix", async () => {
      await refused(
        { "image-definition": "win11-standard-gen2" },
        "image-definition",
        /\('source'\) has SecurityType TrustedLaunchSupported and the image definition galAvd\/win11-standard-gen2 \('image-definition'\) has SecurityType Standard: .*Set 'image-definition' to a definition created with SecurityType TrustedLaunchSupported .*or 'source' to an image of SecurityType Standard/,
      );
    });

    it("a TrustedLaunch image as the source is refused, naming 'source' and the fix", async () => {
      await refused(
        { source: "contoso:hardened:win11-tl:latest" },
        "source",
        /has SecurityType TrustedLaunch, which Image Builder does not support as a source image\. Set 'source' to an image of SecurityType TrustedLaunchSupported .*'image-definition' of the same SecurityType/,
      );
    });
  });

  describe("rule 7: build-timeout-minutes is 0 or 6-960", () => {
    for (const minutes of ["1", "5"]) {
      it(`${minutes} minutes is refused before any write, naming the input and the fix`, async () => {
        await refused(
          { "build-timeout-minutes": minutes },
          "build-timeout-minutes",
          /must be 0 \(Image Builder's default, 240 minutes\) or a whole number of minutes from 6 to 960.*client_jwt will expire within 5 minutes/,
        );
      });
    }

    it("a template file's buildTimeoutInMinutes of 3 is refused, naming the file and the field", async () => {
      await refused(
        { "template-file": "images/short-timeout.yml" },
        "template-file",
        /images\/short-timeout\.yml: buildTimeoutInMinutes \(line 1\): must be 0 .* or 6 to 960/,
      );
    });

    it("by default the template asks Image Builder for 240 minutes, and the version is published", async () => {
      s.emu.resetLog();
      const run = await s.run({});
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(templatePut(s)["buildTimeoutInMinutes"], 240);
      assert.ok(versionNames(s).includes(run.outputs["image-version"]!));
    });

    it("6 minutes is accepted", async () => {
      s.emu.resetLog();
      const run = await s.run({ "build-timeout-minutes": "6", "dry-run": "true" });
      assert.equal(run.exitCode, 0, run.stdout);
    });
  });

  describe("rule 6: validate.continueDistributeOnFailure", () => {
    it("true in a template file is refused before any write, naming the file's path and the fix", async () => {
      await refused(
        { "template-file": "images/distribute-anyway.yml" },
        "template-file",
        /images\/distribute-anyway\.yml: validate\.continueDistributeOnFailure \(line 2\): must not be true: Image Builder would publish an image version that failed validation .*Remove it \(or set it to false\)/,
      );
    });
  });
});
