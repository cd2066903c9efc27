/**
 * Contract: the request bodies the product sends satisfy the vendored REST specs (imagebuilder
 * 2025-10-01, GalleryRP 2025-12-03), checked by the emulator's own validator (emulator/request-validation.ts).
 *
 * How it covers the whole end-to-end suite: the emulator answers 400 to any body with a violation (as
 * Azure's request validation does), so an e2e test that passes sent valid bodies, and every e2e
 * scenario (`startScenario`) also asserts on close that the emulator recorded zero violations — which
 * catches a 400 the product turned into a warning. This file proves the recording is real: a run of
 * every body-sending path (template PUT, version tagging with end-of-life, promote) is counted per
 * operation, and the negative control shows a pre-fix promote body is refused and makes the close fail.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { computeClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, seedManagedVersions, startScenario } from "../helpers/scenario.ts";

describe("request bodies the product sends are spec-valid", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
    seedManagedVersions(s, ["1.0.0"]);
  });
  after(() => s.emu.close());

  it("a staged build and its promotion: every body checked, zero violations", async () => {
    const build = await s.spawn({ "exclude-from-latest": "true", "end-of-life-days": "90" });
    assert.equal(build.exitCode, 0, build.stdout);
    const promote = await s.spawn({ mode: "promote" });
    assert.equal(promote.exitCode, 0, promote.stdout);
    const { checked, violations } = s.emu.bodyChecks();
    assert.deepEqual(violations, []);
    assert.ok((checked["PUT imageTemplates"] ?? 0) >= 1, JSON.stringify(checked));
    // publish (tags + end-of-life) and promote (excludeFromLatest + tags): both carry publishingProfile.
    assert.ok((checked["PATCH versions"] ?? 0) >= 2, JSON.stringify(checked));
    const patches = s.emu.requests.filter((e) => e.method === "PATCH" && /\/versions\//.test(e.path));
    for (const p of patches) {
      assert.deepEqual(p.bodyCheck, { violations: [] }, `${p.path} was checked`);
      const props = (p.body as { properties?: { storageProfile?: unknown } }).properties;
      if (props) assert.ok(props.storageProfile, "a PATCH with properties carries storageProfile");
    }
    // Every ARM write with a body to a spec'd operation was checked.
    const unchecked = s.emu.requests.filter((e) => e.kind === "arm" && e.body !== undefined && ["PUT", "PATCH"].includes(e.method) && !e.bodyCheck);
    assert.deepEqual(
      unchecked.map((e) => `${e.method} ${e.path}`),
      [],
    );
  });
});

describe("negative control: a body that breaks the spec", () => {
  it("the pre-fix promote body (publishingProfile without storageProfile) is refused 400 and fails the scenario's close", async () => {
    const s = await startScenario();
    seedManagedVersions(s, ["1.0.0"]);
    const untrust = trustEmulator(s.emu);
    try {
      const cc = computeClient(s.emu);
      const { resourceGroup, gallery, imageDefinition } = s.avd;
      const sent = cc.galleryImageVersions.update(
        resourceGroup,
        gallery,
        imageDefinition,
        "1.0.0",
        { tags: { a: "b" }, publishingProfile: { excludeFromLatest: false } } as never,
        { updateIntervalInMs: 10 },
      );
      await assert.rejects(
        sent,
        (e: { statusCode?: number; code?: string; message?: string }) =>
          e.statusCode === 400 &&
          e.code === "InvalidParameter" &&
          e.message === "Required parameter 'galleryImageVersion.properties.storageProfile' is missing (null).",
      );
      assert.equal(s.emu.bodyChecks().violations.length, 1);
      assert.match(s.emu.bodyChecks().violations[0]!, /PATCH .*\/versions\/1\.0\.0: properties\.storageProfile: Required parameter/);
    } finally {
      untrust();
      await assert.rejects(s.emu.close(), /request bodies that break the vendored specs/);
    }
  });
});
