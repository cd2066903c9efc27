/**
 * Build control end to end: cancellation, the post step, timeouts, wait/attach, expiring tokens and
 * failing status reads — the bundle spawned as the GitHub runner spawns it, against the emulator.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { postStepEnv } from "../../harness/github-runner.ts";
import { buildRunning, cancelRequests, templateDeletes } from "../helpers/builds.ts";
import { type Scenario, seedManagedVersions, startScenario, versionNames } from "../helpers/scenario.ts";

describe("build control, end to end", () => {
  describe("cancellation", () => {
    let s: Scenario;
    before(async () => (s = await startScenario({ phaseDurationsMs: { Customizing: 60_000 } })));
    after(() => s.emu.close());

    it("SIGINT mid-build sends exactly one cancel, keeps the template, and exits non-zero within 5 s", async () => {
      let signalled = 0;
      const run = s.spawn(
        {},
        {},
        {
          onSpawn: (child) => {
            void buildRunning(s).then(async () => {
              signalled = Date.now();
              child.kill("SIGINT");
              await sleep(300);
              child.kill("SIGTERM"); // the runner's second signal must not send a second cancel
            });
          },
        },
      );
      const result = await run;
      const exitedAfter = Date.now() - signalled;
      assert.ok(signalled > 0, "the test signalled the action");
      assert.notEqual(result.exitCode, 0);
      assert.ok(exitedAfter < 5000, `exited ${exitedAfter} ms after SIGINT`);
      assert.equal(cancelRequests(s).length, 1);
      assert.deepEqual(templateDeletes(s), []);
      assert.match(result.stdout, /Asked Image Builder to cancel the build of win11-avd-m365-/);
      assert.equal(s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).length, 1, "template kept");
      assert.deepEqual(versionNames(s), []);
    });
  });

  describe("post step", () => {
    let s: Scenario;
    before(async () => (s = await startScenario({ phaseDurationsMs: { Customizing: 60_000 } })));
    after(() => s.emu.close());

    it("cancels the build a killed main step left running", async () => {
      const main = await s.spawn({}, {}, { onSpawn: (child) => void buildRunning(s).then(() => child.kill("SIGKILL")) });
      assert.equal(main.exitCode, null, "main step was killed");
      assert.equal(cancelRequests(s).length, 0);
      assert.match(main.state["avd-image-build"] ?? "", /win11-avd-m365-/, "main step recorded the running build");
      const post = await s.spawn({}, postStepEnv(main.state));
      assert.equal(post.exitCode, 0, post.stdout);
      assert.equal(cancelRequests(s).length, 1);
      assert.match(post.stdout, /::warning::The main step ended while the build of .* was running: asked Image Builder to cancel it/);
    });

    it("does nothing after a main step that finished", async () => {
      s.emu.setOptions({ phaseDurationsMs: { Customizing: 100 } });
      s.emu.resetLog();
      const main = await s.spawn({ "inline-script": "Write-Host 'second'" });
      assert.equal(main.exitCode, 0, main.stdout);
      const before = s.emu.requests.length;
      const post = await s.spawn({ "inline-script": "Write-Host 'second'" }, postStepEnv(main.state));
      assert.equal(post.exitCode, 0);
      assert.equal(cancelRequests(s).length, 0);
      assert.equal(s.emu.requests.length, before, "the post step of a finished build calls nothing");
    });
  });

  describe("timeout", () => {
    let s: Scenario;
    // One minute of build-timeout-minutes lasts 50 ms: a 6-minute timeout (the least Image Builder takes) hits during a 2 s Customizing.
    before(async () => (s = await startScenario({ buildTimeoutMsPerMinute: 50, phaseDurationsMs: { Customizing: 2000 } })));
    after(() => s.emu.close());

    it("a build exceeding build-timeout-minutes is stopped and reported as a timeout", async () => {
      const run = await s.run({ "build-timeout-minutes": "6" });
      assert.notEqual(run.exitCode, 0);
      assert.match(run.stdout, /::error::Timed out: Image Builder stopped the build of win11-avd-m365-\w+ at build-timeout-minutes \(6\)/);
      assert.match(run.summary, /context deadline exceeded/);
      assert.deepEqual(versionNames(s), []);
      const put = s.emu.writeRequests().find((r) => r.method === "PUT");
      assert.equal((put!.body as { properties: { buildTimeoutInMinutes: number } }).properties.buildTimeoutInMinutes, 6);
    });
  });

  describe("wait: false, then attach: true", () => {
    let split: Scenario;
    let whole: Scenario;
    before(async () => {
      [split, whole] = await Promise.all([
        startScenario({ phaseDurationsMs: { Customizing: 1500 } }),
        startScenario({ phaseDurationsMs: { Customizing: 1500 } }),
      ]);
      for (const s of [split, whole]) seedManagedVersions(s, ["1.0.0", "1.1.0", "1.2.0"]);
    });
    after(async () => {
      await split.emu.close();
      await whole.emu.close();
    });

    it("produces the same version, tags and pruning as one uninterrupted run", async () => {
      const inputs = { "keep-versions": "2", tags: "owner=avd-team" };
      const submitted = await split.run({ ...inputs, wait: "false" });
      assert.equal(submitted.exitCode, 0, submitted.stdout);
      assert.equal(submitted.outputs["run-state"], "Running");
      assert.equal(submitted.outputs["image-version"], "1.2.1");
      assert.equal(submitted.state["avd-image-build"] ?? "", "", "the post step must not cancel a build meant to go on");
      assert.equal(cancelRequests(split).length, 0);

      const [attached, uninterrupted] = await Promise.all([split.run({ ...inputs, attach: "true" }), whole.run(inputs)]);
      assert.equal(attached.exitCode, 0, attached.stdout);
      assert.equal(uninterrupted.exitCode, 0, uninterrupted.stdout);
      for (const name of ["image-version", "template-name", "source-image-version", "run-state", "pruned-versions"]) {
        assert.equal(attached.outputs[name], uninterrupted.outputs[name], name);
      }
      assert.deepEqual(versionNames(split), versionNames(whole));
      const tagsOf = (s: Scenario) => {
        const v = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((x) => x.name === "1.2.1")!;
        const { ["avd-image-action.build-start"]: _start, ["avd-image-action.build-end"]: _end, ...rest } = v.tags;
        return rest;
      };
      assert.deepEqual(tagsOf(split), tagsOf(whole));
      assert.equal(split.emu.writeRequests().filter((r) => /\/run$/i.test(r.path)).length, 1, "attach starts no second build");
    });
  });

  describe("credentials and status reads during long builds", () => {
    let s: Scenario;
    before(async () => (s = await startScenario({ tokenLifetimeSeconds: 2, githubTokenLifetimeSeconds: 2, phaseDurationsMs: { Customizing: 6000 } })));
    after(() => s.emu.close());

    it("a run with access and OIDC tokens expiring every 2 s completes, minting them again", async () => {
      const run = await s.run();
      assert.equal(run.exitCode, 0, run.stdout);
      assert.ok(s.emu.accessTokensIssued >= 3, `access tokens issued: ${s.emu.accessTokensIssued}`);
      assert.ok(s.emu.githubOidcCalls >= 2, `OIDC tokens minted: ${s.emu.githubOidcCalls}`);
      assert.equal(s.emu.requests.filter((r) => r.status === 401).length, 0, "no request went out with an expired token");
    });

    it("status reads failing for a while are tolerated (by time: 15 minutes, __tests__/unit/build-monitor.test.ts) and reported at the end as N status reads failed over M minutes", async () => {
      s.emu.setOptions({ tokenLifetimeSeconds: 3600, githubTokenLifetimeSeconds: 300, phaseDurationsMs: { Customizing: 4000 } });
      // Each failed read is 13 throttled requests (Retry-After: 0): the SDK's own 12 retries, then the monitor's.
      const statusRead = /imageTemplates\/[^/?]+\?/i;
      let fault: ReturnType<Scenario["emu"]["injectFault"]> | undefined;
      const stop = s.emu.onBuildPhase((_template, phase) => {
        if (phase === "Building" && !fault)
          fault = s.emu.injectFault({ method: "GET", path: statusRead, kind: "throttle", retryAfterSeconds: 0, times: 3 * 13 });
      });
      const survived = await s.run({ "inline-script": "Write-Host survive" });
      stop();
      assert.equal(survived.exitCode, 0, survived.stdout);
      assert.equal(fault!.hits, 39);
      assert.match(survived.stdout, /Reading the build status failed \(failing for \d+\.\d of 15 minutes tolerated\)/);
      assert.match(survived.stdout, /::warning::Following the build: 3 status reads failed over \d+\.\d minutes/);
      assert.match(survived.summary, /\| Note \| Following the build, 3 status reads failed over \d+\.\d minutes; the build was followed to its end\. \|/);
    });
  });
});
