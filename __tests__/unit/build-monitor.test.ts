/**
 * The build monitor tolerates failing status reads by time (15 minutes in a row), not by count, on a
 * virtual clock: 5xx answers and reset connections while Image Builder has a bad quarter of an hour.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import type { AzureGateway } from "../../src/azure/gateway.ts";
import { MAX_FAILING_READ_MINUTES } from "../../src/steps/build.ts";
import { MonitorError, monitorBuild } from "../../src/steps/build-monitor.ts";

const START = Date.UTC(2027, 2, 10, 6, 0);
const MINUTE = 60_000;

/** A gateway whose template builds for `buildMinutes` and whose reads fail when `failing(minute)` says so. */
function fakeAzure(clock: { t: number }, buildMinutes: number, failing: (minute: number) => boolean) {
  const reads = { ok: 0, failed: 0 };
  const azure = {
    async getTemplate() {
      const minute = (clock.t - START) / MINUTE;
      if (failing(minute)) {
        reads.failed += 1;
        throw reads.failed % 2
          ? new RestError("Encountered internal server error.", { statusCode: 500, code: "InternalServerError" })
          : Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
      }
      reads.ok += 1;
      const done = minute >= buildMinutes;
      return {
        name: "t",
        identity: {},
        lastRunStatus: { runState: done ? "Succeeded" : "Running", runSubState: done ? undefined : "Customizing", startTime: new Date(START), message: "" },
      };
    },
  } as unknown as AzureGateway;
  return { azure, reads };
}

function follow(azure: AzureGateway, clock: { t: number }, log: string[] = []) {
  return monitorBuild(azure, {
    resourceGroup: "rg",
    templateName: "t",
    pollIntervalSeconds: 30,
    maxWaitMinutes: 300,
    maxFailingMinutes: MAX_FAILING_READ_MINUTES,
    log: (line) => log.push(line),
    now: () => clock.t,
    wait: async (ms) => void (clock.t += ms),
  });
}

describe("build monitor: failing status reads tolerated by time", () => {
  it("is 15 minutes", () => assert.equal(MAX_FAILING_READ_MINUTES, 15));

  it("reads failing with 500s and reset connections for 14 minutes: the build is followed to its end and the failures are counted", async () => {
    const clock = { t: START };
    const { azure, reads } = fakeAzure(clock, 20, (m) => m >= 2 && m < 16);
    const log: string[] = [];
    const end = await follow(azure, clock, log);
    assert.equal(end.runState, "Succeeded");
    assert.equal(end.failedReads?.count, reads.failed);
    assert.equal(reads.failed, 28, "every 30 s for 14 minutes");
    assert.equal(end.failedReads?.minutes, 13.5, "first failure at 2:00, last at 15:30");
    assert.ok(
      log.some((l) => /Reading the build status failed \(failing for 13\.5 of 15 minutes tolerated\): read ECONNRESET/.test(l)),
      log.join("\n"),
    );
  });

  it("two bad stretches of 10 minutes with a good read between them: tolerated (one good read ends the streak)", async () => {
    const clock = { t: START };
    const { azure } = fakeAzure(clock, 30, (m) => (m >= 2 && m < 12) || (m >= 12.5 && m < 22.5));
    const end = await follow(azure, clock);
    assert.equal(end.runState, "Succeeded");
    assert.equal(end.failedReads?.count, 40);
  });

  it("reads failing for 15 minutes in a row: gives up with N status reads failed over M minutes, saying the build may still run", async () => {
    const clock = { t: START };
    const { azure } = fakeAzure(clock, 60, (m) => m >= 2);
    await assert.rejects(follow(azure, clock), (error: unknown) => {
      assert.ok(error instanceof MonitorError && !error.timedOut);
      assert.match(
        error.message,
        /status reads kept failing for 15\.0 minutes \(31 status reads failed over 15\.0 minutes; 15 minutes tolerated\)\. The build may still be running in Azure: run again with the same inputs to follow it to its end/,
      );
      return true;
    });
    assert.equal((clock.t - START) / MINUTE, 17, "gave up at 2 + 15 minutes, not before");
  });

  it("no failures: nothing reported", async () => {
    const clock = { t: START };
    const end = await follow(fakeAzure(clock, 5, () => false).azure, clock);
    assert.equal(end.failedReads, undefined);
  });
});
