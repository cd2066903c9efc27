/**
 * The race step: two runs for the same image definition that chose the same version. The later one stops
 * in seconds — before starting when another template already builds that version, or right after starting
 * (canceling its own build) when the other started first — instead of failing at distribution an hour later.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WORLD, fakeWorld, runMain } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;

describe("race step", () => {
  it("another template already building the same version: this run stops before starting its build", async () => {
    const world = fakeWorld();
    await runMain(world, { wait: "false", "inline-script": "Write-Host 'run A'" });
    const rival = world.azure.templatesIn(rg)[0]!.name!;

    const { code, host } = await runMain(world, { "inline-script": "Write-Host 'run B'" });

    assert.equal(code, 1);
    assert.match(host.failed!, new RegExp(`Version race: image template ${rival} is already building image version 1\\.0\\.0`));
    assert.match(host.failed!, /concurrency:/);
    assert.deepEqual(
      world.azure.callsOf("startRun").map((a) => a[1]),
      [rival],
      "the second run started no build",
    );
  });

  it("both started: the run that started last cancels its own build and stops; the first one's build goes on", async () => {
    const world = fakeWorld();
    let rival = "";
    world.azure.onCall("startRun", async () => {
      if (rival) return;
      // Run A starts its build (same version, other content) just before this run's start.
      rival = "win11-avd-m365-rival";
      const [mine] = world.azure.templatesIn(rg);
      await world.azure.asAnotherRun(async (azure) => {
        azure.seedTemplate(rg, { ...mine!, name: rival });
        await azure.startRun(rg, rival);
      });
    });

    const { code, host } = await runMain(world, { "inline-script": "Write-Host 'run B'" });

    assert.equal(code, 1);
    assert.match(host.failed!, /Version race: image template win11-avd-m365-rival is already building image version 1\.0\.0/);
    const mine = world.azure.templatesIn(rg).find((t) => t.name !== rival)!;
    assert.deepEqual(
      world.azure.callsOf("cancelRun").map((a) => a[1]),
      [mine.name],
      "it canceled its own build, not the rival's",
    );
    assert.equal(world.azure.templatesIn(rg).find((t) => t.name === rival)!.lastRunStatus?.runState, "Running");
  });

  it("a version published while this run was planning stops it before any template write", async () => {
    const world = fakeWorld();
    world.azure.onCall("getImageVersion", () => {
      if (!world.azure.version(...world.gallery, "1.0.0")) world.azure.seedVersion(...world.gallery, { name: "1.0.0" });
    });
    const { code, host } = await runMain(world);
    assert.equal(code, 1);
    assert.match(host.failed!, /Image version 1\.0\.0 was created in galAvd\/win11-avd-m365 while this run was planning/);
    assert.deepEqual(world.azure.writes(), []);
  });
});
