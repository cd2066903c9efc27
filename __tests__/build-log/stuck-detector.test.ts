/**
 * The stuck-build detector, fed log lines shaped as in the public reports it cites (stuck-detector.ts),
 * with an injected clock. Each signature has its healthy counterpart, which must not be taken for it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BuildLogPrinter, type LogSection } from "../../src/steps/live-log.ts";
import { MAX_RESTARTS, QUOTED_LINES, SYSPREP_REPEATS, type StuckBuild, StuckDetector, WINRM_TIMEOUTS } from "../../src/steps/stuck-detector.ts";

const ID = "[4a163427-cc12-42ca-9cb7-1b143e9c05a4]";
const out = (text: string) => `${ID} PACKER OUT ${text}`;
const err = (text: string) => `${ID} PACKER ERR 2026/11/10 08:28:58 ${text}`;

/** A detector behind a real printer (which tracks the customizer), on a clock the test moves. */
function harness(stallMinutes = 0) {
  let now = 1_000_000;
  const detector = new StuckDetector({ stallMinutes }, () => now);
  const printer = new BuildLogPrinter(() => undefined);
  const findings: StuckBuild[] = [];
  printer.addLineListener((line, section: LogSection | undefined) => {
    const found = detector.line(line, section);
    if (found) findings.push(found);
  });
  return {
    findings,
    write(...lines: string[]) {
      printer.push(new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")));
    },
    /** Moves the clock on and checks the stall clock, as a log poll does. */
    wait(minutes: number) {
      now += minutes * 60_000;
      const found = detector.tick();
      if (found) findings.push(found);
    },
  };
}

const deprovisioning = [
  err("[INFO] (telemetry) Starting provisioner powershell"),
  out("==> azure-arm: Provisioning with Powershell..."),
  out("==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner173743804"),
  out("    azure-arm: IMAGE_STATE_COMPLETE"),
];
const wuStart = [
  err("[INFO] (telemetry) Starting provisioner windows-update"),
  out("==> azure-arm: Uploading the Windows update elevated script..."),
  out("==> azure-arm: Running Windows update..."),
];
/** One round of the windows-update provisioner ending in a restart (rgl/packer-plugin-windows-update output). */
const wuRound = (n: number) => [
  out("    azure-arm: Searching for Windows updates..."),
  out(
    `    azure-arm: Found Windows update (2026-11-10; 4.1 GB): 2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB50${70000 + n})`,
  ),
  out("    azure-arm: Downloading Windows updates (1 updates; 4.1 GB)..."),
  out("    azure-arm: Installing Windows updates..."),
  out("    azure-arm: Waiting for operation to complete (system performance: 51% cpu; 35% memory)..."),
  out("==> azure-arm: Restarting the machine..."),
  out("==> azure-arm: Waiting for machine to become available..."),
  out("==> azure-arm: A system shutdown is in progress.(1115)"),
  out("    azure-arm: PKRVMQLKWFJY8BP restarted."),
  out("==> azure-arm: Restart complete"),
  out("==> azure-arm: Running Windows update..."),
];

describe("stuck-build detector", () => {
  it("a sysprep loop: IMAGE_STATE_UNDEPLOYABLE 90 times in a row, in Image Builder's deprovisioning step", () => {
    const h = harness();
    h.write(...deprovisioning);
    for (let i = 1; i < SYSPREP_REPEATS; i += 1) h.write(out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE"));
    assert.equal(h.findings.length, 0, `${SYSPREP_REPEATS - 1} are not yet a loop`);
    h.write(out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE"));
    assert.equal(h.findings.length, 1);
    const [found] = h.findings;
    assert.equal(found!.pattern, "sysprep-loop");
    assert.equal(found!.title, `sysprep loop: IMAGE_STATE_UNDEPLOYABLE ${SYSPREP_REPEATS} times in a row`);
    assert.equal(found!.customizer, "powershell (provisioner 1 in customization.log)");
    assert.equal(found!.lines.length, QUOTED_LINES);
    assert.ok(
      found!.lines.every((l) => l === out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE")),
      "quotes the lines as written",
    );
    assert.match(found!.troubleshooting, /setupact\.log/);
    h.write(out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE"));
    assert.equal(h.findings.length, 1, "reported once");
  });

  it("a healthy sysprep (a few UNDEPLOYABLE, then GENERALIZE_RESEAL_TO_OOBE) is not a loop, and a new customizer starts the count again", () => {
    const h = harness();
    for (let round = 0; round < 3; round += 1) {
      h.write(...deprovisioning);
      for (let i = 0; i < SYSPREP_REPEATS - 10; i += 1) h.write(out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE"));
      h.write(out("    azure-arm: IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"), err("[INFO] (telemetry) ending powershell"));
    }
    assert.equal(h.findings.length, 0);
  });

  it("a Windows Update reboot loop: more than 10 restarts inside one windows-update customizer", () => {
    const h = harness();
    h.write(...wuStart);
    for (let n = 1; n <= MAX_RESTARTS; n += 1) h.write(...wuRound(n));
    assert.equal(h.findings.length, 0, `${MAX_RESTARTS} restarts are allowed`);
    h.write(...wuRound(MAX_RESTARTS + 1));
    assert.equal(h.findings.length, 1);
    assert.equal(h.findings[0]!.pattern, "restart-loop");
    assert.equal(h.findings[0]!.title, `restart loop: ${MAX_RESTARTS + 1} restarts in one windows-update customizer (more than ${MAX_RESTARTS})`);
    assert.equal(h.findings[0]!.customizer, "windows-update (provisioner 1 in customization.log)");
    assert.deepEqual(
      h.findings[0]!.lines,
      Array(Math.min(QUOTED_LINES, MAX_RESTARTS + 1)).fill(out("==> azure-arm: Restarting the machine...")),
      "the restarts, as written",
    );
    assert.match(h.findings[0]!.troubleshooting, /windows-update-filters/);
  });

  it("restarts are counted per customizer: three Windows Update steps of four restarts each are healthy; restart lines elsewhere do not count", () => {
    const h = harness();
    for (let step = 0; step < 3; step += 1) {
      h.write(...wuStart);
      for (let n = 1; n <= 4; n += 1) h.write(...wuRound(n));
      h.write(out("    azure-arm: No Windows updates found"), err("[INFO] (telemetry) ending windows-update"));
      h.write(
        err("[INFO] (telemetry) Starting provisioner windows-restart"),
        out("==> azure-arm: Restarting Machine"),
        out("==> azure-arm: Machine successfully restarted, moving on"),
      );
    }
    h.write(err("[INFO] (telemetry) Starting provisioner powershell"));
    for (let n = 0; n < 20; n += 1) h.write(out("    azure-arm: ==> azure-arm: Restarting the machine..."));
    assert.equal(h.findings.length, 0);
  });

  it("WinRM waits timing out 20 times in a row; connection errors while a VM reboots, then a connection, are healthy", () => {
    const h = harness();
    h.write(
      err("[INFO] (telemetry) Starting provisioner windows-restart"),
      out("==> azure-arm: Restarting Machine"),
      out("==> azure-arm: Waiting for machine to restart..."),
    );
    const timeout = err(
      'packer-provisioner-windows-restart plugin: [ERROR] WinRM connection err: unknown error Post "https://10.1.0.4:5986/wsman": dial tcp 10.1.0.4:5986: i/o timeout',
    );
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < WINRM_TIMEOUTS - 1; i += 1) h.write(err("packer-provisioner-windows-restart plugin: [INFO] Attempting WinRM connection..."), timeout);
      h.write(out("    azure-arm: PKRVMQLKWFJY8BP restarted."));
    }
    assert.equal(h.findings.length, 0, "each wait ended with a connection");
    for (let i = 0; i < WINRM_TIMEOUTS; i += 1) h.write(timeout);
    assert.equal(h.findings.length, 1);
    assert.equal(h.findings[0]!.pattern, "winrm-timeouts");
    assert.equal(h.findings[0]!.customizer, "windows-restart (provisioner 1 in customization.log)");
    assert.equal(h.findings[0]!.lines.at(-1), timeout);
  });

  it("stall-minutes: a customizer silent for that long, counted from its last line", () => {
    const h = harness(30);
    h.write(
      err("[INFO] (telemetry) Starting provisioner powershell"),
      out("==> azure-arm: Provisioning with Powershell..."),
      out("    azure-arm: Installing Contoso Agent..."),
    );
    h.wait(29);
    assert.equal(h.findings.length, 0);
    h.write(out("    azure-arm: still installing"));
    h.wait(29);
    assert.equal(h.findings.length, 0, "the clock starts again after each line");
    h.wait(1);
    assert.equal(h.findings.length, 1);
    assert.equal(h.findings[0]!.pattern, "stall");
    assert.equal(h.findings[0]!.title, "no output for 30 minutes (stall-minutes: 30)");
    assert.equal(h.findings[0]!.lines.at(-1), out("    azure-arm: still installing"));
    assert.match(h.findings[0]!.troubleshooting, /waiting for input/);
  });

  it("stall-minutes: a Windows Update search and download printing progress is not a stall; stall-minutes 0 never fires; between customizers no clock runs", () => {
    const h = harness(10);
    h.write(...wuStart, out("    azure-arm: Searching for Windows updates..."));
    for (let i = 0; i < 12; i += 1) {
      h.wait(8);
      h.write(out(`    azure-arm: Waiting for operation to complete (system performance: ${20 + i}% cpu; 35% memory)...`));
    }
    h.write(out("    azure-arm: Downloading Windows updates (1 updates; 4.1 GB)..."));
    for (let i = 0; i < 12; i += 1) {
      h.wait(9);
      h.write(out("    azure-arm: Waiting for operation to complete (system performance: 3% cpu; 30% memory)..."));
    }
    h.write(out("    azure-arm: No Windows updates found"), err("[INFO] (telemetry) ending windows-update"));
    h.wait(120);
    assert.equal(h.findings.length, 0, "196 minutes of Windows Update with progress, then two hours outside any customizer");

    const off = harness(0);
    off.write(err("[INFO] (telemetry) Starting provisioner powershell"));
    off.wait(600);
    assert.equal(off.findings.length, 0);
  });
});
