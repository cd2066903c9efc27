/**
 * The stuck-canceling step: a template stuck in Canceling (Image Builder refuses cancel, run and delete
 * there: danielsollondon/azvmimagebuilder#48) does not block the month's build: the same content is built
 * under the next name, with one warning that names the stuck template and what to ask Azure support.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WORLD, fakeWorld, runMain } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;

describe("stuck-canceling step", () => {
  it("builds the same content as <name>-2 when <name> is stuck in Canceling, and warns once naming it and Azure support", async () => {
    const name = (await runMain(fakeWorld(), { "dry-run": "true" })).host.outputs["template-name"]!;
    const world = fakeWorld();
    world.azure.seedTemplate(rg, { name, lastRunStatus: { runState: "Canceling", startTime: new Date("2027-02-11T06:00:00Z") } });

    const { code, host } = await runMain(world);

    assert.equal(code, 0, host.failed);
    assert.equal(host.outputs["template-name"], `${name}-2`);
    const warnings = host.messages("warning").filter((m) => m.includes("stuck in Canceling"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`Image template ${name} is stuck in Canceling \\(its build started 2027-02-11T06:00:00.000Z\\)`));
    assert.match(warnings[0]!, /Ask Azure support/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
    assert.equal(world.azure.templatesIn(rg).find((t) => t.name === name)!.lastRunStatus?.runState, "Canceling", "the stuck one is left alone");
  });

  it("a canceled build that sticks in Canceling: the next run's cleanup leaves it, and says the next run tries again", async () => {
    const world = fakeWorld();
    world.azure.scriptBuilds({ end: "running", stuckCanceling: true });
    const controller = new AbortController();
    world.azure.onCall("startRun", () => void setTimeout(() => controller.abort(new Error("Received SIGINT")), 5));
    const canceled = await runMain(world, { "inline-script": "Write-Host 'first'" }, { signal: controller.signal });
    assert.equal(canceled.code, 1);
    const stuck = world.azure.templatesIn(rg)[0]!.name!;

    const next = await runMain(world, { "inline-script": "Write-Host 'second'" });

    assert.equal(next.code, 0, next.host.failed);
    assert.match(
      next.host.logText(),
      new RegExp(`Older template ${stuck} is still stuck in Canceling: Image Builder refuses to delete it\\. The next run tries again\\.`),
    );
    assert.ok(world.azure.templatesIn(rg).some((t) => t.name === stuck));
  });
});
