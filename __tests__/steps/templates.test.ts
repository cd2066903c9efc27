/**
 * The template step: create a template for new content, reuse (PATCH) the template of the same content,
 * recreate one whose provisioning failed; and the garbage collection of this definition's older templates
 * (after the summary; before the create with a staging resource group), which never fails a run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanUpOlderTemplates } from "../../src/steps/templates.ts";
import { TAGS } from "../../src/tags.ts";
import type { RepositoryFiles } from "../../src/template/scripts.ts";
import { WORLD, fakeWorld, runMain, stepContext } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;
const definitionId = `/subscriptions/${WORLD.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${WORLD.gallery}/images/${WORLD.image}`;
const olderTags = { [TAGS.managed]: "true", [TAGS.imageDefinition]: definitionId };

describe("templates step", () => {
  it("creates a template for new content, and reuses it (PATCH distribute, no PUT) for the next version of the same content", async () => {
    const world = fakeWorld();
    const first = await runMain(world);
    assert.equal(first.code, 0, first.host.failed);
    assert.equal(first.host.outputs["template-reused"], "false");

    const second = await runMain(world);

    assert.equal(second.code, 0, second.host.failed);
    assert.equal(second.host.outputs["template-reused"], "true");
    assert.equal(world.azure.callsOf("createTemplate").length, 1, "one PUT in two runs");
    const [template] = world.azure.templatesIn(rg);
    assert.equal(world.azure.templatesIn(rg).length, 1);
    assert.match((template!.distribute![0] as { galleryImageId: string }).galleryImageId, /\/versions\/1\.0\.1$/, "the reused template now distributes 1.0.1");
    assert.deepEqual(world.azure.versionNames(...world.gallery).sort(), ["1.0.0", "1.0.1"]);
  });

  it("recreates a template whose provisioning failed (DELETE, then PUT under the same name)", async () => {
    const world = fakeWorld();
    await runMain(world, { "dry-run": "true" });
    const probe = await runMain(world);
    const name = probe.host.outputs["template-name"]!;
    const fresh = fakeWorld();
    fresh.azure.seedTemplate(rg, {
      name,
      provisioningState: "Failed",
      provisioningError: { provisioningErrorCode: "BadSourceType", message: "The source is bad." },
    });

    const { code, host } = await runMain(fresh);

    assert.equal(code, 0, host.failed);
    assert.deepEqual(fresh.azure.writes().slice(0, 2), [`deleteTemplate ${name}`, `createTemplate ${name}`]);
    assert.equal(fresh.azure.templatesIn(rg)[0]!.provisioningState, "Succeeded");
  });

  it("waits while another run is updating the template of this content, then reuses it", async () => {
    const world = fakeWorld();
    const name = (await runMain(fakeWorld())).host.outputs["template-name"]!;
    world.azure.seedTemplate(rg, { name, provisioningState: "Updating" });
    let reads = 0;
    world.azure.onCall("getTemplate", (_rg, n) => {
      if (n === name && ++reads === 3) world.azure.patchTemplate(rg, name, { provisioningState: "Succeeded" });
    });

    const { code, host } = await runMain(world);

    assert.equal(code, 0, host.failed);
    assert.match(host.logText(), /is updating by another run: waiting for it/);
    assert.equal(host.outputs["template-reused"], "true");
    assert.deepEqual(world.azure.callsOf("createTemplate"), []);
  });

  it("garbage-collects older templates of this definition: keeps a building one, leaves one stuck in Canceling for the next run, and warns on other refusals", async () => {
    const world = fakeWorld();
    world.azure.seedTemplate(rg, { name: "old-done", tags: olderTags, lastRunStatus: { runState: "Succeeded" } });
    world.azure.seedTemplate(rg, { name: "old-building", tags: olderTags, lastRunStatus: { runState: "Running" } });
    world.azure.seedTemplate(rg, { name: "old-stuck", tags: olderTags, lastRunStatus: { runState: "Canceling" } });
    world.azure.seedTemplate(rg, { name: "old-locked", tags: olderTags, lastRunStatus: { runState: "Failed" } });
    world.azure.seedTemplate(rg, { name: "other-definition", tags: { ...olderTags, [TAGS.imageDefinition]: `${definitionId}-other` } });
    world.azure.onCall("deleteTemplate", (_rg, name) => {
      if (name === "old-locked") throw Object.assign(new Error("The scope is locked (ScopeLocked)."), { statusCode: 409, code: "ScopeLocked" });
    });
    const ctx = stepContext(world);

    const deleted = await cleanUpOlderTemplates(ctx, definitionId, "keep-me", 2000);

    assert.deepEqual(deleted, ["old-done"]);
    assert.deepEqual(
      world.azure
        .templatesIn(rg)
        .map((t) => t.name)
        .sort(),
      ["old-building", "old-locked", "old-stuck", "other-definition"],
    );
    const log = ctx.host.logText();
    assert.match(log, /info: Keeping older template old-building: a build is running/);
    assert.match(log, /info: Older template old-stuck is still stuck in Canceling/);
    assert.match(log, /warning: Could not delete older template old-locked: The scope is locked/);
    assert.equal(ctx.host.failed, undefined);
  });

  it("a cleanup that outlasts its budget is a warning, and the run that published still succeeds", async () => {
    const world = fakeWorld();
    world.azure.seedTemplate(rg, { name: "old-slow", tags: olderTags, lastRunStatus: { runState: "Succeeded" } });
    world.azure.onCall("deleteTemplate", () => new Promise<void>(() => undefined));

    const { code, host } = await runMain(world, {}, { cleanupTimeoutMs: 20 });

    assert.equal(code, 0, host.failed);
    assert.match(host.messages("warning").join("\n"), /Deleting older image templates did not finish within 0 s; the image version is published and reported/);
    assert.equal(host.outputs["image-version"], "1.0.0");
  });

  it("with a staging resource group, the older templates go before the new template is created", async () => {
    const world = fakeWorld();
    world.lookups.seedResourceGroup(WORLD.subscriptionId, "rg-aib-staging");
    world.azure.seedTemplate(rg, { name: "old-done", tags: olderTags, lastRunStatus: { runState: "Succeeded" } });

    const { code, host } = await runMain(world, { "staging-resource-group": `/subscriptions/${WORLD.subscriptionId}/resourceGroups/rg-aib-staging` });

    assert.equal(code, 0, host.failed);
    const writes = world.azure.writes();
    assert.ok(
      writes.indexOf("deleteTemplate old-done") >= 0 && writes.indexOf("deleteTemplate old-done") < writes.findIndex((w) => w.startsWith("createTemplate")),
      writes.join(", "),
    );
  });

  it("uploads repository scripts before the template is created, once per content, and points the template at them", async () => {
    const files: Record<string, string> = { "scripts/setup.ps1": "Write-Host 'setup v1'" };
    const repository: RepositoryFiles = {
      workspace: "/checkout",
      glob: (pattern) => Object.keys(files).filter((f) => f === pattern),
      read: (path) => new TextEncoder().encode(files[path.replace(/^\/checkout\//, "")]!),
    };
    const inputs = { scripts: "scripts/setup.ps1", "scripts-storage-account": "https://stavdscripts.blob.core.windows.net/" };
    const world = fakeWorld();
    const uploadedAtCreate: number[] = [];
    world.azure.onCall("createTemplate", () => void uploadedAtCreate.push(world.scriptStore.puts.length));

    const first = await runMain(world, inputs, { repository });

    assert.equal(first.code, 0, first.host.failed);
    assert.deepEqual(world.scriptStore.puts, ["scripts/setup.ps1"]);
    assert.deepEqual(uploadedAtCreate, [1], "uploaded before the template PUT (Image Builder fetches script URLs at create)");
    const [blob] = [...world.scriptStore.blobs.keys()];
    const template = world.azure.templatesIn(rg)[0]!;
    assert.ok(JSON.stringify(template.customize).includes(blob!.split("/").slice(1).join("/")), `the template downloads ${blob}`);

    const again = await runMain(world, inputs, { repository });
    assert.equal(again.code, 0, again.host.failed);
    assert.deepEqual(world.scriptStore.puts, ["scripts/setup.ps1"], "unchanged content is not uploaded again");
    assert.match(again.host.messages("info").join("\n"), /Script scripts\/setup\.ps1: unchanged/);
  });
});
