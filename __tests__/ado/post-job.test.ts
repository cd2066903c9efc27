/**
 * The Azure DevOps task's post-job execution (task.json `postjobexecution`, the same bundle), as the agent
 * runs it: after the main execution, with the same inputs and service connection, and the task variables
 * the main execution set (`##vso[task.settaskvariable]`) as VSTS_TASKVARIABLE_<NAME>. It cancels a build a
 * killed main execution left running, like the GitHub Action's `post` step (__tests__/e2e/build-control.test.ts).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceEndpoint } from "../../harness/ado-agent.ts";
import { buildRunning, cancelRequests } from "../helpers/builds.ts";
import { type AdoScenario, startAdoScenario } from "./scenario.ts";

const runRequests = (s: AdoScenario) => s.emu.writeRequests().filter((r) => r.method === "POST" && /\/run$/i.test(r.path));

/**
 * Resolves once a build was started (a run request reached the emulator) while `child` runs; rejects when
 * `child` ended first (its watch then keeps no timer alive past the test).
 */
async function runStarted(s: AdoScenario, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (runRequests(s).length > 0) return;
    if (child.exitCode !== null || child.signalCode !== null) break;
    await sleep(50);
  }
  throw new Error("no build started");
}

/** An emulator with its own gallery and a workload identity connection, for one test. */
function scenario(options: Parameters<typeof startAdoScenario>[0]) {
  const ctx = {} as { s: AdoScenario; connection: ServiceEndpoint };
  before(async () => {
    ctx.s = await startAdoScenario(options);
    ctx.connection = await ctx.s.connection("workloadIdentity");
  });
  after(() => ctx.s.emu.close());
  return ctx;
}

describe("Azure DevOps post-job execution", { concurrency: true }, () => {
  describe("after a main execution killed mid-build", () => {
    const ctx = scenario({ phaseDurationsMs: { Customizing: 60_000 } });

    it("cancels the build it left running, once, with a warning, and succeeds", async () => {
      const { s, connection } = ctx;
      const main = await s.runTask(connection, {}, { onSpawn: (child) => void buildRunning(s).then(() => child.kill("SIGKILL")) });
      assert.equal(main.signal, "SIGKILL", "the main execution was killed");
      assert.equal(cancelRequests(s).length, 0, "a killed main execution sends no cancel");
      assert.equal(main.taskVariables.isPost, "true");
      assert.match(
        main.taskVariables["avd-image-build"] ?? "",
        /"templateName":"win11-avd-m365-[0-9a-f]{12}"/,
        "the main execution recorded the running build",
      );

      const post = await s.runTask(connection, {}, { stage: "postjob", taskVariables: main.taskVariables });
      assert.equal(post.exitCode, 0, post.stdout + post.stderr);
      assert.equal(cancelRequests(s).length, 1, "exactly one cancel");
      assert.equal(runRequests(s).length, 1, "no second build");
      assert.deepEqual(post.result, { result: "Succeeded", message: "Done" });
      assert.deepEqual(
        post.issues.map((i) => i.type),
        ["warning"],
      );
      assert.match(
        post.issues[0]!.message,
        /^The main step ended while the build of win11-avd-m365-[0-9a-f]{12} was running: asked Image Builder to cancel it\.$/,
      );
    });
  });

  describe("after a main execution that finished", () => {
    const ctx = scenario({ phaseDurationsMs: { Customizing: 100 } });

    it("makes no request at all", async () => {
      const { s, connection } = ctx;
      const main = await s.runTask(connection);
      assert.equal(main.exitCode, 0, main.stdout + main.stderr);
      assert.equal(main.taskVariables.isPost, "true");
      assert.equal(main.taskVariables["avd-image-build"], "", "the main execution cleared the build it saw end");

      const before = s.emu.requests.length;
      const post = await s.runTask(connection, {}, { stage: "postjob", taskVariables: main.taskVariables });
      assert.equal(post.exitCode, 0, post.stdout + post.stderr);
      assert.equal(s.emu.requests.length, before, "no request: not Resource Manager, not Entra ID, not the OIDC endpoint");
      assert.deepEqual(post.result, { result: "Succeeded", message: "Done" });
      assert.deepEqual(post.issues, []);
      assert.deepEqual(post.outputs, {}, "the post-job execution sets no output variable");
    });
  });

  // The agent runs the post-job execution with the condition always(), also when the main execution never
  // ran (skipped by its condition, or an earlier step failed, or the job was canceled before it). No task
  // variable marks it then: its own target, dist/post-job.js, does.
  describe("when the main execution never ran", () => {
    const ctx = scenario({ phaseDurationsMs: { Customizing: 60_000 } });

    it("starts no build", async () => {
      const { s, connection } = ctx;
      const post = await s.runTask(
        connection,
        {},
        {
          stage: "postjob",
          taskVariables: {},
          timeoutMs: 20_000,
          onSpawn: (child) =>
            void runStarted(s, child).then(
              () => child.kill("SIGKILL"),
              () => undefined,
            ),
        },
      );
      const writes = s.emu.writeRequests().map((r) => `${r.method} ${r.path.replace(/^.*\/providers\//, "…/")}`);
      assert.deepEqual(writes, [], "a post-job execution writes nothing when there is nothing to cancel");
      assert.equal(post.exitCode, 0);
    });
  });
});
