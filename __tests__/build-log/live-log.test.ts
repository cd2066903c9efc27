/**
 * The live build log end to end: the bundle spawned as the GitHub runner spawns it, against the emulator
 * whose simulated builds write customization.log to Azurite (HTTPS, `--oauth basic`) as they walk their
 * phases; the action finds the staging storage account through ARM and reads the log with the run's
 * OIDC-federated credential.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import type { BuildLogRecord } from "../../emulator/index.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

/** An AVD built-in script (its marker: `Starting AVD AIB Customization: Install Language packs: …`). */
const AVD_SCRIPT = "https://raw.githubusercontent.com/Azure/RDS-Templates/master/CustomImageTemplateScripts/CustomImageTemplateScripts_2024-03-27/InstallLanguagePacks.ps1";
// With its SHA-256 on the line, the run does not read the script (no network here); the emulator does not read GitHub either.
const INPUTS = { "script-uris": `${AVD_SCRIPT} ${"5".repeat(64)}`, "inline-script": "Write-Host 'Contoso baseline applied'" };
/** Long enough phases for several polls (1 s apart) while the log grows. */
const PHASES = { Queued: 200, Building: 1500, Customizing: 2000, Optimizing: 100, Validating: 100, Distributing: 200 };

/** The log lines the action printed for a run (every line the emulator writes starts with `[<operationId>]`). */
function printedLogLines(stdout: string, log: BuildLogRecord): string[] {
  return stdout.split("\n").filter((line) => line.startsWith(`[${log.runId.toLowerCase()}]`));
}

/** Packer's provisioner type for each AIB customizer type. */
const PROVISIONER: Record<string, string> = { PowerShell: "powershell", WindowsRestart: "windows-restart", WindowsUpdate: "windows-update", File: "file", Shell: "shell" };

/** The customizers of the template a run built (the action may add its own around the user's). */
function customizersOf(s: Scenario, templateName: string): { type: string; name: string }[] {
  const template = s.emu.getImageTemplate(s.avd.subscriptionId, s.avd.resourceGroup, templateName)!;
  return (template.properties as { customize: { type: string; name: string }[] }).customize;
}

/** Decodes the message of the `::error::` command @actions/core printed. */
function errorMessage(stdout: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith("::error::")) ?? "";
  return line.slice("::error::".length).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

