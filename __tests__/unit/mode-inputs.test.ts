/**
 * Inputs that have no effect in the chosen mode warn, naming each input (as the host writes it) and the mode.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { camelCase } from "../../src/hosts/azure-pipelines.ts";
import { INPUT_DEFAULTS, type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { inapplicableInputs, inapplicableWarning } from "../../src/steps/mode-inputs.ts";
import { validInputs } from "../helpers/inputs.ts";

const reader = (inputs: Record<string, string>) => (name: InputName) => inputs[name] ?? "";
const warnings = (inputs: Record<string, string>, label: (n: InputName) => string = (n) => n) => {
  const read = reader(validInputs(inputs));
  return inapplicableInputs(read, parseSettings(read)).map((f) => inapplicableWarning(f, label));
};

describe("inputs with no effect in the mode", () => {
  it("keep-versions with mode: promote warns, naming the input and the mode", () => {
    assert.deepEqual(warnings({ mode: "promote", "keep-versions": "3" }), [
      "Input 'keep-versions' has no effect with 'mode: promote' (a promotion only includes a staged version in latest; it builds, tags at publish and deletes nothing): remove it from this step.",
    ]);
  });

  it("build inputs with attach: true warn; tags and retention do not (they apply when attaching)", () => {
    const [warning, ...rest] = warnings({ attach: "true", "inline-script": "Write-Host x", version: "2.0.0", "keep-versions": "3", tags: "owner=avd" });
    assert.deepEqual(rest, []);
    assert.match(warning!, /^Inputs 'inline-script', 'version' have no effect with 'attach: true'/);
    assert.doesNotMatch(warning!, /keep-versions|tags/);
  });

  it("every input that shapes the image template warns with attach: true and mode: promote, the inventory, staging tags, build VM identities and replication mode included", () => {
    const shaping = {
      inventory: "false",
      "managed-resource-tags": "costCenter=42",
      "build-vm-identities": `/subscriptions/${"0".repeat(8)}-0000-0000-0000-${"0".repeat(12)}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-scripts`,
      "replication-mode": "Shallow",
    };
    const named = (warning: string) => [...warning.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]).filter((name) => name in shaping);
    const [attached] = warnings({ attach: "true", ...shaping });
    assert.deepEqual(named(attached!).sort(), Object.keys(shaping).sort());
    assert.match(attached!, /no effect with 'attach: true'/);
    const [promoted] = warnings({ mode: "promote", ...shaping });
    assert.deepEqual(named(promoted!).sort(), Object.keys(shaping).sort());
  });

  it("promote-after-days with mode: build warns", () => {
    assert.deepEqual(warnings({ "promote-after-days": "7" }).length, 1);
    assert.match(warnings({ "promote-after-days": "7" })[0]!, /'promote-after-days' has no effect with 'mode: build'/);
  });

  it("on Azure DevOps, inputs passed with their task.json default do not warn; the warning names camelCase inputs", () => {
    const defaults = Object.fromEntries(Object.entries(INPUT_DEFAULTS).filter(([, v]) => v !== ""));
    assert.deepEqual(warnings({ ...defaults, mode: "promote" }), []);
    assert.match(
      warnings({ ...defaults, mode: "promote", "keep-versions": "2" }, (n) => camelCase(n))[0]!,
      /^Input 'keepVersions' has no effect with 'mode: promote'/,
    );
  });

  it("a plain build sets nothing that does not apply", () => {
    assert.deepEqual(warnings({ "keep-versions": "3", "inline-script": "Write-Host x", tags: "a=b" }), []);
  });

  it("dry-run with attach: true is refused: attaching publishes", () => {
    assert.throws(
      () => parseSettings(reader(validInputs({ attach: "true", "dry-run": "true" }))),
      (e: unknown) => e instanceof SettingsError && /Input 'dry-run': cannot be 'true' with 'attach: true'/.test(e.message),
    );
  });
});
