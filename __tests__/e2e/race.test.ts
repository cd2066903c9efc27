/**
 * Two runs started together for the same image definition: never two builds of one version. Identical
 * runs share one build (the later adopts it); runs with different templates race, and the later one
 * stops in seconds with a message naming the version race.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

describe("version races, end to end", () => {
  let s: Scenario;
  before(async () => (s = await startScenario({ phaseDurationsMs: { Customizing: 3000 } })));
  after(() => s.emu.close());

  const builds = () => s.emu.writeRequests().filter((r) => r.method === "POST" && /\/run$/i.test(r.path) && r.status === 202);

  it("two identical runs started together make one build: both finish green with the same version, the later one adopting the build", async () => {
    s.emu.resetLog();
    const before = versionNames(s);
    const runs = await Promise.all([s.run({ "inline-script": "Write-Host same" }), s.run({ "inline-script": "Write-Host same" })]);
    for (const run of runs) assert.equal(run.exitCode, 0, runs.map((r) => r.stdout).join("\n-----\n"));
    assert.equal(builds().length, 1, "one build accepted");
    assert.equal(s.emu.writeRequests().filter((r) => r.method === "POST" && /\/cancel$/i.test(r.path)).length, 0, "nothing canceled");
    assert.equal(runs[0]!.outputs["image-version"], runs[1]!.outputs["image-version"]);
    assert.deepEqual(
      versionNames(s).filter((v) => !before.includes(v)),
      [runs[0]!.outputs["image-version"]],
    );
    assert.equal(runs.filter((r) => /\| Note \| Adopted a build of /.test(r.summary)).length, 1, "the later run says it adopted the build");
  });

  it("two runs with different templates: one publishes the version, the other stops fast naming the race", async () => {
    s.emu.resetLog();
    const before = versionNames(s);
    const runs = await Promise.all(["Write-Host one", "Write-Host two"].map((script) => s.run({ "inline-script": script })));
    const winners = runs.filter((r) => r.exitCode === 0);
    const losers = runs.filter((r) => r.exitCode !== 0);
    assert.equal(winners.length, 1, runs.map((r) => r.stdout).join("\n-----\n"));
    assert.equal(losers.length, 1);
    assert.match(losers[0]!.stdout, /::error::Version race/);
    assert.ok(losers[0]!.durationMs < winners[0]!.durationMs, "the loser did not wait for a build");
    const published = versionNames(s).filter((v) => !before.includes(v));
    assert.deepEqual(published, [winners[0]!.outputs["image-version"]]);
    const accepted = builds();
    const canceled = s.emu.writeRequests().filter((r) => r.method === "POST" && /\/cancel$/i.test(r.path));
    assert.ok(accepted.length === 1 || (accepted.length === 2 && canceled.length === 1), `runs started: ${accepted.length}, canceled: ${canceled.length}`);
  });
});