describe("live build log, end to end against the emulator and Azurite", () => {
  let azurite: Azurite;
  let s: Scenario;
  before(async () => {
    azurite = await startAzurite();
    s = await startScenario({ azurite });
  });
  after(async () => {
    await s.emu.close();
    await azurite.stop();
  });

  it("prints every line the simulated build wrote, in order, each once, as the build runs, under a heading per customizer", async () => {
    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const run = await s.run(INPUTS);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const [log] = s.emu.buildLogs();
    assert.ok(log, "the emulator wrote a log");
    assert.deepEqual(log.errors, []);
    assert.equal(log.written, log.lines.map((l) => `${l}\n`).join(""), "all of it reached Azurite");
    assert.ok(log.lines.length > 80, `a realistic log (${log.lines.length} lines)`);

    assert.deepEqual(printedLogLines(run.stdout, log), log.lines, "same lines, same order, none twice, none missing");
    const out = run.stdout.split("\n");
    // Where each log line is in the output (log lines repeat, e.g. two identical restarts: map by position).
    const at = out.flatMap((line, index) => (line.startsWith(`[${log.runId.toLowerCase()}]`) ? [index] : []));
    const customizing = out.findIndex((l) => l.startsWith("Build phase: Customizing"));
    assert.ok(at[0]! < customizing && customizing < at.at(-1)!, "lines came while the build ran, over several polls, not at the end");
    assert.match(run.stdout, new RegExp(`Build log: following https://127\\.0\\.0\\.1:${azurite.port}/${log.account}/packerlogs/[0-9a-f-]+/customization\\.log`));

    // A heading right before each customizer's first line, and before the AVD script's marker.
    const starts = log.lines.flatMap((l, i) => (/\(telemetry\) Starting provisioner /.test(l) ? [i] : []));
    assert.deepEqual(
      starts.map((i) => out[at[i]! - 1]),
      starts.map((i, n) => `▶ Customizer ${n + 1}: ${/Starting provisioner (\S+)/.exec(log.lines[i]!)![1]}`),
    );
    assert.deepEqual(
      starts.map((i) => /Starting provisioner (\S+)/.exec(log.lines[i]!)![1]),
      [...customizersOf(s, run.outputs["template-name"]!).map((c) => PROVISIONER[c.type]), "powershell"],
      "one per customizer of the template, then AIB's deprovisioning step",
    );
    const marker = log.lines.findIndex((l) => l.includes("Starting AVD AIB Customization: Install Language packs: "));
    assert.equal(out[at[marker]! - 1], "▶ AVD customization: Install Language packs");
    assert.equal(out.filter((l) => l.startsWith("▶ ")).length, starts.length + 1, "no other headings");
    assert.doesNotMatch(run.stdout, /::warning::/);
  });

  it("a rebuild of the same template follows its own run's log, not the previous run's", async () => {
    const run = await s.run(INPUTS);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs["template-reused"], "true");
    const [previous, log] = s.emu.buildLogs();
    assert.equal(previous!.account, log!.account, "same staging storage account, two run folders in packerlogs");
    assert.deepEqual(printedLogLines(run.stdout, log!), log!.lines);
    assert.deepEqual(printedLogLines(run.stdout, previous!), []);
  });

  it("a failed customizer's build names the customizer and carries the last 50 lines of the log, in the error and the job summary", async () => {
    s.emu.failNextBuild({ phase: "Customizing", customizerName: "script-1-InstallLanguagePacks.ps1" });
    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const run = await s.run({ ...INPUTS, "inline-script": "Write-Host 'second baseline'" });
    assert.notEqual(run.exitCode, 0);
    const log = s.emu.buildLogs().at(-1)!;
    assert.ok(log.lines.length > 50, `more lines than the tail (${log.lines.length})`);
    assert.deepEqual(printedLogLines(run.stdout, log), log.lines);
    const last50 = log.lines.slice(-50);
    assert.match(log.lines.join("\n"), /Exception occurred/);

    const ordinal = customizersOf(s, run.outputs["template-name"] ?? /template (win11-avd-m365-[0-9a-f]{12})/.exec(run.stdout)![1]!).findIndex((c) => c.name === "script-1-InstallLanguagePacks.ps1") + 1;
    const customizer = `Install Language packs (AVD script, provisioner ${ordinal}: powershell)`;
    const error = errorMessage(run.stdout);
    assert.match(error, /ended Failed: Failed while waiting for packerizer: .*Packer build command has failed/);
    assert.ok(error.includes(`Failing customizer: ${customizer}.`), error.slice(0, 1500));
    assert.ok(error.includes(log.url), "the log's URL (from AIB's message)");
    assert.ok(error.endsWith(`Last 50 lines of customization.log:\n${last50.join("\n")}`), error.slice(-2000));

    assert.ok(run.summary.split("\n").includes(`- Failing customizer: ${customizer}`), run.summary);
    assert.match(run.summary, /^- Staging resource group: \/subscriptions\/.*\/resourceGroups\/IT_rg-avd-images_win11-avd-m365-/m);
    const block = /### Last 50 lines of customization\.log\n\n```text\n([\s\S]*?)\n```\n/.exec(run.summary);
    assert.ok(block, run.summary);
    assert.deepEqual(block[1]!.split("\n"), last50);
    assert.doesNotMatch(run.summary.slice(0, run.summary.indexOf("### Last 50")), /PACKER OUT/, "the lines are in the block, not in the message paragraph");
  });
});
