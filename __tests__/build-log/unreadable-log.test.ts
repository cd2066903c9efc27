/**
 * A build log that cannot be read never decides a build: the bundle, spawned against the emulator, still
 * publishes the image and says why the log is missing in exactly one warning — when Azurite refuses the
 * token (no `--oauth`: 403 AuthorizationFailure, what a storage firewall answers), when the blob endpoint
 * cannot be reached (Azurite stopped: a network-isolated build), and when the staging resource group has
 * no storage account (the emulator without Azurite).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import type { ActionRun } from "../../harness/github-runner.ts";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

const warnings = (run: ActionRun) => run.stdout.split("\n").filter((l) => l.startsWith("::warning::"));
const storageListCalls = (s: Scenario) => s.emu.requests.filter((r) => /\/providers\/Microsoft\.Storage\/storageAccounts$/i.test(r.path));

/** The run published its version and warned exactly once, about the build log. */
function assertSucceededWithOneWarning(s: Scenario, run: ActionRun, version: string, why: RegExp): string {
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.equal(run.outputs["image-version"], version);
  assert.equal(run.outputs["run-state"], "Succeeded");
  assert.ok(versionNames(s).includes(version));
  const all = warnings(run);
  assert.equal(all.length, 1, all.join("\n"));
  assert.match(all[0]!, /^::warning::Build log: /);
  assert.match(all[0]!, why);
  assert.match(all[0]!, /The build goes on; its result does not depend on the log\.$/);
  assert.doesNotMatch(run.stdout, /PACKER (OUT|ERR)/, "no log lines");
  return all[0]!;
}

describe("an unreadable build log, end to end", { concurrency: true }, () => {
  describe("Azurite that refuses bearer tokens, then is gone", { concurrency: 1 }, () => {
    let azurite: Azurite;
    let s: Scenario;
    before(async () => {
      azurite = await startAzurite({ oauth: false });
      s = await startScenario({ azurite });
    });
    after(async () => {
      await s.emu.close();
      await azurite.stop();
    });

    it("403 AuthorizationFailure from storage: the build succeeds, one warning says why and how to enable the log", async () => {
      const run = await s.run();
      const warning = assertSucceededWithOneWarning(s, run, "1.0.0", /refused the request \(AuthorizationFailure/);
      assert.match(warning, /'Storage Blob Data Reader' on the staging resource group IT_rg-avd-images_win11-avd-m365-[0-9a-f]{12}_[0-9a-f-]{36}/);
      assert.ok(s.emu.buildLogs()[0]!.written.length > 0, "the log was there, only unreadable");
    });

    it("a blob endpoint that cannot be reached (network-isolated): the build succeeds with one warning", async () => {
      await azurite.stop();
      const run = await s.run({ "inline-script": "Write-Host 'isolated'" });
      assertSucceededWithOneWarning(s, run, "1.0.1", /cannot reach the blob endpoint of storage account [a-z0-9]{24} .*\(ECONNREFUSED\).*network-isolated/);
    });
  });

  describe("no storage account in the staging resource group (the emulator without Azurite)", () => {
    let s: Scenario;
    before(async () => (s = await startScenario()));
    after(() => s.emu.close());

    it("the build succeeds with one warning at the end, after a quiet search that spares Resource Manager", async () => {
      s.emu.nextBuild({ phaseDurationsMs: { Queued: 200, Building: 1000, Customizing: 3000, Optimizing: 100, Validating: 100, Distributing: 200 } });
      const run = await s.run();
      assertSucceededWithOneWarning(
        s,
        run,
        "1.0.0",
        /customization\.log of this build was not found in the staging resource group IT_rg-avd-images_.*no storage account/,
      );
      const out = run.stdout.split("\n");
      assert.ok(
        out.findIndex((l) => l.startsWith("::warning::")) > out.findIndex((l) => l.startsWith("Build phase: Distributing")),
        "quiet while the build ran",
      );
      const polls = s.emu.requests.filter((r) => r.method === "GET" && /imageTemplates\/[^/]+$/i.test(r.path)).length;
      const lists = storageListCalls(s).length;
      assert.ok(
        lists >= 2 && lists <= 4 && lists < polls,
        `storage accounts listed ${lists} times over ${polls} status polls (backoff 1, 2, 4 … polls, and once at the end)`,
      );
    });
  });
});
