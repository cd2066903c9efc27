/**
 * Two runs started together for the same image definition: one builds, the other stops in seconds
 * with a message naming the version race — never both building the same version.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

describe("version races, end to end", () => {
  let s: Scenario;
  before(async () => (s = await startScenario({ phaseDurationsMs: { Customizing: 3000 } })));
  after(() => s.emu.close());

  const builds = () => s.emu.writeRequests().filter((r) => r.method === "POST" && /\/run$/i.test(r.path) && r.status === 202);

  for (const variant of ["the same template", "different templates"]) {
    it(`two runs with ${variant}: one publishes the version, the other stops fast naming the race`, async () => {
      s.emu.resetLog();
      const before = versionNames(s);
      const scripts = variant === "the same template" ? ["Write-Host same", "Write-Host same"] : ["Write-Host one", "Write-Host two"];
      const runs = await Promise.all(scripts.map((script) => s.run({ "inline-script": script })));
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
  }
});
