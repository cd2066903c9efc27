/**
 * The lines of Azure VM Image Builder's customization.log, written by customization-log.ts.
 *
 * The lines follow AIB's customization.log: `[<operationId>] PACKER OUT …` / `PACKER ERR <time> …`, packer's
 * `(telemetry) Starting provisioner <type>` per customizer (the stages of the log in the AIB
 * troubleshooting guide, MicrosoftDocs/azure-docs articles/virtual-machines/linux/image-builder-troubleshoot.md),
 * AVD's `Starting AVD AIB Customization: <script>: <time>` markers for AVD's built-in scripts
 * (Azure/RDS-Templates CustomImageTemplateScripts, as the AVD custom image template docs describe them),
 * the hidden deprovisioning step, capture and cleanup — and, when a build is made to fail in a
 * customizer, that customizer's error and packer's "errored" summary.
 */
import { randomUUID } from "node:crypto";
import { type EmulatedUpdate, INVENTORY_MARKERS, type ImageContent, inventoryOutput, windowsUpdateOutput } from "./image-content.ts";
import type { BuildFailure, BuildLogRun } from "./imagebuilder-records.ts";
import type { RunSubState } from "./state.ts";

/** What the lines of one build's log are made of. */
export interface LogSubject {
  /** The run's operation id (the `[…]` prefix of every line). */
  runId: string;
  run: BuildLogRun;
  /** When the log started (ms since the epoch), for packer's "after N minutes" lines. */
  started: number;
  /** The build VM's name (`pkrvm…`) and packer's random suffix of its resource names. */
  vmName: string;
  random: string;
  /** What this build's VM holds (a copy taken at its start) and the updates not installed yet. */
  content: ImageContent;
  pendingUpdates: EmulatedUpdate[];
}

/**
 * The lines a build writes to customization.log in `phase` (Building and Customizing write lines; the
 * others none), up to the failure when `fail` is planned for this phase.
 */
