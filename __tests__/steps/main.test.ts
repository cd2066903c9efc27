/**
 * main() as a whole, in-process on the fakes: what Azure ends up with and what the host got, for a build
 * that publishes and prunes, a build that fails in a customizer, a dry run and a skip.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sameResourceId } from "../../src/resource-id.ts";
import { TAGS } from "../../src/tags.ts";
import { armError, authorizationFailed, throttled } from "../fakes/arm-errors.ts";
import { WORLD, fakeWorld, packer, runMain } from "../fakes/fake-services.ts";

const { resourceGroup: rg, gallery, image } = WORLD;
const managed = { [TAGS.managed]: "true" };
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

describe("main() on the fakes", () => {
  it("a build publishes the next (patch) version, tags it, prunes beyond keep-versions, cleans up the older template, and reports outputs and summary", async () => {
    const world = fakeWorld();
    for (const [i, name] of ["1.0.0", "1.1.0", "1.2.0"].entries())
      world.azure.seedVersion(rg, gallery, image, { name, tags: managed, publishedDate: daysAgo(90 - i * 30) });
    const imageDefinitionId = `/subscriptions/${WORLD.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gallery}/images/${image}`;
    world.azure.seedTemplate(rg, {
      name: "win11-avd-m365-older",
      location: "westeurope",
      tags: { ...managed, [TAGS.imageDefinition]: imageDefinitionId },
      lastRunStatus: { runState: "Succeeded" },
    });
    world.azure.seedTemplate(rg, { name: "someone-elses", location: "westeurope", tags: {} });
    world.azure.scriptBuilds({
      log: [
        ...packer.provisioner(),
        packer.out("Found Windows update (2027-03-09; 4187.26 MB): 2027-03 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5099999)"),
      ],
    });

    const { code, host } = await runMain(world, { "keep-versions": "2", "inline-script": "Write-Host 'hello'" });

    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.azure.versionNames(rg, gallery, image).sort(), ["1.2.0", "1.2.1"], "1.2.1 published (patch); 1.0.0 and 1.1.0 pruned; 1.2.0 kept");
    const built = world.azure.version(rg, gallery, image, "1.2.1")!;
    assert.equal(built.tags[TAGS.managed], "true");
    assert.equal(built.tags[TAGS.previousVersion], "1.2.0");
    assert.equal(built.tags[TAGS.repository], "contoso/avd-images");
    const templates = world.azure
      .templatesIn(rg)
      .map((t) => t.name)
      .sort();
    assert.equal(templates.length, 2, `the older template of this definition is gone, someone else's stays: ${templates}`);
    assert.ok(templates.includes("someone-elses"));
    assert.equal(host.outputs["image-version"], "1.2.1");
    assert.ok(sameResourceId(host.outputs["image-version-id"]!, built.id), "the version ID as the run output names it (Azure writes `resourcegroups`)");
    assert.equal(host.outputs["run-state"], "Succeeded");
    assert.deepEqual(JSON.parse(host.outputs["pruned-versions"]!).sort(), ["1.0.0", "1.1.0"]);
    assert.equal(host.outputs.skipped, "false");
    assert.match(host.outputs.changelog!, /KB5099999/, "the Windows update the build log showed is in the changelog");
    assert.match(host.summary, /1\.2\.1/);
    assert.match(host.summary, /KB5099999/);
    const cleanup = world.azure.calls.findIndex((c) => c.method === "deleteTemplate");
    const lastVersionWrite = world.azure.calls.findLastIndex((c) => c.method === "deleteImageVersion");
    assert.ok(cleanup > lastVersionWrite, "older templates go after the version is published and pruned");
    assert.equal(host.state["avd-image-build"], "", "the post step has nothing to cancel");
  });

  it("a build that fails in a customizer fails the run naming that customizer, publishes nothing and deletes nothing", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(rg, gallery, image, { name: "1.0.0", tags: managed, publishedDate: daysAgo(400) });
    world.azure.scriptBuilds({
      end: "fail",
      at: "Customizing",
      message:
        "Failed while waiting for packerizer: Microservice has failed: Failed while processing request: Error when executing packerizer: Packer build command has failed: exit status 1.",
      log: [...packer.provisioner(), packer.out("ERROR: Install-Language failed with exit code 1")],
    });

    const { code, host } = await runMain(world, { "keep-versions": "1", "inline-script": "Install-Language de-DE" });

    assert.equal(code, 1);
    const template = world.azure.templatesIn(rg)[0]!;
    const first = template.customize![0]!.name!;
    assert.match(host.failed!, /ended Failed: Failed while waiting for packerizer/);
    assert.ok(host.failed!.includes(`Failing customizer: ${first}`), `${host.failed} names ${first}`);
    assert.match(host.summary, /Install-Language failed/, "the summary quotes the failing log line");
    assert.deepEqual(world.azure.versionNames(rg, gallery, image), ["1.0.0"], "no version published, nothing pruned");
    assert.deepEqual(
      world.azure.writes().filter((w) => w.startsWith("delete")),
      [],
    );
    assert.equal(host.outputs["image-version"], undefined, "no outputs on a failed build");
  });

  it("a dry run plans the version, the template and the deletions, and writes nothing to Azure", async () => {
    const world = fakeWorld();
    for (const name of ["1.0.0", "1.1.0"]) world.azure.seedVersion(rg, gallery, image, { name, tags: managed, publishedDate: daysAgo(200) });

    const { code, host } = await runMain(world, { "dry-run": "true", "keep-versions": "1" });

    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.azure.writes(), []);
    assert.equal(host.outputs["run-state"], "DryRun");
    assert.equal(host.outputs["image-version"], "1.1.1");
    assert.deepEqual(JSON.parse(host.outputs["planned-deletions"]!).sort(), ["1.0.0", "1.1.0"]);
    assert.equal(host.outputs["pruned-versions"], "[]");
    assert.ok(host.groups.includes("Dry run: the plan (nothing is written)"));
  });

  it("skip-if-unchanged skips a build whose template and source are what the newest version was built from", async () => {
    const world = fakeWorld();
    const first = await runMain(world, {});
    assert.equal(first.code, 0, first.host.failed);
    const writes = world.azure.writes().length;

    const again = await runMain(world, { "skip-if-unchanged": "true" });

    assert.equal(again.code, 0, again.host.failed);
    assert.equal(again.host.outputs["run-state"], "Skipped");
    assert.equal(again.host.outputs.skipped, "true");
    assert.equal(again.host.outputs["image-version"], "1.0.0");
    assert.equal(world.azure.writes().length, writes, "nothing written by the skipped run");
    assert.deepEqual(world.azure.versionNames(rg, gallery, image), ["1.0.0"]);
  });

  it("Azure's SubscriptionNotFound on the first call fails the run naming 'subscription-id' and the fix", async () => {
    const world = fakeWorld();
    world.azure.failNext("listMarketplaceVersions", armError(404, "SubscriptionNotFound", `The subscription '${WORLD.subscriptionId}' could not be found.`));
    const { code, host } = await runMain(world);
    assert.equal(code, 1);
    assert.match(host.failed!, /Input 'subscription-id': Resource Manager found no subscription .* \(SubscriptionNotFound\)\. Check the ID/);
    assert.deepEqual(world.azure.writes(), []);
  });

  it("a template PUT still throttled after the SDK's retries fails the run with Azure's message; the next run builds", async () => {
    const world = fakeWorld();
    world.azure.failNext("createTemplate", throttled());
    const failed = await runMain(world);
    assert.equal(failed.code, 1);
    assert.match(failed.host.failed!, /throttled/);
    assert.deepEqual(world.azure.templatesIn(rg), []);
    const next = await runMain(world);
    assert.equal(next.code, 0, next.host.failed);
    assert.equal(next.host.outputs["image-version"], "1.0.0");
  });

  it("tagging refused after a successful build: the run fails, nothing is lost, and the next run finishes that version without building again", async () => {
    const world = fakeWorld();
    world.azure.failNext(
      "updateImageVersion",
      authorizationFailed("Microsoft.Compute/galleries/images/versions/write", `/subscriptions/${WORLD.subscriptionId}/resourceGroups/${rg}`),
    );
    const failed = await runMain(world);
    assert.equal(failed.code, 1);
    assert.match(failed.host.failed!, /does not have authorization to perform action 'Microsoft\.Compute\/galleries\/images\/versions\/write'/);
    assert.deepEqual(world.azure.versionNames(rg, gallery, image), ["1.0.0"], "the built version is kept");

    const next = await runMain(world);

    assert.equal(next.code, 0, next.host.failed);
    assert.equal(world.azure.callsOf("startRun").length, 1, "no second build");
    assert.equal(next.host.outputs["image-version"], "1.0.0");
    assert.equal(world.azure.version(rg, gallery, image, "1.0.0")!.tags[TAGS.managed], "true");
  });
});
