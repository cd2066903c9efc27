/**
 * The release step (`github-release: true`): the published version becomes a GitHub release tagged
 * `image/<definition>/<version>` with the changelog and the manifest; its token is masked; a release that
 * cannot be made fails the run, the version staying published.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

const release = { "github-release": "true", "github-token": "ghs_releasetoken0123" };

describe("release step", () => {
  it("makes the release of the published version with the changelog as body and the manifest attached; the token is masked", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world, release);
    assert.equal(code, 0, host.failed);
    const made = world.releases.releases.get("image/win11-avd-m365/1.0.0")!;
    assert.equal(made.name, "win11-avd-m365 1.0.0");
    assert.equal(made.commit, "0123456789abcdef0123456789abcdef01234567");
    assert.match(made.body, /First version of this image definition/);
    assert.equal(made.manifest.imageVersion, "1.0.0");
    assert.ok(host.secrets.includes("ghs_releasetoken0123"));
    assert.ok(!host.lines.some((l) => l.message.includes("ghs_releasetoken0123")), "masked before the first line, debug lines included");
    assert.match(host.messages("info").join("\n"), /GitHub release image\/win11-avd-m365\/1\.0\.0 created: https:\/\/github\.com\//);
  });

  it("a release the token may not write fails the run with the permission to add, and the version stays published", async () => {
    const world = fakeWorld();
    world.releases.publish = async () => {
      throw Object.assign(new Error("Resource not accessible by integration"), { status: 403 });
    };
    const { code, host } = await runMain(world, release);
    assert.equal(code, 1);
    assert.match(
      host.failed!,
      /Image version 1\.0\.0 was published, but the GitHub release image\/win11-avd-m365\/1\.0\.0 could not be made: Resource not accessible by integration\. Give the job 'permissions: contents: write'/,
    );
    assert.deepEqual(world.azure.versionNames(...world.gallery), ["1.0.0"]);
    assert.equal(host.outputs["image-version"], "1.0.0");
  });

  it("no release without github-release, nor in a dry run", async () => {
    const world = fakeWorld();
    await runMain(world);
    await runMain(world, { ...release, "dry-run": "true" });
    assert.equal(world.releases.releases.size, 0);
  });
});
