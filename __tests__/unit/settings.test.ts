import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { BAD_INPUTS, SUBSCRIPTION, validInputs } from "../helpers/inputs.ts";

const reader = (inputs: Record<string, string>) => (name: InputName) => inputs[name] ?? "";

describe("settings", () => {
  it("parses valid inputs with the documented defaults", () => {
    const settings = parseSettings(reader(validInputs()));
    assert.equal(settings.galleryResourceGroup, "rg-avd-images");
    assert.deepEqual(settings.source, {
      kind: "marketplace",
      publisher: "MicrosoftWindowsDesktop",
      offer: "office-365",
      sku: "win11-24h2-avd-m365",
      version: "latest",
    });
    assert.deepEqual(settings.targetRegions, [], "empty: the preflight takes the image definition's region");
    assert.equal(settings.windowsUpdate, true);
    assert.equal(settings.vmSize, "Standard_D4s_v5");
    assert.equal(settings.osDiskSizeGb, 127);
    assert.equal(settings.buildTimeoutMinutes, 240);
    assert.equal(settings.keepVersions, 5);
    assert.equal(settings.versionStrategy, "patch");
    assert.equal(settings.dryRun, false);
    assert.deepEqual(settings.auth, { kind: "default" });
    assert.equal(settings.cloud.armEndpoint, "https://management.azure.com");
    assert.equal(settings.cloud.armScope, "https://management.azure.com/.default");
  });

  it("parses multi-line inputs: regions, tags, script URIs, inline script", () => {
    const settings = parseSettings(
      reader(
        validInputs({
          "target-regions": "westeurope=2\n northeurope \n# comment\n",
          tags: "owner=avd-team\ncostCenter = 4711\n",
          "script-uris": `https://example.com/a.ps1 ${"A".repeat(64)}\nhttps://example.com/b.ps1`,
          "inline-script": "Write-Host 'one'\r\nWrite-Host 'two'\n",
          "client-id": SUBSCRIPTION,
          "tenant-id": SUBSCRIPTION,
          "arm-endpoint": "https://127.0.0.1:8443/",
          version: "2.0.0",
        }),
      ),
    );
    assert.deepEqual(settings.targetRegions, [
      { name: "westeurope", replicaCount: 2 },
      { name: "northeurope", replicaCount: 1 },
    ]);
    assert.deepEqual(settings.tags, { owner: "avd-team", costCenter: "4711" });
    assert.deepEqual(settings.scriptUris, [{ uri: "https://example.com/a.ps1", sha256: "a".repeat(64) }, { uri: "https://example.com/b.ps1" }]);
    assert.deepEqual(settings.inlineScript, ["Write-Host 'one'", "Write-Host 'two'"]);
    assert.deepEqual(settings.auth, { kind: "oidc", clientId: SUBSCRIPTION, tenantId: SUBSCRIPTION, audience: "api://AzureADTokenExchange" });
    assert.equal(settings.cloud.armEndpoint, "https://127.0.0.1:8443");
    assert.equal(settings.cloud.armScope, "https://management.azure.com/.default");
    assert.deepEqual(settings.version, { major: 2, minor: 0, patch: 0 });
  });

  for (const bad of BAD_INPUTS) {
    it(`refuses ${bad.input}: ${JSON.stringify(bad.value)}`, () => {
      const inputs = validInputs({ [bad.input]: bad.value });
      if (bad.input === "client-id") inputs["tenant-id"] = SUBSCRIPTION;
      assert.throws(
        () => parseSettings(reader(inputs)),
        (error: Error) => {
          assert.ok(error instanceof SettingsError);
          assert.equal(error.problems.length, 1, error.message);
          assert.equal(error.problems[0]!.input, bad.input);
          assert.match(error.message, new RegExp(`Input '${bad.input}'`));
          assert.match(error.message, bad.expect);
          return true;
        },
      );
    });
  }

  it("reports every bad input at once, with the host's labels", () => {
    const inputs = validInputs({ "version-strategy": "x", "keep-versions": "many", "subscription-id": "" });
    assert.throws(
      () => parseSettings(reader(inputs), (name) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())),
      (error: SettingsError) => {
        assert.deepEqual(error.problems.map((p) => p.input).sort(), ["keep-versions", "subscription-id", "version-strategy"]);
        assert.match(error.message, /Input 'versionStrategy'/);
        assert.match(error.message, /Input 'subscriptionId': is required/);
        return true;
      },
    );
  });
});
