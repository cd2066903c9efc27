/**
 * Adopt, don't abandon: a build running on this run's template (same name = same content) is this run's
 * image. A rerun after a lost runner, and a run whose own `run` request Azure accepted but answered 500,
 * follow that build and finish the job — never a second build.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildRunning } from "../helpers/builds.ts";
import { type Scenario, seedManagedVersions, startScenario, versionNames } from "../helpers/scenario.ts";

describe("adopting a running build, end to end", () => {
  let s: Scenario;
  before(async () => (s = await startScenario({ phaseDurationsMs: { Customizing: 2500 } })));
  after(() => s.emu.close());

  const runRequests = () => s.emu.writeRequests().filter((r) => r.method === "POST" && /\/run$/i.test(r.path));
  const PROVENANCE = ["managed", "template", "template-hash", "source", "source-version", "repository", "commit", "run-url", "build-start", "build-end"].map(
    (t) => `avd-image-action.${t}`,
  );

  it("SIGKILL mid-build, then a rerun with the same inputs: it adopts the orphan, publishes its version with every tag and prunes; one POST …/run", async () => {
    seedManagedVersions(s, ["0.9.0", "0.9.1", "0.9.2"]);
    s.emu.resetLog();
    const inputs = { "inline-script": "Write-Host 'lost runner'", "keep-versions": "2", tags: "team=avd" };
    let orphan = "";
    s.emu.nextBuild({ phaseDurationsMs: { Customizing: 8000 } }); // still running when the rerun (a cold start under load) looks
    const killed = await s.spawn(
      inputs,
      {},
      {
        onSpawn: (child) =>
          void buildRunning(s).then((name) => {
            orphan = name;
            child.kill("SIGKILL");
          }),
      },
    );
    assert.equal(killed.exitCode, null, "killed, no post step: the build is left running");
    assert.ok(orphan);
    const rerun = await s.run(inputs);
    assert.equal(rerun.exitCode, 0, rerun.stdout);
    assert.equal(runRequests().length, 1, "exactly one POST …/run: the orphan's");
    assert.equal(rerun.outputs["template-name"], orphan);
    assert.equal(rerun.outputs["image-version"], "0.9.3");
    assert.match(
      rerun.stdout,
      new RegExp(
        `::notice::Image template ${orphan} is already building this run's image .*started at \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z: it was already running when this run began`,
      ),
    );
    assert.doesNotMatch(rerun.stdout, /Version race/);
    const versions = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
    const published = versions.find((v) => v.name === "0.9.3")!;
    for (const tag of PROVENANCE) assert.ok(published.tags[tag], `tag ${tag} on the adopted version: ${JSON.stringify(published.tags)}`);
    assert.equal(published.tags.team, "avd");
    assert.deepEqual(versionNames(s), ["0.9.2", "0.9.3"], "pruned to keep-versions 2");
    assert.deepEqual(JSON.parse(rerun.outputs["pruned-versions"]!), ["0.9.1", "0.9.0"]);
    assert.match(rerun.summary, /\| Image template \| `[^`]+` \(adopted its running build\) \|/);
    assert.match(rerun.summary, /\| Note \| Adopted a build of \S+ started at \d{4}-\d{2}-\d{2}T[\d:.]+Z \(it was already running when this run began/);
  });

  it("the lost runner's build ended before the rerun: the rerun tags and prunes that build's untagged version; no second build", async () => {
    s.emu.resetLog();
    const inputs = { "inline-script": "Write-Host 'lost after the build'", "keep-versions": "2" };
    let orphan = "";
    await s.spawn(
      inputs,
      {},
      {
        onSpawn: (child) =>
          void buildRunning(s).then((name) => {
            orphan = name;
            child.kill("SIGKILL");
          }),
      },
    );
    const state = () =>
      (s.emu.getImageTemplate(s.avd.subscriptionId, s.avd.resourceGroup, orphan)?.properties as { lastRunStatus?: { runState?: string } } | undefined)
        ?.lastRunStatus?.runState;
    for (let i = 0; i < 200 && state() !== "Succeeded"; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(state(), "Succeeded");
    const before = versionNames(s);
    const rerun = await s.run(inputs);
    assert.equal(rerun.exitCode, 0, rerun.stdout);
    assert.equal(runRequests().length, 1, "no second build");
    assert.equal(rerun.outputs["template-name"], orphan);
    assert.match(rerun.stdout, /it succeeded, but no run tagged its version: a runner lost after the build/);
    const version = rerun.outputs["image-version"]!;
    assert.ok(before.includes(version), "the orphan's version, already published");
    const tags = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === version)!.tags;
    for (const tag of PROVENANCE) assert.ok(tags[tag], `tag ${tag}: ${JSON.stringify(tags)}`);
    assert.equal(versionNames(s).length, 2, "pruned to keep-versions 2");
  });

  it("Azure accepts the run but answers 500 once: the run checks lastRunStatus, follows its own build and publishes", async () => {
    s.emu.resetLog();
    const fault = s.emu.injectFault({ method: "POST", path: /\/imageTemplates\/[^/]+\/run\?/i, kind: "error500", afterHandling: true, times: 1 });
    const run = await s.run({ "inline-script": "Write-Host 'answered 500'" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(fault.hits, 1);
    const posts = runRequests();
    assert.deepEqual(
      posts.map((r) => r.status),
      [500, 409],
      "the SDK retried into a 409",
    );
    assert.equal(run.outputs["run-state"], "Succeeded");
    assert.ok(versionNames(s).includes(run.outputs["image-version"]!));
    assert.doesNotMatch(run.stdout, /::error::/);
    assert.match(run.stdout, /Image Builder answered this run's run request with an error although a build of this template is running/);
  });

  it("a different template (other content) building the same version is not adopted: the real race is still refused fast", async () => {
    s.emu.resetLog();
    const first = s.run({ "inline-script": "Write-Host 'rival one'" });
    await buildRunning(s);
    const second = await s.run({ "inline-script": "Write-Host 'rival two'" });
    const winner = await first;
    assert.equal(winner.exitCode, 0, winner.stdout);
    assert.equal(second.exitCode, 1, second.stdout);
    assert.match(second.stdout, /::error::Version race: image template \S+ is already building image version/);
  });
});
