/**
 * The core's lists of Azure enum values are the SDK's, not copies that drift: each list is a typed const
 * checked against the SDK type at compile time (ARCHITECTURE.md, "SDK enums"); these tests hold them to
 * the SDK's runtime `Known…` enums and show the parsers accept exactly those values.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KnownGalleryProvisioningState } from "@azure/arm-compute";
import { KnownReplicationMode, KnownSharedImageStorageAccountType } from "@azure/arm-imagebuilder";
import { planRetention } from "../../src/retention.ts";
import { STORAGE_ACCOUNT_TYPES, parseReplicationMode, parseTargetRegions } from "../../src/settings/formats.ts";
import { TERMINAL_RUN_STATES } from "../../src/steps/build-monitor.ts";

describe("SDK enums", () => {
  it("STORAGE_ACCOUNT_TYPES is every KnownSharedImageStorageAccountType value, each once", () => {
    assert.deepEqual([...STORAGE_ACCOUNT_TYPES].sort(), Object.values(KnownSharedImageStorageAccountType).sort());
  });

  it("a target-regions storage type is accepted in any case and written as the SDK spells it; PremiumV2_LRS (gallery-only) is refused", () => {
    const problems: string[] = [];
    const regions = parseTargetRegions("westeurope=2:standard_zrs\nnortheurope=1:PREMIUM_LRS", (m) => problems.push(m));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      regions?.map((r) => r.storageAccountType),
      [KnownSharedImageStorageAccountType.StandardZRS, KnownSharedImageStorageAccountType.PremiumLRS],
    );
    const refused: string[] = [];
    assert.equal(
      parseTargetRegions("westeurope=1:PremiumV2_LRS", (m) => refused.push(m)),
      undefined,
    );
    assert.match(refused.join("\n"), /must be one of Standard_LRS, Standard_ZRS, Premium_LRS/);
  });

  it("replication-mode accepts every KnownReplicationMode value in any case, written as the SDK spells it, and nothing else", () => {
    for (const mode of Object.values(KnownReplicationMode)) {
      const problems: string[] = [];
      assert.equal(
        parseReplicationMode(mode.toUpperCase(), (m) => problems.push(m)),
        mode,
      );
      assert.deepEqual(problems, []);
    }
    const refused: string[] = [];
    assert.equal(
      parseReplicationMode("Partial", (m) => refused.push(m)),
      undefined,
    );
    assert.equal(refused.length, 1);
  });

  it("TERMINAL_RUN_STATES are the run states that end a run (not Running, not Canceling)", () => {
    assert.deepEqual([...TERMINAL_RUN_STATES].sort(), ["Canceled", "Failed", "PartiallySucceeded", "Succeeded"]);
  });

  it("retention protects an image version in every unsettled KnownGalleryProvisioningState and may delete a settled one", () => {
    const unsettled = Object.values(KnownGalleryProvisioningState).filter((s) => s !== "Succeeded" && s !== "Failed");
    assert.ok(unsettled.includes(KnownGalleryProvisioningState.Migrating));
    const old = new Date("2020-01-01T00:00:00Z");
    const versions = [
      { name: "9.0.0", id: "v9", tags: { "avd-image-action.managed": "true" }, excludeFromLatest: false, publishedDate: old, provisioningState: "Succeeded" },
      ...[...unsettled, "Succeeded"].map((state, i) => ({
        name: `1.0.${i}`,
        id: `v1.0.${i}`,
        tags: { "avd-image-action.managed": "true" },
        excludeFromLatest: false,
        publishedDate: old,
        provisioningState: state,
      })),
    ];
    const verdicts = planRetention(versions, { keepVersions: 1, justBuilt: "9.0.0", pruneForeign: false, now: new Date("2026-01-01T00:00:00Z") });
    const byName = new Map(verdicts.map((v) => [v.version.name, v]));
    unsettled.forEach((state, i) => {
      assert.equal(byName.get(`1.0.${i}`)?.action, "protect", state);
      assert.equal(byName.get(`1.0.${i}`)?.reason, `provisioning state ${state}`);
    });
    assert.equal(byName.get(`1.0.${unsettled.length}`)?.action, "delete");
  });
});
