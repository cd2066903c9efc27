/**
 * The build step: start the build, follow it to its end (phases, progress, status reads that fail for a
 * while), cancel it once when the job is canceled or the build is stuck, `wait: false` and `attach: true`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { armError } from "../fakes/arm-errors.ts";
import { WORLD, fakeWorld, packer, runMain } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;

describe("build step", () => {
  it("follows the build through its phases, reporting each once with progress, and records then clears the build for the post step", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world);
    assert.equal(code, 0, host.failed);
    const phases = host
      .messages("info")
      .filter((m) => m.startsWith("Build phase:"))
      .map((m) => m.split(" ")[2]);
    assert.deepEqual(phases, ["Building", "Customizing", "Optimizing", "Validating", "Distributing"]);
    assert.deepEqual(
      host.progress.map((p) => p.description),
      phases,
    );
    assert.ok(
      host.progress.every((p, i, all) => i === 0 || p.percent > all[i - 1]!.percent),
      "progress only grows",
    );
    assert.equal(world.azure.callsOf("startRun").length, 1);
    assert.equal(host.state["avd-image-build"], "");
  });

  it("a canceled job asks Image Builder to cancel the build once, keeps the template and publishes nothing", async () => {
    const world = fakeWorld();
    world.azure.scriptBuilds({ end: "running" });
    const controller = new AbortController();
    let reads = 0;
    world.azure.onCall("getTemplate", () => {
      if (world.azure.callsOf("startRun").length && ++reads === 3) controller.abort(new Error("Received SIGTERM"));
    });

    const { code, host } = await runMain(world, {}, { signal: controller.signal });

    assert.equal(code, 1);
    assert.equal(world.azure.callsOf("cancelRun").length, 1);
    assert.match(host.failed!, /Canceled: asked Image Builder to cancel the build of .* The template is kept; no version was published/);
    assert.equal(world.azure.templatesIn(rg).length, 1);
    assert.equal(world.azure.templatesIn(rg)[0]!.lastRunStatus?.runState, "Canceling");
    assert.deepEqual(world.azure.versionNames(...world.gallery), []);
  });

  it("status reads that fail for a while are ridden out, and the summary says how many failed", async () => {
    const world = fakeWorld();
    let failures = 0;
    world.azure.onCall("getTemplate", () => {
      if (world.azure.callsOf("startRun").length && failures < 2) {
        failures++;
        throw armError(503, "ServiceUnavailable", "The service is unavailable.");
      }
    });

    const { code, host } = await runMain(world);

    assert.equal(code, 0, host.failed);
    assert.match(host.messages("warning").join("\n"), /Following the build: 2 status reads failed over/);
    assert.match(host.summary, /2 status reads failed/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
  });

  it("a customizer silent for stall-minutes is canceled as stuck, and the failure names it", async () => {
    const world = fakeWorld();
    world.azure.scriptBuilds({ end: "running", at: "Customizing", log: [...packer.provisioner(), packer.out("Installing language pack de-DE")] });
    const { code, host } = await runMain(world, { "stall-minutes": "1", "inline-script": "Install-Language de-DE" }, { minuteMs: 10 });
    assert.equal(code, 1);
    assert.equal(world.azure.callsOf("cancelRun").length, 1, "asked once");
    assert.match(host.messages("warning").join("\n"), /Stuck build: no output for \d+ minutes \(stall-minutes: 1\)/);
    assert.match(host.failed!, /Stuck build canceled: no output for \d+ minutes \(stall-minutes: 1\), in customizer \S/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), []);
  });

  it("wait: false submits the build and returns Running; a later attach: true finishes it (version, tags, pruning)", async () => {
    const world = fakeWorld();
    const submitted = await runMain(world, { wait: "false" });
    assert.equal(submitted.code, 0, submitted.host.failed);
    assert.equal(submitted.host.outputs["run-state"], "Running");
    assert.equal(submitted.host.state["avd-image-build"], "", "the post step must not cancel a build meant to outlive the step");
    assert.deepEqual(world.azure.versionNames(...world.gallery), []);

    const attached = await runMain(world, { attach: "true" });

    assert.equal(attached.code, 0, attached.host.failed);
    assert.equal(attached.host.outputs["run-state"], "Succeeded");
    assert.equal(attached.host.outputs["image-version"], "1.0.0");
    assert.equal(world.azure.callsOf("startRun").length, 1, "attach starts no build");
    assert.equal(world.azure.version(...world.gallery, "1.0.0")!.tags["avd-image-action.managed"], "true");
  });

  it("a build that ends Failed at Distributing fails the run with Image Builder's message and the staging resource group", async () => {
    const world = fakeWorld();
    world.azure.scriptBuilds({
      end: "fail",
      at: "Distributing",
      message: "Distribution failed: Gallery image version publishing profile regions must contain the location of image version.",
    });
    const { code, host } = await runMain(world);
    assert.equal(code, 1);
    assert.match(host.failed!, /ended Failed: Distribution failed/);
    assert.match(host.failed!, /Staging resource group: \/subscriptions\/.*\/IT_rg-avd-images_/);
    assert.deepEqual(
      world.azure.writes().filter((w) => w.startsWith("updateImageVersion") || w.startsWith("deleteImageVersion")),
      [],
    );
  });
});
