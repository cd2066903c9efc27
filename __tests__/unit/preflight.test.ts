import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AzureLookups, Lookup } from "../../src/azure/lookups.ts";
import { type InputName, parseSettings } from "../../src/settings.ts";
import { PreflightError, compatibilityProblems, preflight } from "../../src/steps/preflight.ts";
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

  it("accepts only sources whose security type the definition can take", () => {
    const ok = (definition?: string, source?: string) => compatibilityProblems({ hyperVGeneration: "V2", securityType: definition }, { hyperVGeneration: "V2", securityType: source }, names).length === 0;
    assert.ok(ok("TrustedLaunchSupported", "TrustedLaunchSupported"));
    assert.ok(ok("TrustedLaunchSupported", undefined));
    assert.ok(ok("TrustedLaunch", "TrustedLaunchSupported"));
    assert.ok(!ok("TrustedLaunch", undefined));
    assert.ok(!ok("TrustedLaunch", "Standard"));
    assert.ok(!ok(undefined, "TrustedLaunch"), "a source that requires Trusted Launch cannot go to a Standard definition");
    assert.ok(!ok("ConfidentialVM", "TrustedLaunchSupported"));
    assert.ok(ok("ConfidentialVMSupported", "TrustedLaunchAndConfidentialVmSupported"));
  });

  it("warns about what it may not read, and still fails on what is wrong", async () => {
    const inputs = validInputs();
    const settings = parseSettings((name: InputName) => inputs[name] ?? "");
    const source: ResolvedSource = { pinned: { type: "PlatformImage", publisher: "p", offer: "o", sku: "s", version: "1.0.0" }, exactVersion: "1.0.0", display: "p:o:s:latest" };
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
    assert.deepEqual(result.checks.filter((c) => c.status === "warning").map((c) => c.check).sort(), ["Identity", "Regions", "Resource group"]);
    assert.match(result.checks.find((c) => c.check === "Identity")!.detail, /could not check \(The client does not have authorization to perform action\.\): going on/);

    lookups.userAssignedIdentity = async () => ({ status: "missing", message: "not found" });
    await assert.rejects(preflight(settings, source, lookups, (n) => n), (error: Error) => error instanceof PreflightError && /Input 'identity-id'/.test(error.message));
  });
});
