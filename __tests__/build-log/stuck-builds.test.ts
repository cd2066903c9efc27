/**
 * Issue 11 item 5 end to end: the emulator writes a stuck build's customization.log to Azurite (a sysprep
 * loop, a Windows Update reboot loop, a silent customizer) over emulated time, one minute lasting 100 ms;
 * the bundle, told the same scale (AVD_IMAGE_ACTION_MINUTE_MS), follows the log, cancels the build once
 * within 2 emulated minutes of the pattern appearing, and names the customizer and the pattern.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import type { BuildLogRecord } from "../../emulator/index.ts";
import { MAX_RESTARTS, SYSPREP_REPEATS } from "../../src/steps/stuck-detector.ts";
import { cancelRequests } from "../helpers/builds.ts";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

/** One emulated minute, in ms, for the emulator and the action alike. */
const MINUTE_MS = 100;
const ENV = { AVD_IMAGE_ACTION_MINUTE_MS: String(MINUTE_MS) };
/** The build's own limit: 120 minutes (12 s here); every stuck build below must be canceled long before. */
const INPUTS = { "build-timeout-minutes": "120" };
/** Building lasts 12 minutes, so the action is following the log when Customizing begins (its first status read is 10 minutes in). */
const PHASES = { phaseDurationsMs: { Building: 12 * MINUTE_MS } };

/** Decodes the message of the `::error::` command @actions/core printed. */
function errorMessage(stdout: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith("::error::")) ?? "";
  return line.slice("::error::".length).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/** When the `count`-th line matching `pattern` reached the blob (ms since the epoch). */
function appearedAt(log: BuildLogRecord, pattern: RegExp, count: number): number {
  let seen = 0;
  for (const append of log.appends) {
    seen += append.text.split("\n").filter((l) => pattern.test(l)).length;
    if (seen >= count) return append.at;
  }
  throw new Error(`only ${seen} lines match ${pattern}`);
}

/** The one cancel request's time (ms since the epoch). */
function cancelAt(s: Scenario): number {
  const cancels = cancelRequests(s);
  assert.equal(cancels.length, 1, "exactly one cancel request");
  return Date.parse(cancels[0]!.time);
}