export function logLines(log: LogSubject, phase: RunSubState, fail: BuildFailure | undefined): string[] {
  const id = log.runId.toLowerCase();
  const out = (text: string) => `[${id}] PACKER OUT ${text}`;
  const err = (text: string) => `[${id}] PACKER ERR ${packerTime()} ${text}`;
  const plugin = (text: string) => err(`packer-plugin-azure plugin: ${packerTime()} ${text}`);
  const run = log.run;
  const stagingRg = run.stagingResourceGroupId.split("/").pop()!;
  const sub = run.subscriptionId;
  if (phase === "Building" && fail?.packerErrors?.length) {
    // Packer refuses its configuration before deploying anything (AIB troubleshooting guide, JWT errors).
    return [
      err("[INFO] Packer version: 1.10.0 [go1.22.5 linux amd64]"),
      out('Error: Failed to prepare build: "azure-arm"'),
      err(""),
      out(""),
      ...fail.packerErrors.map((e) => err(`* ${e}`)),
      out(`${fail.packerErrors.length} error(s) occurred:`),
    ];
  }
  if (phase === "Building") {
    const deployment = `pkrdp${log.random}`;
    const lines = [
      err("[INFO] Packer version: 1.10.0 [go1.22.5 linux amd64]"),
      err("Checking 'PACKER_CONFIG' for a config file..."),
      err("[INFO] (telemetry) Starting builder azure-arm"),
      out("==> azure-arm: Running builder ..."),
      out("==> azure-arm: Getting tokens using Managed Identity for Azure"),
      out("    azure-arm: Creating Azure Resource Manager (ARM) client ..."),
      out("==> azure-arm: Using existing resource group ..."),
      out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
      out(`==> azure-arm:  -> Location          : '${run.location}'`),
      out("==> azure-arm: Validating deployment template ..."),
      out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
      out(`==> azure-arm:  -> DeploymentName    : '${deployment}'`),
      out("==> azure-arm: Deploying deployment template ..."),
    ];
    for (let i = 0; i < 6; i += 1) {
      lines.push(
        plugin(
          `Azure request method="GET" request="https://management.azure.com/subscriptions/${sub}/resourcegroups/${stagingRg}/providers/Microsoft.Resources/deployments/${deployment}/operationStatuses/0858${String(60000000000000 + i).padStart(14, "0")}?[REDACTED]" body=""`,
        ),
      );
    }
    if (fail) {
      lines.push(
        out("==> azure-arm: ERROR: -> DeploymentFailed : At least one resource deployment operation failed. Please list deployment operations for details."),
        out(`Build 'azure-arm' errored after ${elapsed(log)}: DeploymentFailed`),
        out("==> Builds finished but no artifacts were created."),
        err("[INFO] (telemetry) Finalizing."),
      );
      return lines;
    }
    lines.push(
      out("==> azure-arm: Getting the VM's IP address ..."),
      out("==> azure-arm:  -> IP Address        : '10.1.0.4'"),
      out("==> azure-arm: Waiting for WinRM to become available..."),
      plugin("Waiting for WinRM, up to timeout: 10m0s"),
      plugin("[INFO] Attempting WinRM connection..."),
      out("    azure-arm: WinRM connected."),
      out("==> azure-arm: Connected to WinRM!"),
      err("packer: Running the provision hook"),
    );
    return lines;
  }
  if (phase !== "Customizing") return [];

  const lines: string[] = [];
  const customizers = run.customizers;
  const failAt = fail ? Math.max(0, fail.customizerName !== undefined ? customizers.findIndex((c) => c.name === fail.customizerName) : 0) : -1;
  for (let i = 0; i < customizers.length; i += 1) {
    const c = customizers[i]!;
    const failing = i === failAt;
    lines.push(...customizerLines(c, failing, { out, err, vmName: log.vmName, random: log.random, content: log.content, pendingUpdates: log.pendingUpdates }));
    if (failing) {
      lines.push(
        out("==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present..."),
        out("==> azure-arm: "),
        ...cleanupLines(out, log),
        out(`Build 'azure-arm' errored after ${elapsed(log)}: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]`),
        out(""),
        out(`==> Wait completed after ${elapsed(log)}`),
        out(""),
        out("==> Some builds didn't complete successfully and had errors:"),
        out("--> azure-arm: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]"),
        out(""),
        out("==> Builds finished but no artifacts were created."),
        err("[INFO] (telemetry) Finalizing."),
        err("waiting for all plugin processes to complete..."),
      );
      return lines;
    }
  }
  const image = `IntermediateImage_${log.random}`;
  lines.push(
    // AIB's hidden last customizer: deprovisioning (Sysprep).
    err("[INFO] (telemetry) Starting provisioner powershell"),
    out("==> azure-arm: Provisioning with Powershell..."),
    err(
      'packer-provisioner-powershell plugin: Found command: if( TEST-PATH c:\\DeprovisioningScript.ps1 ){cat c:\\DeprovisioningScript.ps1} else {echo "Deprovisioning script [c:\\DeprovisioningScript.ps1] could not be found. Image build may fail or the VM created from the Image may not boot. Please make sure the deprovisioning script is not accidentally deleted by a Customizer in the Template."}',
    ),
    out(`==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner${log.random}`),
    out("    azure-arm: & $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm"),
    out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE"),
    out("    azure-arm: IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"),
    err("[INFO] (telemetry) ending powershell"),
    out("==> azure-arm: Querying the machine's properties ..."),
    out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
    out(`==> azure-arm:  -> ComputeName       : '${log.vmName}'`),
    out("==> azure-arm: Querying the machine's additional disks properties ..."),
    out("==> azure-arm: Powering off machine ..."),
    out("==> azure-arm: Generalizing machine ..."),
    out("==> azure-arm: Capturing image ..."),
    out(`==> azure-arm:  -> Image ResourceGroupName   : '${stagingRg}'`),
    out(`==> azure-arm:  -> Image Name                : '${image}'`),
    out(`==> azure-arm:  -> Image Location            : '${run.location}'`),
    ...cleanupLines(out, log),
    out(`Build 'azure-arm' finished after ${elapsed(log)}.`),
    out(""),
    out(`==> Wait completed after ${elapsed(log)}`),
    out(""),
    out("==> Builds finished. The artifacts of successful builds are:"),
    out("--> azure-arm: Azure.ResourceManagement.VMImage:"),
    out(""),
    out("OSType: Windows"),
    out(`ManagedImageResourceGroupName: ${stagingRg}`),
    out(`ManagedImageName: ${image}`),
    out(`ManagedImageId: ${run.stagingResourceGroupId}/providers/Microsoft.Compute/images/${image}`),
    out(`ManagedImageLocation: ${run.location}`),
    out(""),
    err("[INFO] (telemetry) Finalizing."),
    err("waiting for all plugin processes to complete..."),
  );
  return lines;
}

