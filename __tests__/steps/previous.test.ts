/**
 * The previous step: the changelog compares the new version with the previous one — its template (still in
 * Azure), its build log (Windows updates), or, once garbage collection deleted the template, the manifest
 * of its GitHub release; what cannot be compared is said.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WORLD, fakeEarlierLog, fakeWorld, packer, runMain } from "../fakes/fake-services.ts";

const rg = WORLD.resourceGroup;
const update = (kb: string) =>
  packer.out(`Found Windows update (2027-03-09; 4187.26 MB): 2027-03 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (${kb})`);

describe("previous step", () => {
  it("compares with the previous version's template and reads its build log from the staging resource group", async () => {
    const world = fakeWorld();
    await runMain(world, { "inline-script": "Write-Host 'one'" });
    const previous = world.azure.templatesIn(rg)[0]!;
    world.earlierLog = fakeEarlierLog({ [previous.exactStagingResourceGroup!]: `${update("KB5011111")}\n` });
    world.azure.scriptBuilds({ log: [...packer.provisioner(), update("KB5022222")] });

    const { code, host } = await runMain(world, { "inline-script": "Write-Host 'two'" });

    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.earlierLog.reads, [previous.exactStagingResourceGroup]);
    const changelog = host.outputs.changelog!;
    assert.match(changelog, /What changed since 1\.0\.0/);
    assert.match(changelog, /Customizer changed: `inline-script`/);
    assert.match(changelog, /KB5022222/);
    assert.doesNotMatch(changelog, /Not compared/);
  });

  it("the previous template is gone: the manifest of its GitHub release stands in for it", async () => {
    const world = fakeWorld();
    const release = { "github-release": "true", "github-token": "ghs_0123456789" };
    await runMain(world, { ...release, "inline-script": "Write-Host 'one'" });
    for (const t of world.azure.templatesIn(rg)) world.azure.dropTemplate(rg, t.name!);

    const { code, host } = await runMain(world, { ...release, "inline-script": "Write-Host 'two'" });

    assert.equal(code, 0, host.failed);
    assert.match(host.outputs.changelog!, /Customizer changed: `inline-script`/);
    assert.doesNotMatch(host.outputs.changelog!, /Not compared: Customizers/);
  });

  it("the previous template is gone and there is no release: the changelog says what it could not compare and why", async () => {
    const world = fakeWorld();
    await runMain(world, { "inline-script": "Write-Host 'one'" });
    const gone = world.azure.templatesIn(rg)[0]!.name!;
    world.azure.dropTemplate(rg, gone);

    const { code, host } = await runMain(world, { "inline-script": "Write-Host 'two'" });

    assert.equal(code, 0, host.failed);
    assert.match(host.outputs.changelog!, new RegExp(`Not compared: Customizers: the image template ${gone} of 1\\.0\\.0 no longer exists`));
  });

  it("a first version has nothing to compare with", async () => {
    const { host } = await runMain(fakeWorld());
    assert.match(host.outputs.changelog!, /First version of this image definition: nothing to compare with/);
  });
});