describe("stuck builds, end to end against the emulator and Azurite (1 minute = 100 ms)", () => {
  let azurite: Azurite;
  let s: Scenario;
  before(async () => {
    azurite = await startAzurite();
    s = await startScenario({ azurite, buildTimeoutMsPerMinute: MINUTE_MS });
  });
  after(async () => {
    await s.emu.close();
    await azurite.stop();
  });

  it("without the action following it, a sysprep loop runs until the build timeout, as on Azure (the emulator's loop alone fails the build late)", async () => {
    s.emu.resetLog();
    s.emu.nextBuild({ stuck: { kind: "sysprep-loop" } });
    // wait: false submits the build and leaves: nobody reads the log or cancels.
    const run = await s.run({ "build-timeout-minutes": "20", "inline-script": "Write-Host 'control'", wait: "false" }, ENV);
    assert.equal(run.exitCode, 0, run.stdout);
    let status: { runState?: string; message?: string } = {};
    for (let i = 0; i < 200 && !["Failed", "Succeeded", "Canceled"].includes(status.runState ?? ""); i += 1) {
      await sleep(50);
      const template = s.emu.getImageTemplate(s.avd.subscriptionId, s.avd.resourceGroup, run.outputs["template-name"]!)!;
      status = (template.properties as { lastRunStatus?: typeof status }).lastRunStatus ?? {};
    }
    assert.equal(status.runState, "Failed");
    assert.match(status.message ?? "", /context deadline exceeded/);
    assert.equal(cancelRequests(s).length, 0);
    const undeployable = s.emu
      .buildLogs()
      .at(-1)!
      .lines.filter((l) => /IMAGE_STATE_UNDEPLOYABLE$/.test(l)).length;
    assert.ok(undeployable >= 10, `${undeployable} UNDEPLOYABLE lines until the timeout`);
  });

  it("a sysprep loop (IMAGE_STATE_UNDEPLOYABLE for ever) is canceled within 2 minutes, naming Image Builder's deprovisioning step", async (t) => {
    s.emu.resetLog();
    s.emu.nextBuild({ ...PHASES, stuck: { kind: "sysprep-loop" } });
    const run = await s.run(INPUTS, ENV);
    assert.notEqual(run.exitCode, 0, run.stdout);
    const log = s.emu.buildLogs().at(-1)!;
    const appeared = appearedAt(log, /IMAGE_STATE_UNDEPLOYABLE$/, SYSPREP_REPEATS);
    const lag = cancelAt(s) - appeared;
    assert.ok(lag >= 0 && lag <= 2 * MINUTE_MS, `canceled ${lag} ms (${(lag / MINUTE_MS).toFixed(2)} emulated minutes) after the pattern appeared`);
    t.diagnostic(`cancel request ${lag} ms = ${(lag / MINUTE_MS).toFixed(2)} emulated minutes after the pattern appeared`);

    const error = errorMessage(run.stdout);
    const name = /the build of (win11-avd-m365-[0-9a-f]{12})/.exec(error)?.[1];
    const template = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).find((t) => t.name === name)!;
    const ordinal = (template.properties as { customize: unknown[] }).customize.length + 1;
    // Packer's provisioner after the template's customizers: Image Builder's own deprovisioning step.
    const customizer = `Image Builder's deprovisioning (Sysprep), after the template's ${ordinal - 1} steps`;
    assert.ok(
      error.startsWith(`Stuck build canceled: sysprep loop: IMAGE_STATE_UNDEPLOYABLE ${SYSPREP_REPEATS} times in a row, in customizer ${customizer}.`),
      error.slice(0, 600),
    );
    assert.match(error, /it ended Canceled and no version was published\. Troubleshooting: Sysprep cannot generalize the VM\. .*setupact\.log/);
    assert.match(
      error,
      new RegExp(
        `What customization\\.log shows \\(sysprep loop: [^)]*\\):\\n(\\[${log.runId.toLowerCase()}\\] PACKER OUT     azure-arm: IMAGE_STATE_UNDEPLOYABLE\\n){12}`,
      ),
    );
    assert.match(run.stdout, /::warning::Stuck build: sysprep loop/);
    assert.ok(run.summary.split("\n").includes(`- Customizer: ${customizer}`), run.summary);
    assert.match(
      run.summary,
      /### What customization\.log shows \(sysprep loop: IMAGE_STATE_UNDEPLOYABLE 90 times in a row\)\n\n```text\n(.*IMAGE_STATE_UNDEPLOYABLE\n){12}```/,
    );
    assert.match(run.summary, /- Troubleshooting: Sysprep cannot generalize the VM/);
    assert.deepEqual(versionNames(s), []);
    assert.doesNotMatch(run.stdout, /context deadline exceeded/, "not the build timeout");
  });

  it("a Windows Update reboot loop (more than 10 restarts in the windows-update customizer) is canceled within 2 minutes", async (t) => {
    s.emu.resetLog();
    s.emu.nextBuild({ ...PHASES, stuck: { kind: "windows-update-reboot-loop" } });
    const run = await s.run({ ...INPUTS, "inline-script": "Write-Host 'second'" }, ENV);
    assert.notEqual(run.exitCode, 0, run.stdout);
    const log = s.emu.buildLogs().at(-1)!;
    const appeared = appearedAt(log, /==> azure-arm: Restarting the machine\.\.\.$/, MAX_RESTARTS + 1);
    const lag = cancelAt(s) - appeared;
    assert.ok(lag >= 0 && lag <= 2 * MINUTE_MS, `canceled ${lag} ms (${(lag / MINUTE_MS).toFixed(2)} emulated minutes) after the pattern appeared`);
    t.diagnostic(`cancel request ${lag} ms = ${(lag / MINUTE_MS).toFixed(2)} emulated minutes after the pattern appeared`);

    const error = errorMessage(run.stdout);
    const name = /the build of (win11-avd-m365-[0-9a-f]{12})/.exec(error)?.[1];
    const template = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).find((t) => t.name === name)!;
    const customize = (template.properties as { customize: { type: string; name: string }[] }).customize;
    const ordinal = customize.findIndex((c) => c.type === "WindowsUpdate") + 1;
    assert.ok(
      error.startsWith(
        `Stuck build canceled: restart loop: ${MAX_RESTARTS + 1} restarts in one windows-update customizer (more than ${MAX_RESTARTS}), in customizer ${customize[ordinal - 1]!.name} (WindowsUpdate, customizer ${ordinal} of ${customize.length}).`,
      ),
      error.slice(0, 600),
    );
    assert.match(error, /Troubleshooting: An update keeps failing .*windows-update-filters/);
    assert.match(
      error,
      /What customization\.log shows \(restart loop: 11 restarts in one windows-update customizer \(more than 10\)\):\n(.*PACKER OUT ==> azure-arm: Restarting the machine\.\.\.\n){11}/,
    );
    assert.match(run.summary, /### What customization\.log shows \(restart loop: 11 restarts in one windows-update customizer \(more than 10\)\)/);
    assert.deepEqual(versionNames(s), []);
  });

  it("stall-minutes: a customizer silent for 12 minutes is canceled 5 minutes after its last line; without stall-minutes the same build succeeds", async (t) => {
    const silent = { ...PHASES, stuck: { kind: "silent-customizer" as const, customizerName: "inline-script", minutes: 12 } };
    s.emu.resetLog();
    s.emu.nextBuild(silent);
    const run = await s.run({ ...INPUTS, "inline-script": "Write-Host 'third'", "stall-minutes": "5" }, ENV);
    assert.notEqual(run.exitCode, 0, run.stdout);
    const log = s.emu.buildLogs().at(-1)!;
    const lastLine = appearedAt(log, /Found command: Write-Host 'third'$/, 1);
    const after = cancelAt(s) - lastLine;
    // The stall clock starts when the action reads the line (at most one log poll, half a minute, after it
    // was written): 5 minutes, plus that, plus the cancel request; 3 minutes of slack for a loaded machine.
    assert.ok(
      after >= 5 * MINUTE_MS && after <= 8 * MINUTE_MS,
      `canceled ${after} ms (${(after / MINUTE_MS).toFixed(2)} emulated minutes) after the customizer's last line`,
    );
    t.diagnostic(`cancel request ${after} ms = ${(after / MINUTE_MS).toFixed(2)} emulated minutes after the customizer's last line (stall-minutes 5)`);
    const error = errorMessage(run.stdout);
    assert.match(
      error,
      /^Stuck build canceled: no output for 5 minutes \(stall-minutes: 5\), in customizer inline-script \(PowerShell, customizer \d+ of \d+\)\./,
    );
    assert.match(
      error,
      /What customization\.log shows \(no output for 5 minutes \(stall-minutes: 5\)\):\n(.*\n)*?.*Found command: Write-Host 'third'\n\nLast/,
      "the quoted lines end with the customizer's last line",
    );
    assert.match(error, /Troubleshooting: The customizer may be waiting for input/);

    s.emu.resetLog();
    s.emu.nextBuild(silent);
    const quiet = await s.run({ ...INPUTS, "inline-script": "Write-Host 'fourth'" }, ENV);
    assert.equal(quiet.exitCode, 0, quiet.stdout);
    assert.equal(cancelRequests(s).length, 0);
    assert.doesNotMatch(quiet.stdout, /Stuck build/);
  });
});