/** AVD built-in scripts (Azure/RDS-Templates CustomImageTemplateScripts) by file name → the title their marker prints. */
const AVD_SCRIPTS: Record<string, string> = {
  "installlanguagepacks.ps1": "Install Language packs",
  "removeappxpackages.ps1": "Remove Appx Packages",
  "installofficeapps.ps1": "Office Apps",
  "multimediaredirection.ps1": "MultiMedia Redirection",
};

interface LineMakers {
  out: (text: string) => string;
  err: (text: string) => string;
  vmName: string;
  random: string;
  content: ImageContent;
  /** Updates the first Windows Update customizer installs (consumed). */
  pendingUpdates: EmulatedUpdate[];
}

/** The lines of one customizer (up to its error when it fails). */
function customizerLines(c: Record<string, unknown>, failing: boolean, m: LineMakers): string[] {
  const { out, err } = m;
  const type = String(c.type);
  const lines: string[] = [];
  const ok = (provisioner: string) => lines.push(err(`[INFO] (telemetry) ending ${provisioner}`));
  if (type === "PowerShell" || type === "Shell") {
    const provisioner = type === "PowerShell" ? "powershell" : "shell";
    lines.push(
      err(`[INFO] (telemetry) Starting provisioner ${provisioner}`),
      out(`==> azure-arm: Provisioning with ${type === "PowerShell" ? "Powershell" : "shell script"}...`),
    );
    const inline = Array.isArray(c.inline) ? (c.inline as unknown[]).map(String) : [];
    for (const command of inline) lines.push(err(`packer-provisioner-${provisioner} plugin: Found command: ${command}`));
    const scriptUri = typeof c.scriptUri === "string" ? c.scriptUri : undefined;
    const file = scriptUri ? decodeURIComponent(new URL(scriptUri).pathname.split("/").filter(Boolean).pop() ?? "script.ps1") : undefined;
    lines.push(out(`==> azure-arm: Provisioning with ${provisioner} script: ${file ? `/tmp/${file}` : `/tmp/${provisioner}-provisioner${m.random}`}`));
    const avd = file
      ? (AVD_SCRIPTS[file.toLowerCase()] ?? (/CustomImageTemplateScripts/i.test(scriptUri!) ? file.replace(/\.ps1$/i, "") : undefined))
      : undefined;
    if (avd) {
      lines.push(
        out(`    azure-arm: Starting AVD AIB Customization: ${avd}: ${powershellTime()}`),
        out(`    azure-arm: AVD AIB CUSTOMIZER PHASE : ${avd} : Created temp folder C:\\temp\\${randomUUID()}`),
        out(`    azure-arm: AVD AIB CUSTOMIZER PHASE : ${avd} : Downloading and installing`),
      );
      if (failing) {
        lines.push(
          out(`    azure-arm: *** AVD AIB CUSTOMIZER PHASE : ${avd} - Exception occurred *** : [The operation completed with errors. ErrorCode: -2147023436]`),
        );
      } else {
        lines.push(
          out(`    azure-arm: *** AVD AIB CUSTOMIZER PHASE : ${avd} -  Exit Code: 0 ***`),
          out(
            `    azure-arm: Ending AVD AIB Customization : ${avd} - Time taken: 00:01:${String(10 + (m.random.charCodeAt(0) % 40)).padStart(2, "0")}.4817203`,
          ),
        );
      }
    }
    if (inline.some((command) => command.includes(INVENTORY_MARKERS.begin))) {
      // The action's inventory customizer: it prints what the VM holds between its markers.
      if (!failing) for (const text of inventoryOutput(m.content)) lines.push(out(`    azure-arm: ${text}`));
    } else {
      for (const command of inline) {
        const said = /^\s*(?:Write-Host|Write-Output|echo)\s+(['"])(.*)\1\s*$/i.exec(command);
        if (said) lines.push(out(`    azure-arm: ${said[2]}`));
      }
    }
    if (failing) {
      if (!avd) lines.push(out(`    azure-arm: Write-Error: Customization '${String(c.name ?? provisioner)}' failed.`));
      lines.push(
        err(`packer-provisioner-${provisioner} plugin: [INFO] RPC endpoint: Communicator ended with: 1`),
        err(`[INFO] (telemetry) ending ${provisioner}`),
      );
      return lines;
    }
    lines.push(err(`packer-provisioner-${provisioner} plugin: [INFO] RPC endpoint: Communicator ended with: 0`));
    ok(provisioner);
    return lines;
  }
  if (type === "WindowsRestart") {
    lines.push(
      err("[INFO] (telemetry) Starting provisioner windows-restart"),
      out("==> azure-arm: Restarting Machine"),
      out("==> azure-arm: Waiting for machine to restart..."),
    );
    if (failing) {
      lines.push(out("==> azure-arm: Timeout waiting for machine to restart."), err("[INFO] (telemetry) ending windows-restart"));
      return lines;
    }
    lines.push(out(`    azure-arm: ${m.vmName.toUpperCase()} restarted.`), out("==> azure-arm: Machine successfully restarted, moving on"));
    ok("windows-restart");
    return lines;
  }
  if (type === "WindowsUpdate") {
    lines.push(
      err("[INFO] (telemetry) Starting provisioner windows-update"),
      out("==> azure-arm: Uploading the Windows update elevated script..."),
      out("==> azure-arm: Uploading the Windows update check for reboot required elevated script..."),
      out("==> azure-arm: Uploading the Windows update script..."),
      out("==> azure-arm: Running Windows update..."),
    );
    const first = windowsUpdateOutput(m.pendingUpdates);
    if (failing) {
      lines.push(...first.out.filter((t) => !t.startsWith("Installing")).map((t) => out(`    azure-arm: ${t}`)));
      lines.push(out("    azure-arm: Windows update failed: Exception from HRESULT: 0x80240022"), err("[INFO] (telemetry) ending windows-update"));
      return lines;
    }
    lines.push(...first.out.map((t) => out(`    azure-arm: ${t}`)));
    if (first.restartThenSearchAgain) {
      lines.push(
        out("==> azure-arm: Restarting the machine..."),
        out("==> azure-arm: Waiting for machine to become available..."),
        out("==> azure-arm: Running Windows update..."),
      );
      lines.push(...windowsUpdateOutput(m.pendingUpdates).out.map((t) => out(`    azure-arm: ${t}`)));
    }
    ok("windows-update");
    return lines;
  }
  if (type === "File") {
    const destination = String(c.destination ?? "C:\\temp\\file");
    lines.push(err("[INFO] (telemetry) Starting provisioner file"), out(`==> azure-arm: Uploading /tmp/${m.random} => ${destination}`));
    if (failing) {
      lines.push(out(`==> azure-arm: Upload failed: ${destination}: Access is denied.`), err("[INFO] (telemetry) ending file"));
      return lines;
    }
    ok("file");
    return lines;
  }
  lines.push(err(`[INFO] (telemetry) Starting provisioner ${type.toLowerCase()}`));
  if (failing) lines.push(out(`==> azure-arm: ${type} failed.`));
  ok(type.toLowerCase());
  return lines;
}

function cleanupLines(out: (text: string) => string, log: LogSubject): string[] {
  return [
    out("==> azure-arm: Deleting individual resources ..."),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Compute/virtualMachines : '${log.vmName}'`),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Network/networkInterfaces : 'pkrni${log.random}'`),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Network/publicIPAddresses : 'pkrip${log.random}'`),
    out("==> azure-arm: Waiting for deletion of all resources..."),
    out(`==> azure-arm: Attempting deletion -> Microsoft.Network/networkInterfaces : 'pkrni${log.random}'`),
    out(`==> azure-arm: Attempting deletion -> Microsoft.Compute/virtualMachines : '${log.vmName}'`),
    out(
      `==> azure-arm:  Deleting -> Microsoft.Compute/disks : '/subscriptions/${log.run.subscriptionId}/resourceGroups/${log.run.stagingResourceGroupId.split("/").pop()}/providers/Microsoft.Compute/disks/pkros${log.random}'`,
    ),
    out("==> azure-arm: The resource group was not created by Packer, not deleting ..."),
  ];
}

/** `2025/06/13 08:28:58`, as packer stamps its log lines (UTC here). */
export function packerTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `06/13/2025 08:29:01`, as PowerShell (en-US) prints `(Get-Date).ToUniversalTime()`. */
function powershellTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `3 minutes 12 seconds` since the log started (packer's wording). */
function elapsed(log: LogSubject): string {
  const s = Math.max(1, Math.round((Date.now() - log.started) / 1000));
  return `${Math.floor(s / 60)} minutes ${s % 60} seconds`;
}
