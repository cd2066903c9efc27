/**
 * The build monitor (`monitorBuild`) on the in-memory gateway and a virtual clock: it follows this run's
 * build through its phases with a heartbeat, ignores the previous run's status, reads at once when
 * attaching, and gives up after the wait it was given. (Failing reads are unit-tested in
 * __tests__/unit/build-monitor.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MonitorError, type MonitorOptions, monitorBuild } from "../../src/steps/build-monitor.ts";
import { FakeAzure } from "../fakes/fake-azure.ts";

const rg = "rg-avd-images";

/** Options on a virtual clock: each wait moves it `pollIntervalSeconds` on, instantly. */
function virtual(extra: Partial<MonitorOptions> = {}): MonitorOptions & { lines: string[]; clock: { ms: number } } {
  const clock = { ms: 0 };
  const lines: string[] = [];
  return {
    resourceGroup: rg,
    templateName: "tpl",
    pollIntervalSeconds: 60,
    maxWaitMinutes: 300,
    maxFailingMinutes: 15,
    log: (line) => lines.push(line),
    now: () => clock.ms,
    wait: async (ms) => void (clock.ms += ms),
    lines,
    clock,
    ...extra,
  };
}

async function started(script: Parameters<FakeAzure["scriptBuilds"]>[0] = {}): Promise<FakeAzure> {
  const azure = new FakeAzure();
  azure.seedTemplate(rg, { name: "tpl" });
  azure.scriptBuilds(script);
  await azure.startRun(rg, "tpl");
  return azure;
}

describe("build monitor", () => {
  it("follows the build to Succeeded, telling each phase once, with its start and end times", async () => {
    const azure = await started();
    const phases: string[] = [];
    const options = virtual({ onPhase: (p) => phases.push(p) });
    const end = await monitorBuild(azure, options);
    assert.equal(end.runState, "Succeeded");
    assert.ok(end.startTime && end.endTime && end.endTime > end.startTime);
    assert.deepEqual(phases, ["Building", "Customizing", "Optimizing", "Validating", "Distributing"]);
    assert.match(options.lines[0]!, /^Build phase: Building \(1\.0 min elapsed\)$/);
  });

  it("a phase that lasts says 'Still …' every 5 minutes, and the wait gives up after maxWaitMinutes with a timed-out MonitorError", async () => {
    const azure = await started({ end: "running", at: "Customizing" });
    const options = virtual({ maxWaitMinutes: 20 });
    await assert.rejects(
      monitorBuild(azure, options),
      (error: unknown) => error instanceof MonitorError && error.timedOut && /after 20 minutes/.test(error.message),
    );
    const still = options.lines.filter((l) => l.startsWith("Still Customizing"));
    assert.ok(still.length >= 3 && still.length <= 4, options.lines.join("\n"));
  });

  it("ignores the previous run's status until this run's shows up", async () => {
    const azure = new FakeAzure();
    const before = new Date("2027-02-11T06:00:00Z");
    azure.seedTemplate(rg, { name: "tpl", lastRunStatus: { runState: "Succeeded", startTime: before, endTime: before } });
    let reads = 0;
    azure.onCall("getTemplate", async () => {
      if (++reads === 3) await azure.asAnotherRun((a) => a.startRun(rg, "tpl")); // Image Builder shows the new run late
    });
    const end = await monitorBuild(azure, virtual({ previousStartTime: before }));
    assert.equal(end.runState, "Succeeded");
    assert.notEqual(end.startTime?.getTime(), before.getTime());
    assert.ok(reads > 3);
  });

  it("reads at once when attaching (a build that may have ended), and one interval after a fresh start otherwise", async () => {
    const attached = virtual({ readImmediately: true });
    const azure = await started();
    await monitorBuild(azure, attached);
    const fresh = virtual();
    await monitorBuild(await started(), fresh);
    assert.match(attached.lines[0]!, /\(0\.0 min elapsed\)/);
    assert.match(fresh.lines[0]!, /\(1\.0 min elapsed\)/);
  });

  it("a template that disappears while building ends the wait saying so", async () => {
    const azure = await started({ end: "running" });
    let waits = 0;
    const options = virtual({
      wait: async () => {
        if (++waits === 2) azure.dropTemplate(rg, "tpl");
      },
    });
    await assert.rejects(monitorBuild(azure, options), /Image template tpl disappeared while its build was running/);
  });

  it("an abort stops the wait with the abort reason", async () => {
    const azure = await started({ end: "running" });
    const controller = new AbortController();
    const options = virtual({
      abortSignal: controller.signal,
      wait: async (_ms, signal) => {
        controller.abort(new Error("job canceled"));
        signal?.throwIfAborted();
      },
    });
    await assert.rejects(monitorBuild(azure, options), /job canceled/);
  });
});
