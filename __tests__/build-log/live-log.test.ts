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
const AVD_SCRIPT =
  "https://raw.githubusercontent.com/Azure/RDS-Templates/master/CustomImageTemplateScripts/CustomImageTemplateScripts_2024-03-27/InstallLanguagePacks.ps1";
// With its SHA-256 on the line, the run does not read the script (no network here); the emulator does not read GitHub either.
const INPUTS = { "script-uris": `${AVD_SCRIPT} ${"5".repeat(64)}`, "inline-script": "Write-Host 'Contoso baseline applied'" };
/** The same, with every line of the log in the job log. */
const FULL = { ...INPUTS, "build-log": "full" };
/** Long enough phases for several polls (1 s apart) while the log grows. */
const PHASES = { Queued: 200, Building: 1500, Customizing: 2000, Optimizing: 100, Validating: 100, Distributing: 200 };

/** The log lines the action printed for a run (every line the emulator writes starts with `[<operationId>]`). */
function printedLogLines(stdout: string, log: BuildLogRecord): string[] {
  return stdout.split("\n").filter((line) => line.startsWith(`[${log.runId.toLowerCase()}]`));
}

/** Packer's provisioner type for each AIB customizer type. */
const PROVISIONER: Record<string, string> = {
  PowerShell: "powershell",
  WindowsRestart: "windows-restart",
  WindowsUpdate: "windows-update",
  File: "file",
  Shell: "shell",
};

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

  it("build-log: full prints every line the simulated build wrote, in order, each once, as the build runs, under a heading per customizer", async () => {
    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const run = await s.run(FULL);
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
    assert.match(
      run.stdout,
      new RegExp(`Build log: following https://127\\.0\\.0\\.1:${azurite.port}/${log.account}/packerlogs/[0-9a-f-]+/customization\\.log`),
    );

    // A heading right before each customizer's first line, and before the AVD script's marker.
    const starts = log.lines.flatMap((l, i) => (/\(telemetry\) Starting provisioner /.test(l) ? [i] : []));
    const steps = customizersOf(s, run.outputs["template-name"]!);
    assert.deepEqual(
      starts.map((i) => out[at[i]! - 1]),
      [
        ...steps.map((c, n) => `▶ ${c.name} (${c.type}, customizer ${n + 1} of ${steps.length})`),
        `▶ Image Builder's deprovisioning (Sysprep), after the template's ${steps.length} steps`,
      ],
      "each heading names the template's customizer (packer's provisioner N is the template's Nth)",
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
    const run = await s.run(FULL);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs["template-reused"], "true");
    const [previous, log] = s.emu.buildLogs();
    assert.equal(previous!.account, log!.account, "same staging storage account, two run folders in packerlogs");
    assert.deepEqual(printedLogLines(run.stdout, log!), log!.lines);
    assert.deepEqual(printedLogLines(run.stdout, previous!), []);
  });

  it("build-log: steps (the default) prints a heading per customizer and only error and warning lines; off prints none of the log", async () => {
    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const steps = await s.run({ ...INPUTS, "inline-script": "Write-Host 'steps level'" });
    assert.equal(steps.exitCode, 0, steps.stdout + steps.stderr);
    const log = s.emu.buildLogs().at(-1)!;
    assert.ok(
      log.lines.some((l) => / PACKER ERR \d{4}\//.test(l)),
      "packer's debug log is in customization.log",
    );
    assert.deepEqual(printedLogLines(steps.stdout, log), [], "no raw line: PACKER ERR debug lines are not errors");
    const customizers = customizersOf(s, steps.outputs["template-name"]!);
    const headings = steps.stdout.split("\n").filter((l) => l.startsWith("▶ "));
    assert.equal(headings.length, customizers.length + 1);
    assert.equal(
      headings[customizers.findIndex((c) => c.name === "inline-script")],
      `▶ inline-script (PowerShell, customizer ${customizers.findIndex((c) => c.name === "inline-script") + 1} of ${customizers.length})`,
    );
    assert.doesNotMatch(steps.stdout, /^ {2}[✖⚠] /m, "a successful build has no error or warning lines");

    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const off = await s.run({ ...INPUTS, "inline-script": "Write-Host 'off level'", "build-log": "off" });
    assert.equal(off.exitCode, 0, off.stdout);
    assert.doesNotMatch(off.stdout, /^▶ |PACKER (OUT|ERR)/m);
  });

  it("a failed customizer's build names the customizer by its template name, its key lines first, Image Builder's message once, and the last 50 lines", async () => {
    s.emu.failNextBuild({ phase: "Customizing", customizerName: "script-1-InstallLanguagePacks.ps1" });
    s.emu.nextBuild({ phaseDurationsMs: PHASES });
    const run = await s.run({ ...INPUTS, "inline-script": "Write-Host 'second baseline'" });
    assert.notEqual(run.exitCode, 0);
    const log = s.emu.buildLogs().at(-1)!;
    assert.ok(log.lines.length > 50, `more lines than the tail (${log.lines.length})`);
    assert.deepEqual(printedLogLines(run.stdout, log), [], "build-log: steps");
    assert.match(
      run.stdout,
      /^ {2}✖ \*\*\* AVD AIB CUSTOMIZER PHASE : Install Language packs - Exception occurred \*\*\*/m,
      "the failing customizer's error under its heading",
    );
    const last50 = log.lines.slice(-50);
    assert.match(log.lines.join("\n"), /Exception occurred/);

    const ordinal =
      customizersOf(s, run.outputs["template-name"] ?? /template (win11-avd-m365-[0-9a-f]{12})/.exec(run.stdout)![1]!).findIndex(
        (c) => c.name === "script-1-InstallLanguagePacks.ps1",
      ) + 1;
    const total = customizersOf(s, run.outputs["template-name"] ?? /template (win11-avd-m365-[0-9a-f]{12})/.exec(run.stdout)![1]!).length;
    const customizer = `script-1-InstallLanguagePacks.ps1: Install Language packs (AVD script; PowerShell, customizer ${ordinal} of ${total})`;
    const error = errorMessage(run.stdout);
    assert.match(error, /ended Failed: Failed while waiting for packerizer: .*Packer build command has failed/);
    assert.ok(error.includes(`Failing customizer: ${customizer}.`), error.slice(0, 1500));
    assert.ok(error.includes(log.url), "the log's URL (from AIB's message)");
    assert.ok(error.endsWith(`Last 50 lines of customization.log:\n${last50.join("\n")}`), error.slice(-2000));

    const summary = run.summary.split("\n");
    assert.equal(summary[0], "## AVD image win11-avd-m365: failed in customizer `script-1-InstallLanguagePacks.ps1`");
    assert.ok(summary.includes(`- Failing customizer: ${customizer}`), run.summary);
    assert.match(run.summary, /^- Staging resource group: \/subscriptions\/.*\/resourceGroups\/IT_rg-avd-images_win11-avd-m365-/m);
    assert.equal(run.summary.split("Failed while waiting for packerizer").length - 1, 1, "Image Builder's message once");
    const key = /### Key lines of customization\.log\n\n```text\n([\s\S]*?)\n```\n/.exec(run.summary);
    assert.ok(key, run.summary);
    assert.ok(
      key[1]!.split("\n").every((l) => /^[✖⚠] /.test(l) && !l.includes("PACKER")),
      key[1],
    );
    assert.match(key[1]!, /Exception occurred/);
    assert.match(key[1]!, /Script exited with non-zero exit status: 1/);
    assert.ok(run.summary.indexOf("### Key lines") < run.summary.indexOf("Last 50 lines"), "key lines first");
    const block = /<details><summary>Last 50 lines of customization\.log<\/summary>\n\n```text\n([\s\S]*?)\n```\n\n<\/details>/.exec(run.summary);
    assert.ok(block, run.summary);
    assert.deepEqual(block[1]!.split("\n"), last50);
  });
});
