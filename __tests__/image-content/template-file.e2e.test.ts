/**
 * `template-file` end to end: the bundled action reads the file from the repository checkout
 * (GITHUB_WORKSPACE), refuses a broken one with the path in the file before any Azure write, and builds
 * a valid one through the same template, version and distribution steps as inputs do.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");

describe("template-file, end to end", () => {
  let s: Scenario;
  let workspace: string;
  before(async () => {
    s = await startScenario();
    s.emu.seedMarketplaceImage({
      location: s.avd.location,
      publisher: "MicrosoftWindowsDesktop",
      offer: "windows-11",
      sku: "win11-24h2-avd",
      versions: ["26100.4349.250607", "26100.10000.250610"],
    });
    workspace = mkdtempSync(join(tmpdir(), "avd-workspace-"));
    mkdirSync(join(workspace, "images"));
    writeFileSync(join(workspace, "images", "bad.yml"), fixture("bad-template.yml"));
    writeFileSync(join(workspace, "images", "avd.yml"), fixture("good-template.yml"));
  });
  after(async () => {
    await s.emu.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it("fails on a broken file with each problem's path and line, before any Azure write", async () => {
    s.emu.resetLog();
    const run = await s.run({ "template-file": "images/bad.yml" }, { GITHUB_WORKSPACE: workspace });
    assert.equal(run.exitCode, 1);
    const out = run.stdout + run.stderr;
    assert.match(
      out,
      /Input 'template-file': images\/bad\.yml: customize\[1\] \(line 17\): a PowerShell customizer needs 'inline' \(commands to run\) or 'scriptUri'/,
    );
    assert.match(
      out,
      /Input 'template-file': images\/bad\.yml: customize\[2\]\.type \(line 20\): "Reboot" is not a customizer type; use one of File, PowerShell, WindowsRestart, Shell, WindowsUpdate\./,
    );
    assert.match(out, /Input 'template-file': images\/bad\.yml: vmProfile\.vmSize \(line 23\): must be a string, not a number \(4\)\./);
    assert.deepEqual(s.emu.writeRequests(), []);
  });

  it("builds from a valid file: its source (pinned), customizers, validation, optimization and VM profile reach Image Builder", async () => {
    s.emu.resetLog();
    const run = await s.run({ "template-file": "images/avd.yml", "inline-script": "" }, { GITHUB_WORKSPACE: workspace });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs["source-image-version"], "26100.10000.250610");
    const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path))!;
    const props = (put.body as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(props["source"], {
      type: "PlatformImage",
      publisher: "MicrosoftWindowsDesktop",
      offer: "windows-11",
      sku: "win11-24h2-avd",
      version: "26100.10000.250610",
    });
    const names = (props["customize"] as { name: string }[]).map((c) => c.name);
    assert.deepEqual(names.slice(0, 3), ["safety-bitlocker-off", "install-line-of-business-apps", "restart-after-apps"]);
    assert.deepEqual(props["vmProfile"], { vmSize: "Standard_D8s_v5", osDiskSizeGB: 256 });
    assert.deepEqual(props["errorHandling"], { onCustomizerError: "abort" });
    assert.deepEqual(props["optimize"], { vmBoot: { state: "Enabled" } });
    assert.equal(props["buildTimeoutInMinutes"], 180);
    assert.deepEqual(
      (props["validate"] as { inVMValidations: { name: string }[] }).inVMValidations.map((v) => v.name),
      ["apps-present"],
    );
    assert.deepEqual(versionNames(s), [run.outputs["image-version"]]);
  });
});
