/**
 * The matrix example at scale: 20 image definitions of one gallery built at once against one emulator.
 * Every run succeeds, each definition ends with exactly its retained versions, and each run deletes only
 * its own definition's older template. The 20 bundles run 10 at a time (2 shared cores); their builds overlap.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pLimit from "p-limit";
import { POLL_MS, avdTemplate, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const DEFINITIONS = Array.from({ length: 20 }, (_, i) => `matrix-${String(i + 1).padStart(2, "0")}`);
const PARALLEL = 10;

describe("matrix: 20 image definitions of one gallery at once", () => {
  let s: Scenario;
  let untrust: () => void;
  before(async () => {
    s = await startScenario({ phaseDurationsMs: { Queued: 100, Building: 200, Customizing: 2000, Optimizing: 50, Validating: 50, Distributing: 200 } });
    untrust = trustEmulator(s.emu);
    const images = imageBuilderClient(s.emu);
    await Promise.all(
      DEFINITIONS.map(async (name) => {
        const { id } = s.emu.seedAvdImageDefinition(name);
        for (const version of ["1.0.0", "1.0.1", "1.0.2"]) {
          s.emu.seedImageVersion({
            resourceGroup: s.avd.resourceGroup,
            gallery: s.avd.gallery,
            image: name,
            version,
            tags: { "avd-image-action.managed": "true" },
          });
        }
        // The template that built 1.0.2: this action's (by its tags), for this definition only.
        await images.virtualMachineImageTemplates.createOrUpdate(
          s.avd.resourceGroup,
          `${name}-old`,
          avdTemplate({
            identityId: s.avd.identityId,
            galleryImageId: `${id}/versions/1.0.2`,
            tags: { "avd-image-action.managed": "true", "avd-image-action.image-definition": id.toLowerCase() },
          }),
          { updateIntervalInMs: POLL_MS },
        );
      }),
    );
  });
  after(async () => {
    untrust();
    await s.emu.close();
  });

  it("all 20 succeed with overlapping builds; each keeps exactly its retained versions and deletes only its own older template", async () => {
    s.emu.resetLog();
    const limit = pLimit(PARALLEL);
    const runs = await Promise.all(
      DEFINITIONS.map((name) => limit(() => s.run({ "image-definition": name, "keep-versions": "2", "inline-script": "Write-Host matrix" }))),
    );

    runs.forEach((run, i) => {
      const name = DEFINITIONS[i]!;
      assert.equal(run.exitCode, 0, `${name}:\n${run.stdout}`);
      assert.equal(run.outputs["image-version"], "1.0.3", name);
      assert.deepEqual(JSON.parse(run.outputs["pruned-versions"]!), ["1.0.1", "1.0.0"], name);
      const versions = s.emu
        .listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, name)
        .map((v) => v.name)
        .sort();
      assert.deepEqual(versions, ["1.0.2", "1.0.3"], `${name} ends with exactly its retained versions`);
      const deleted = [...run.stdout.matchAll(/Deleted older template (\S+)/g)].map((m) => m[1]);
      assert.deepEqual(deleted, [`${name}-old`], `${name} deletes only its own older template`);
    });

    const templates = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup);
    const names = templates.map((t) => t.name as string);
    for (const [i, name] of DEFINITIONS.entries()) {
      assert.ok(names.includes(runs[i]!.outputs["template-name"]!), `${name}'s new template is still there`);
      assert.ok(!names.includes(`${name}-old`), `${name}-old was collected`);
    }
    const deletes = s.emu.writeRequests().filter((r) => r.method === "DELETE" && /imageTemplates/i.test(r.path));
    assert.ok(
      deletes.every((r) => /imageTemplates\/matrix-\d\d-old$/i.test(r.path)),
      "only older templates were ever deleted",
    );

    // Overlap: the most builds running at one instant (from Image Builder's own start/end times).
    const spans = templates
      .map((t) => (t.properties as { lastRunStatus?: { startTime?: string; endTime?: string } }).lastRunStatus)
      .filter((r) => r?.startTime && r.endTime)
      .map((r) => [Date.parse(r!.startTime!), Date.parse(r!.endTime!)] as const);
    const peak = Math.max(...spans.map(([start]) => spans.filter(([a, b]) => a <= start && start < b).length));
    assert.ok(peak >= 2, `builds overlapped (peak ${peak} at once)`);
    console.log(
      `matrix: ${DEFINITIONS.length} definitions, ${PARALLEL} bundles at a time, peak ${peak} builds at once, ${s.emu.requests.filter((r) => r.kind === "arm").length} ARM requests`,
    );
  });
});
