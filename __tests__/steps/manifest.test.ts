/**
 * The manifest step: a published version's manifest is written to the host's temp directory, attached to
 * the run and given as `manifest-path`; a dry run writes none; a manifest that cannot be written is a
 * warning, never a failure of the published version.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Manifest } from "../../src/changelog/manifest.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

describe("manifest step", () => {
  it("writes the published version's manifest (version, source, template, provenance), attaches it and outputs its path", async () => {
    const world = fakeWorld();
    world.azure.seedVersion(...world.gallery, { name: "2.0.0" });
    const { code, host } = await runMain(world, {}, { host: { kind: "azure-pipelines" } });
    assert.equal(code, 0, host.failed);
    const path = host.outputs["manifest-path"]!;
    assert.equal(path, join(host.tempDirectory(), "avd-image-manifest-win11-avd-m365-2.0.1.json"));
    assert.deepEqual(host.attached, [path]);
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    assert.equal(manifest.imageVersion, "2.0.1");
    assert.equal(manifest.previousVersion, "2.0.0");
    assert.equal(manifest.imageVersionId, host.outputs["image-version-id"]);
    assert.equal(manifest.source.exactVersion, "26100.4652.250708");
    assert.equal(manifest.template.name, host.outputs["template-name"]);
    assert.equal(manifest.provenance.host, "azure-pipelines");
    assert.ok(manifest.build.start && manifest.build.end);
  });

  it("a dry run writes no manifest", async () => {
    const { host } = await runMain(fakeWorld(), { "dry-run": "true" });
    assert.equal(host.outputs["manifest-path"], "");
    assert.deepEqual(host.attached, []);
  });

  it("a temp directory that cannot be written is a warning: the version stays published and the run succeeds", async () => {
    const notADirectory = join(tmpdir(), `avd-manifest-blocker-${process.pid}`);
    writeFileSync(notADirectory, "a file, not a directory");
    const world = fakeWorld();
    const { code, host } = await runMain(world, {}, { host: { tempDirectory: join(notADirectory, "sub") } });
    assert.equal(code, 0, host.failed);
    assert.match(host.messages("warning").join("\n"), /The image version is published, but its manifest could not be written/);
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
  });
});
