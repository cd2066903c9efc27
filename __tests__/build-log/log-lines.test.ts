/**
 * Lines of customization.log for people: packer's debug log (PACKER ERR <time>) is not an error; the
 * provisioner N of packer is the template's Nth step; `build-log: steps` prints headings and key lines only.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BuildLogPrinter } from "../../src/steps/live-log.ts";
import { classifyLogLine, plainLogLine, stepOf, templateSteps } from "../../src/steps/log-lines.ts";

const ID = "[0c8f3b1e-1b2a-4c3d-9e8f-123456789abc]";
const out = (text: string) => `${ID} PACKER OUT ${text}`;
const err = (text: string) => `${ID} PACKER ERR 2025/06/13 08:28:58 ${text}`;

describe("customization.log lines", () => {
  it("packer's debug log on stderr (PACKER ERR <time>) is neither error nor warning, unless its level says so", () => {
    for (const line of [
      err("[INFO] (telemetry) Starting provisioner powershell"),
      err('packer-provisioner-powershell plugin: Found command: try { Disable-BitLocker } catch { Write-Warning "Error: failed" }'),
      err('packer-plugin-azure plugin: 2025/06/13 08:28:58 Azure request method="GET" request="https://management.azure.com/…" body=""'),
      err(
        'packer-provisioner-powershell plugin: Found command: if( TEST-PATH c:\\DeprovisioningScript.ps1 ){cat c:\\DeprovisioningScript.ps1} else {echo "Deprovisioning script [c:\\DeprovisioningScript.ps1] could not be found. Image build may fail"}',
      ),
      out("==> azure-arm: Provisioning with Powershell..."),
      out("--> azure-arm: Azure.ResourceManagement.VMImage:"),
      out("    azure-arm: No Windows updates found"),
    ]) {
      assert.equal(classifyLogLine(line), undefined, line);
    }
    assert.equal(classifyLogLine(err("[ERROR] Remote command exited with '1'")), "error");
    assert.equal(classifyLogLine(err("[WARN] (telemetry) Error finalizing telemetry")), "warning");
    assert.equal(classifyLogLine(`${ID} PACKER ERR Build 'azure-arm' errored after 3 minutes`), "error", "packer's UI error output has no log time");
  });

  it("errors and warnings packer prints for the user (PACKER OUT)", () => {
    assert.equal(classifyLogLine(out("==> azure-arm: ERROR: -> DeploymentFailed : At least one resource deployment operation failed.")), "error");
    assert.equal(
      classifyLogLine(out("Build 'azure-arm' errored after 3 minutes: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]")),
      "error",
    );
    assert.equal(
      classifyLogLine(out("    azure-arm: *** AVD AIB CUSTOMIZER PHASE : Office Apps - Exception occurred *** : [The operation completed with errors.]")),
      "error",
    );
    assert.equal(classifyLogLine(out("    azure-arm: Write-Error: Customization 'inline-script' failed.")), "error");
    assert.equal(classifyLogLine(out("    azure-arm: WARNING: Disable-BitLocker C: access denied")), "warning");
    assert.equal(plainLogLine(out("    azure-arm: WARNING: Disable-BitLocker C: access denied")), "WARNING: Disable-BitLocker C: access denied");
    assert.equal(plainLogLine(err("[ERROR] Remote command exited with '1'")), "[ERROR] Remote command exited with '1'");
  });

  it("packer's provisioner N is the template's Nth customizer, then its validators, then Image Builder's deprovisioning", () => {
    const steps = templateSteps({
      customize: [
        { type: "PowerShell", name: "inline-script" },
        { type: "WindowsRestart", name: "restart" },
      ],
      validate: { inVMValidations: [{ type: "PowerShell", name: "validation-script" }] },
    } as Parameters<typeof templateSteps>[0]);
    assert.deepEqual(stepOf(steps, 1), { name: "inline-script", type: "PowerShell", kind: "customizer", index: 1, total: 3 });
    assert.deepEqual(stepOf(steps, 3), { name: "validation-script", type: "PowerShell", kind: "validator", index: 3, total: 3 });
    assert.equal(stepOf(steps, 4)?.kind, "image-builder");
    assert.equal(stepOf([], 1), undefined);
  });

  it("build-log: steps prints a heading per customizer by name and only its warnings and errors; the key lines are kept at every level", () => {
    const log = [
      err("[INFO] (telemetry) Starting provisioner powershell"),
      err("packer-provisioner-powershell plugin: Found command: Write-Host 'x'"),
      out("    azure-arm: WARNING: something to look at"),
      err("[INFO] (telemetry) Starting provisioner powershell"),
      out("    azure-arm: Write-Error: Customization 'apps' failed."),
      out("Build 'azure-arm' errored after 1 minute: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]"),
    ];
    const template = {
      customize: [
        { type: "PowerShell", name: "baseline" },
        { type: "PowerShell", name: "apps" },
      ],
    } as Parameters<typeof templateSteps>[0];
    const run = (level: "full" | "steps" | "off") => {
      const printed: string[] = [];
      const printer = new BuildLogPrinter((l) => printed.push(l), undefined, level);
      printer.setTemplate(template);
      printer.push(new TextEncoder().encode(`${log.join("\n")}\n`));
      return { printed, printer };
    };
    const steps = run("steps");
    assert.deepEqual(steps.printed, [
      "▶ baseline (PowerShell, customizer 1 of 2)",
      "  ⚠ WARNING: something to look at",
      "▶ apps (PowerShell, customizer 2 of 2)",
      "  ✖ Write-Error: Customization 'apps' failed.",
      "  ✖ Build 'azure-arm' errored after 1 minute: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]",
    ]);
    assert.equal(run("full").printed.filter((l) => l.startsWith(ID)).length, log.length);
    const off = run("off");
    assert.deepEqual(off.printed, []);
    assert.deepEqual(off.printer.keyLines, steps.printer.keyLines);
    assert.equal(off.printer.keyLines.length, 3);
    assert.equal(off.printer.section?.step?.name, "apps");
  });
});
