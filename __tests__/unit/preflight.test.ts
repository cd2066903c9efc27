import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AzureLookups, Lookup } from "../../src/azure/lookups.ts";
import { type InputName, parseSettings } from "../../src/settings/index.ts";
import { compatibilityProblems } from "../../src/steps/image-compatibility.ts";
import { PreflightError, definitionRegions, preflight } from "../../src/steps/preflight.ts";
import type { ResolvedSource } from "../../src/template/source.ts";
import { validInputs } from "../helpers/inputs.ts";

const names = { definition: "g/def", source: "src" };
const found = <T>(value: T): Lookup<T> => ({ status: "found", value });
const forbidden: Lookup<never> = { status: "forbidden", message: "The client does not have authorization to perform action. More text." };

describe("preflight rules", () => {
  it("matches Hyper-V generations (V1 when unset)", () => {
    assert.equal(compatibilityProblems({ hyperVGeneration: "V2" }, { hyperVGeneration: "V2" }, names).length, 0);
    assert.equal(compatibilityProblems({}, {}, names).length, 0);
    assert.match(compatibilityProblems({}, { hyperVGeneration: "V2" }, names)[0]!.detail, /generation V2, the image definition g\/def is V1/);
  });

  it("pairs security types as Image Builder documents: both TrustedLaunchSupported or both Standard; TrustedLaunch and ConfidentialVM are no source", () => {
    const problems = (definition?: string, source?: string) =>
      compatibilityProblems({ hyperVGeneration: "V2", securityType: definition }, { hyperVGeneration: "V2", securityType: source }, names);
    const ok = (definition?: string, source?: string) => problems(definition, source).length === 0;
    assert.ok(ok("TrustedLaunchSupported", "TrustedLaunchSupported"));
    assert.ok(ok(undefined, undefined));
    assert.ok(ok("Standard", undefined));
    assert.ok(ok(undefined, "Standard"));
    assert.ok(ok("TrustedLaunchSupported", "TrustedLaunchAndConfidentialVmSupported"), "a source that supports Trusted Launch and CVM supports Trusted Launch");
    assert.ok(ok("ConfidentialVMSupported", "ConfidentialVMSupported"));
    assert.ok(!ok("TrustedLaunchSupported", undefined), "a Standard source into a TrustedLaunchSupported definition");
    assert.ok(!ok(undefined, "TrustedLaunchSupported"), "a TrustedLaunchSupported source into a Standard Gen2 definition");
    assert.ok(!ok("TrustedLaunch", "TrustedLaunchSupported"), "a TrustedLaunch definition is not TrustedLaunchSupported");
    assert.ok(!ok("TrustedLaunch", "TrustedLaunch"));
    assert.ok(!ok("TrustedLaunchSupported", "TrustedLaunch"), "a TrustedLaunch image is not supported as a source");
    assert.ok(!ok("ConfidentialVMSupported", "ConfidentialVM"), "a ConfidentialVM image is not supported as a source");
    assert.ok(!ok("ConfidentialVMSupported", "TrustedLaunchSupported"));
    const standardDefinition = problems(undefined, "TrustedLaunchSupported")[0]!;
    assert.equal(standardDefinition.input, "image-definition");
    assert.match(
      standardDefinition.detail,
      /'source'.*'image-definition'.*Set 'image-definition' to a definition created with SecurityType TrustedLaunchSupported .*or 'source' to an image of SecurityType Standard\./,
    );
    const trustedLaunchSource = problems("TrustedLaunchSupported", "TrustedLaunch")[0]!;
    assert.equal(trustedLaunchSource.input, "source");
    assert.match(
      trustedLaunchSource.detail,
      /SecurityType TrustedLaunch, which Image Builder does not support as a source image\. Set 'source' to an image of SecurityType TrustedLaunchSupported/,
    );
  });

  it("target regions: empty takes the definition's region; a list must hold it", () => {
    assert.deepEqual(definitionRegions([], "northeurope", "g/def").targetRegions, [{ name: "northeurope", replicaCount: 1 }]);
    const given = [
      { name: "westeurope", replicaCount: 2 },
      { name: "northeurope", replicaCount: 1 },
    ];
    assert.deepEqual(definitionRegions(given, "northeurope", "g/def"), {
      targetRegions: given,
      check: { check: "Target regions", status: "ok", detail: "westeurope × 2, northeurope × 1 (holds northeurope, the image definition's region)" },
    });
    const refused = definitionRegions([{ name: "westeurope", replicaCount: 2 }], "northeurope", "g/def", (n) => `[${n}]`).check;
    assert.equal(refused.status, "failed");
    assert.equal(refused.input, "target-regions");
    assert.match(
      refused.detail,
      /lists westeurope but not northeurope, the region of image definition g\/def: .*Add a line 'northeurope' .* to '\[target-regions\]'/,
    );
  });

  it("warns about what it may not read, and still fails on what is wrong", async () => {
    const inputs = validInputs();
    const settings = parseSettings((name: InputName) => inputs[name] ?? "");
    const source: ResolvedSource = {
      pinned: { type: "PlatformImage", publisher: "p", offer: "o", sku: "s", version: "1.0.0" },
      exactVersion: "1.0.0",
      display: "p:o:s:latest",
    };
    const lookups: AzureLookups = {
      resourceGroup: async () => forbidden,
      regions: async () => forbidden,
      zonedRegions: async () => forbidden,
      imageDefinition: async () => found({ osType: "Windows", osState: "Generalized", hyperVGeneration: "V2", securityType: "TrustedLaunchSupported" }),
      managedImage: async () => forbidden,
      marketplaceImage: async () => found({ hyperVGeneration: "V2", securityType: "TrustedLaunchSupported" }),
      userAssignedIdentity: async () => forbidden,
    };
    const result = await preflight(settings, source, lookups, (n) => n);
    assert.deepEqual(
      result.checks
        .filter((c) => c.status === "warning")
        .map((c) => c.check)
        .sort(),
      ["Identity", "Regions", "Resource group"],
    );
    assert.match(
      result.checks.find((c) => c.check === "Identity")!.detail,
      /could not check \(The client does not have authorization to perform action\.\): going on/,
    );

    lookups.userAssignedIdentity = async () => ({ status: "missing", message: "not found" });
    await assert.rejects(
      preflight(settings, source, lookups, (n) => n),
      (error: Error) => error instanceof PreflightError && /Input 'identity-id'/.test(error.message),
    );
  });
});
