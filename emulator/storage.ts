/**
 * The staging storage account of Azure VM Image Builder and the build log it holds.
 *
 * - Microsoft.Storage/storageAccounts, api-version 2025-08-01 (what @azure/arm-storage 20.x sends) and
 *   earlier: list by resource group and get, in the staging resource groups of the emulator's image
 *   templates (`IT_<rg>_<template>_<guid>`, or the template's own `stagingResourceGroup`). Each holds one
 *   StorageV2 account — AIB makes one per staging resource group — when the emulator is backed by Azurite
 *   (`useAzurite`); its `primaryEndpoints.blob` points at Azurite (path-style, `https://127.0.0.1:PORT/<account>/`),
 *   the other endpoints keep Azure's form. Without Azurite the group holds no storage account. Body shape
 *   after the spec's example (Azure/azure-rest-api-specs specification/storage/resource-manager/
 *   Microsoft.Storage/stable/2025-08-01/examples/StorageAccountListByResourceGroup.json @ 5f5de686);
 *   `primaryEndpoints` is under `properties` on the wire (the modular SDK flattens it).
 * - customization.log: while a build walks its phases (imagebuilder-build.ts calls the {@link BuildLogWriter}
 *   methods), lines are appended to the append blob `packerlogs/<guid>/customization.log` in Azurite, spread
 *   over each phase, in pieces that do not end on line boundaries (as a log that is being written is read).
 *   The lines follow AIB's customization.log: `[<operationId>] PACKER OUT …` / `PACKER ERR <time> …`, packer's
 *   `(telemetry) Starting provisioner <type>` per customizer (the stages of the log in the AIB
 *   troubleshooting guide, MicrosoftDocs/azure-docs articles/virtual-machines/linux/image-builder-troubleshoot.md),
 *   AVD's `Starting AVD AIB Customization: <script>: <time>` markers for AVD's built-in scripts
 *   (Azure/RDS-Templates CustomImageTemplateScripts, as the AVD custom image template docs describe them),
 *   the hidden deprovisioning step, capture and cleanup — and, when a build is made to fail in a
 *   customizer, that customizer's error and packer's "errored" summary.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type AppendBlobClient, BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { pageOf, resourceGroupNotFound, resourceNotFound } from './arm.ts';
import type { RequestContext, Route } from './arm.ts';
import type { Azurite, AzuriteAccount } from './azurite.ts';
import type { BuildFailure, BuildLogRun, BuildLogWriter } from './imagebuilder-records.ts';
import type { RunSubState } from './state.ts';
import type { Core } from './core.ts';
import { type EmulatedUpdate, type ImageContent, INVENTORY_MARKERS, defaultImageContent, inventoryOutput, windowsUpdateOutput } from './image-content.ts';
import { type StuckLog, type TimelineStep, stuckTimeline } from './stuck-logs.ts';

/** api-versions accepted for storage accounts. */
export const STORAGE_API_VERSIONS = ['2025-08-01', '2025-06-01', '2025-01-01', '2024-01-01', '2023-05-01', '2023-04-01', '2023-01-01', '2022-09-01', '2022-05-01', '2021-09-01', '2021-04-01', '2019-06-01'] as const;

const LOG_CONTAINER = 'packerlogs';

/** A staging resource group the emulator knows (from an image template). */
export interface StagingGroup {
  /** `/subscriptions/<id>/resourceGroups/<name>`. */
  id: string;
  location: string;
  /**
   * The template's `managedResourceTags`: imagebuilder.json 2025-10-01, "Tags that will be applied to the
   * resource group and/or resources created by the service" (here: on the staging storage account).
   */
  tags?: Record<string, string>;
}

/** What the emulator wrote to one build's customization.log. */
export interface BuildLogRecord {
  /** The run's operation id (the `[…]` prefix of every line). */
  runId: string;
  templateName: string;
  /** Storage account (an Azurite account) and blob. */
  account: string;
  blobName: string;
  url: string;
  /** Every line scheduled for the log, in order (those of a phase are all in storage when it ends). */
  lines: string[];
  /** Text appended to the blob so far. */
  written: string;
  /** Each append to the blob: when it was written (ms since the epoch) and its text. */
  appends: { at: number; text: string }[];
  /** Errors of writes to Azurite (none expected). */
  errors: string[];
}

interface RunLog extends BuildLogRecord {
  run: BuildLogRun;
  container: ContainerClient;
  blob: AppendBlobClient;
  chain: Promise<void>;
  ended: boolean;
  blobReady: boolean;
  started: number;
  vmName: string;
  random: string;
  /** What this build's VM holds (a copy taken at its start) and the updates not installed yet. */
  content: ImageContent;
  pendingUpdates: EmulatedUpdate[];
}

/** Staging storage accounts (ARM) and the build log writer. */
export class Storage implements BuildLogWriter {
  private readonly core: () => Core;
  private readonly stagingGroups: () => StagingGroup[];
  private azurite: Azurite | undefined;
  private readonly assigned = new Map<string, AzuriteAccount>();
  private readonly created = new Map<string, string>();
  private readonly runs = new Map<string, RunLog>();
  private readonly services = new Map<string, BlobServiceClient>();
  private content: ImageContent = defaultImageContent();

  constructor(core: () => Core, stagingGroups: () => StagingGroup[]) {
    this.core = core;
    this.stagingGroups = stagingGroups;
  }

  /** Backs staging storage accounts with `azurite` (undefined: staging groups hold no storage account, builds write no log). */
  useAzurite(azurite: Azurite | undefined): void {
    this.azurite = azurite;
    this.assigned.clear();
    this.services.clear();
  }

  /** What the next builds' VMs install and hold (Windows updates, inventory); parts not given keep their value. */
  setImageContent(content: Partial<ImageContent>): void {
    this.content = { ...this.content, ...structuredClone(content) };
  }

  /** What the next builds' VMs install and hold. */
  imageContent(): ImageContent {
    return structuredClone(this.content);
  }

  /** The logs written so far, oldest build first. */
  logs(): BuildLogRecord[] {
    return [...this.runs.values()].map((r) => ({
      runId: r.runId,
      templateName: r.templateName,
      account: r.account,
      blobName: r.blobName,
      url: r.url,
      lines: [...r.lines],
      written: r.written,
      appends: r.appends.map((a) => ({ ...a })),
      errors: [...r.errors],
    }));
  }

  // ---------- ARM ----------

  routes(): Route[] {
    const base = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts';
    const r = (pattern: string, handler: (ctx: RequestContext) => ReturnType<Route['handler']>): Route => ({
      method: 'GET',
      pattern,
      kind: 'arm',
      apiVersions: STORAGE_API_VERSIONS,
      resourceType: 'storageAccounts',
      // Staging resource groups are not seeded groups: checked here.
      resourceGroupScoped: false,
      handler,
    });
    return [
      r(base, (ctx) => {
        const group = this.group(ctx);
        const items = this.accountOf(group) ? [this.accountBody(group!)] : [];
        return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
      }),
      r(`${base}/{name}`, (ctx) => {
        const group = this.group(ctx);
        const account = this.accountOf(group);
        if (!account || account.name.toLowerCase() !== ctx.params.name!.toLowerCase()) {
          throw resourceNotFound(`Microsoft.Storage/storageAccounts/${ctx.params.name}`, ctx.params.rg!);
        }
        return { status: 200, body: this.accountBody(group!) };
      }),
    ];
  }

  /** The staging group of a request, or undefined for a seeded (non-staging) group; 404 for an unknown one. */
  private group(ctx: RequestContext): StagingGroup | undefined {
    const id = `/subscriptions/${ctx.params.sub}/resourceGroups/${ctx.params.rg}`.toLowerCase();
    const staging = this.stagingGroups().find((g) => g.id.toLowerCase() === id);
    if (staging) return staging;
    if (!this.core().resources.getResourceGroup(ctx.params.sub!, ctx.params.rg!)) throw resourceGroupNotFound(ctx.params.rg!);
    return undefined;
  }

  /** The Azurite account of a staging group (accounts handed out in turn), or undefined without Azurite. */
  private accountOf(group: StagingGroup | undefined): AzuriteAccount | undefined {
    if (!group || !this.azurite) return undefined;
    const k = group.id.toLowerCase();
    let account = this.assigned.get(k);
    if (!account) {
      account = this.azurite.accounts[this.assigned.size % this.azurite.accounts.length]!;
      this.assigned.set(k, account);
    }
    return account;
  }

  private accountBody(group: StagingGroup): Record<string, unknown> {
    const account = this.accountOf(group)!;
    const k = group.id.toLowerCase();
    if (!this.created.has(k)) this.created.set(k, new Date().toISOString());
    const azure = (service: string) => `https://${account.name}.${service}.core.windows.net/`;
    return {
      sku: { name: 'Standard_LRS', tier: 'Standard' },
      kind: 'StorageV2',
      id: `${group.id}/providers/Microsoft.Storage/storageAccounts/${account.name}`,
      name: account.name,
      type: 'Microsoft.Storage/storageAccounts',
      location: group.location,
      tags: { ...group.tags },
      properties: {
        keyCreationTime: { key1: this.created.get(k), key2: this.created.get(k) },
        privateEndpointConnections: [],
        minimumTlsVersion: 'TLS1_2',
        allowBlobPublicAccess: false,
        networkAcls: { bypass: 'AzureServices', virtualNetworkRules: [], ipRules: [], defaultAction: 'Allow' },
        supportsHttpsTrafficOnly: true,
        encryption: {
          services: { file: { keyType: 'Account', enabled: true, lastEnabledTime: this.created.get(k) }, blob: { keyType: 'Account', enabled: true, lastEnabledTime: this.created.get(k) } },
          keySource: 'Microsoft.Storage',
        },
        accessTier: 'Hot',
        provisioningState: 'Succeeded',
        creationTime: this.created.get(k),
        primaryEndpoints: {
          dfs: azure('dfs'),
          web: `https://${account.name}.z6.web.core.windows.net/`,
          blob: this.azurite!.blobEndpoint(account.name),
          queue: azure('queue'),
          table: azure('table'),
          file: azure('file'),
        },
        primaryLocation: group.location,
        statusOfPrimary: 'available',
      },
    };
  }

  // ---------- BuildLogWriter ----------

  start(run: BuildLogRun): string | undefined {
    const group = this.stagingGroups().find((g) => g.id.toLowerCase() === run.stagingResourceGroupId.toLowerCase()) ?? { id: run.stagingResourceGroupId, location: run.location };
    const account = this.accountOf(group);
    if (!account || !this.azurite) return undefined;
    let service = this.services.get(account.name);
    if (!service) {
      // One try, short timeout: a stopped Azurite (a test of an unreachable log) must not stall the build.
      service = new BlobServiceClient(this.azurite.blobEndpoint(account.name), new StorageSharedKeyCredential(account.name, account.key), {
        retryOptions: { maxTries: 1, tryTimeoutInMs: 5000 },
      });
      this.services.set(account.name, service);
    }
    const blobName = `${randomUUID()}/customization.log`;
    const container = service.getContainerClient(LOG_CONTAINER);
    const blob = container.getAppendBlobClient(blobName);
    const log: RunLog = {
      runId: run.runId,
      templateName: run.templateName,
      account: account.name,
      blobName,
      url: blob.url,
      lines: [],
      written: '',
      appends: [],
      errors: [],
      run,
      container,
      blob,
      chain: Promise.resolve(),
      ended: false,
      blobReady: false,
      started: Date.now(),
      vmName: `pkrvm${randomBytes(6).toString('hex').slice(0, 11)}`,
      random: randomBytes(6).toString('hex').slice(0, 11),
      content: structuredClone(this.content),
      pendingUpdates: structuredClone(this.content.updates),
    };
    this.runs.set(run.runId, log);
    return log.url;
  }

  phase(runId: string, phase: RunSubState, durationMs: number, fail?: BuildFailure, stuck?: StuckLog): number | undefined {
    const log = this.runs.get(runId);
    if (!log || log.ended) return undefined;
    if (stuck && phase === 'Customizing' && fail?.phase !== phase) return this.writeStuck(log, stuck);
    const lines = this.script(log, phase, fail?.phase === phase ? fail : undefined);
    if (phase === 'Building') {
      // Packer starts: the log blob appears.
      log.chain = log.chain.then(() => this.ensureBlob(log));
    }
    if (lines.length === 0) return undefined;
    log.lines.push(...lines);
    const text = lines.map((l) => `${l}\n`).join('');
    // Pieces cut at even character offsets: most end inside a line, as a log read while written does.
    const count = Math.min(6, lines.length);
    const cuts = Array.from({ length: count + 1 }, (_, i) => Math.round((text.length * i) / count));
    const pieces = cuts.slice(1).map((end, i) => text.slice(cuts[i], end)).filter((p) => p.length > 0);
    const gap = (durationMs * 0.6) / pieces.length;
    log.chain = log.chain.then(async () => {
      for (let i = 0; i < pieces.length; i += 1) {
        if (i > 0) await this.delay(gap);
        if (log.ended) return; // canceled or timed out: packer was stopped
        await this.append(log, pieces[i]!);
      }
    });
    return undefined;
  }

  /** Writes a stuck Customizing phase (stuck-logs.ts) over emulated time; returns how long the phase lasts. */
  private writeStuck(log: RunLog, stuck: StuckLog): number {
    const id = log.runId.toLowerCase();
    const { steps, durationMs } = stuckTimeline(stuck, {
      normal: this.script(log, 'Customizing', undefined),
      customizers: log.run.customizers,
      out: (text) => `[${id}] PACKER OUT ${text}`,
      err: (text) => `[${id}] PACKER ERR ${packerTime()} ${text}`,
      vmName: log.vmName,
      minuteMs: this.core().options.buildTimeoutMsPerMinute,
    });
    log.chain = log.chain.then(async () => {
      for (const step of steps as Iterable<TimelineStep>) {
        if (step.afterMs > 0) await this.delay(step.afterMs);
        if (log.ended || log.errors.length > 0) return; // canceled or timed out: packer was stopped
        if (step.lines.length === 0) continue;
        log.lines.push(...step.lines);
        await this.append(log, step.lines.map((l) => `${l}\n`).join(''));
      }
    });
    return durationMs;
  }

  settle(runId: string): Promise<void> {
    return this.runs.get(runId)?.chain ?? Promise.resolve();
  }

  end(runId: string): void {
    const log = this.runs.get(runId);
    if (log) log.ended = true;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.core().scheduler.after(ms, resolve));
  }

  private async ensureBlob(log: RunLog): Promise<void> {
    if (log.blobReady) return;
    try {
      await log.container.createIfNotExists();
      await log.blob.createIfNotExists();
      log.blobReady = true;
    } catch (error) {
      log.errors.push(String(error));
    }
  }

  private async append(log: RunLog, piece: string): Promise<void> {
    if (log.errors.length > 0) return; // storage is gone: stop writing this run's log
    try {
      await this.ensureBlob(log);
      const body = Buffer.from(piece, 'utf8');
      await log.blob.appendBlock(body, body.byteLength);
      log.written += piece;
      log.appends.push({ at: Date.now(), text: piece });
    } catch (error) {
      log.errors.push(String(error));
    }
  }

  // ---------- the log's lines ----------

  private script(log: RunLog, phase: RunSubState, fail: BuildFailure | undefined): string[] {
    const id = log.runId.toLowerCase();
    const out = (text: string) => `[${id}] PACKER OUT ${text}`;
    const err = (text: string) => `[${id}] PACKER ERR ${packerTime()} ${text}`;
    const plugin = (text: string) => err(`packer-plugin-azure plugin: ${packerTime()} ${text}`);
    const run = log.run;
    const stagingRg = run.stagingResourceGroupId.split('/').pop()!;
    const sub = run.subscriptionId;
    if (phase === 'Building' && fail?.packerErrors?.length) {
      // Packer refuses its configuration before deploying anything (AIB troubleshooting guide, JWT errors).
      return [
        err('[INFO] Packer version: 1.10.0 [go1.22.5 linux amd64]'),
        out('Error: Failed to prepare build: "azure-arm"'),
        err(''),
        out(''),
        ...fail.packerErrors.map((e) => err(`* ${e}`)),
        out(`${fail.packerErrors.length} error(s) occurred:`),
      ];
    }
    if (phase === 'Building') {
      const deployment = `pkrdp${log.random}`;
      const lines = [
        err('[INFO] Packer version: 1.10.0 [go1.22.5 linux amd64]'),
        err('Checking \'PACKER_CONFIG\' for a config file...'),
        err('[INFO] (telemetry) Starting builder azure-arm'),
        out('==> azure-arm: Running builder ...'),
        out('==> azure-arm: Getting tokens using Managed Identity for Azure'),
        out('    azure-arm: Creating Azure Resource Manager (ARM) client ...'),
        out('==> azure-arm: Using existing resource group ...'),
        out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
        out(`==> azure-arm:  -> Location          : '${run.location}'`),
        out('==> azure-arm: Validating deployment template ...'),
        out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
        out(`==> azure-arm:  -> DeploymentName    : '${deployment}'`),
        out('==> azure-arm: Deploying deployment template ...'),
      ];
      for (let i = 0; i < 6; i += 1) {
        lines.push(
          plugin(
            `Azure request method="GET" request="https://management.azure.com/subscriptions/${sub}/resourcegroups/${stagingRg}/providers/Microsoft.Resources/deployments/${deployment}/operationStatuses/0858${String(60000000000000 + i).padStart(14, '0')}?[REDACTED]" body=""`,
          ),
        );
      }
      if (fail) {
        lines.push(
          out('==> azure-arm: ERROR: -> DeploymentFailed : At least one resource deployment operation failed. Please list deployment operations for details.'),
          out(`Build 'azure-arm' errored after ${elapsed(log)}: DeploymentFailed`),
          out('==> Builds finished but no artifacts were created.'),
          err('[INFO] (telemetry) Finalizing.'),
        );
        return lines;
      }
      lines.push(
        out('==> azure-arm: Getting the VM\'s IP address ...'),
        out('==> azure-arm:  -> IP Address        : \'10.1.0.4\''),
        out('==> azure-arm: Waiting for WinRM to become available...'),
        plugin('Waiting for WinRM, up to timeout: 10m0s'),
        plugin('[INFO] Attempting WinRM connection...'),
        out('    azure-arm: WinRM connected.'),
        out('==> azure-arm: Connected to WinRM!'),
        err('packer: Running the provision hook'),
      );
      return lines;
    }
    if (phase !== 'Customizing') return [];

    const lines: string[] = [];
    const customizers = run.customizers;
    const failAt = fail
      ? Math.max(0, fail.customizerName !== undefined ? customizers.findIndex((c) => c.name === fail.customizerName) : 0)
      : -1;
    for (let i = 0; i < customizers.length; i += 1) {
      const c = customizers[i]!;
      const failing = i === failAt;
      lines.push(...customizerLines(c, failing, { out, err, vmName: log.vmName, random: log.random, content: log.content, pendingUpdates: log.pendingUpdates }));
      if (failing) {
        lines.push(
          out('==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...'),
          out('==> azure-arm: '),
          ...cleanupLines(out, log),
          out(`Build 'azure-arm' errored after ${elapsed(log)}: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]`),
          out(''),
          out(`==> Wait completed after ${elapsed(log)}`),
          out(''),
          out('==> Some builds didn\'t complete successfully and had errors:'),
          out('--> azure-arm: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]'),
          out(''),
          out('==> Builds finished but no artifacts were created.'),
          err('[INFO] (telemetry) Finalizing.'),
          err('waiting for all plugin processes to complete...'),
        );
        return lines;
      }
    }
    const image = `IntermediateImage_${log.random}`;
    lines.push(
      // AIB's hidden last customizer: deprovisioning (Sysprep).
      err('[INFO] (telemetry) Starting provisioner powershell'),
      out('==> azure-arm: Provisioning with Powershell...'),
      err('packer-provisioner-powershell plugin: Found command: if( TEST-PATH c:\\DeprovisioningScript.ps1 ){cat c:\\DeprovisioningScript.ps1} else {echo "Deprovisioning script [c:\\DeprovisioningScript.ps1] could not be found. Image build may fail or the VM created from the Image may not boot. Please make sure the deprovisioning script is not accidentally deleted by a Customizer in the Template."}'),
      out(`==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner${log.random}`),
      out('    azure-arm: & $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm'),
      out('    azure-arm: IMAGE_STATE_UNDEPLOYABLE'),
      out('    azure-arm: IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE'),
      err('[INFO] (telemetry) ending powershell'),
      out('==> azure-arm: Querying the machine\'s properties ...'),
      out(`==> azure-arm:  -> ResourceGroupName : '${stagingRg}'`),
      out(`==> azure-arm:  -> ComputeName       : '${log.vmName}'`),
      out('==> azure-arm: Querying the machine\'s additional disks properties ...'),
      out('==> azure-arm: Powering off machine ...'),
      out('==> azure-arm: Generalizing machine ...'),
      out('==> azure-arm: Capturing image ...'),
      out(`==> azure-arm:  -> Image ResourceGroupName   : '${stagingRg}'`),
      out(`==> azure-arm:  -> Image Name                : '${image}'`),
      out(`==> azure-arm:  -> Image Location            : '${run.location}'`),
      ...cleanupLines(out, log),
      out(`Build 'azure-arm' finished after ${elapsed(log)}.`),
      out(''),
      out(`==> Wait completed after ${elapsed(log)}`),
      out(''),
      out('==> Builds finished. The artifacts of successful builds are:'),
      out('--> azure-arm: Azure.ResourceManagement.VMImage:'),
      out(''),
      out('OSType: Windows'),
      out(`ManagedImageResourceGroupName: ${stagingRg}`),
      out(`ManagedImageName: ${image}`),
      out(`ManagedImageId: ${run.stagingResourceGroupId}/providers/Microsoft.Compute/images/${image}`),
      out(`ManagedImageLocation: ${run.location}`),
      out(''),
      err('[INFO] (telemetry) Finalizing.'),
      err('waiting for all plugin processes to complete...'),
    );
    return lines;
  }
}

/** AVD built-in scripts (Azure/RDS-Templates CustomImageTemplateScripts) by file name → the title their marker prints. */
const AVD_SCRIPTS: Record<string, string> = {
  'installlanguagepacks.ps1': 'Install Language packs',
  'removeappxpackages.ps1': 'Remove Appx Packages',
  'installofficeapps.ps1': 'Office Apps',
  'multimediaredirection.ps1': 'MultiMedia Redirection',
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
  if (type === 'PowerShell' || type === 'Shell') {
    const provisioner = type === 'PowerShell' ? 'powershell' : 'shell';
    lines.push(err(`[INFO] (telemetry) Starting provisioner ${provisioner}`), out(`==> azure-arm: Provisioning with ${type === 'PowerShell' ? 'Powershell' : 'shell script'}...`));
    const inline = Array.isArray(c.inline) ? (c.inline as unknown[]).map(String) : [];
    for (const command of inline) lines.push(err(`packer-provisioner-${provisioner} plugin: Found command: ${command}`));
    const scriptUri = typeof c.scriptUri === 'string' ? c.scriptUri : undefined;
    const file = scriptUri ? decodeURIComponent(new URL(scriptUri).pathname.split('/').filter(Boolean).pop() ?? 'script.ps1') : undefined;
    lines.push(out(`==> azure-arm: Provisioning with ${provisioner} script: ${file ? `/tmp/${file}` : `/tmp/${provisioner}-provisioner${m.random}`}`));
    const avd = file ? (AVD_SCRIPTS[file.toLowerCase()] ?? (/CustomImageTemplateScripts/i.test(scriptUri!) ? file.replace(/\.ps1$/i, '') : undefined)) : undefined;
    if (avd) {
      lines.push(
        out(`    azure-arm: Starting AVD AIB Customization: ${avd}: ${powershellTime()}`),
        out(`    azure-arm: AVD AIB CUSTOMIZER PHASE : ${avd} : Created temp folder C:\\temp\\${randomUUID()}`),
        out(`    azure-arm: AVD AIB CUSTOMIZER PHASE : ${avd} : Downloading and installing`),
      );
      if (failing) {
        lines.push(out(`    azure-arm: *** AVD AIB CUSTOMIZER PHASE : ${avd} - Exception occurred *** : [The operation completed with errors. ErrorCode: -2147023436]`));
      } else {
        lines.push(
          out(`    azure-arm: *** AVD AIB CUSTOMIZER PHASE : ${avd} -  Exit Code: 0 ***`),
          out(`    azure-arm: Ending AVD AIB Customization : ${avd} - Time taken: 00:01:${String(10 + (m.random.charCodeAt(0) % 40)).padStart(2, '0')}.4817203`),
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
      lines.push(err(`packer-provisioner-${provisioner} plugin: [INFO] RPC endpoint: Communicator ended with: 1`), err(`[INFO] (telemetry) ending ${provisioner}`));
      return lines;
    }
    lines.push(err(`packer-provisioner-${provisioner} plugin: [INFO] RPC endpoint: Communicator ended with: 0`));
    ok(provisioner);
    return lines;
  }
  if (type === 'WindowsRestart') {
    lines.push(err('[INFO] (telemetry) Starting provisioner windows-restart'), out('==> azure-arm: Restarting Machine'), out('==> azure-arm: Waiting for machine to restart...'));
    if (failing) {
      lines.push(out('==> azure-arm: Timeout waiting for machine to restart.'), err('[INFO] (telemetry) ending windows-restart'));
      return lines;
    }
    lines.push(out(`    azure-arm: ${m.vmName.toUpperCase()} restarted.`), out('==> azure-arm: Machine successfully restarted, moving on'));
    ok('windows-restart');
    return lines;
  }
  if (type === 'WindowsUpdate') {
    lines.push(
      err('[INFO] (telemetry) Starting provisioner windows-update'),
      out('==> azure-arm: Uploading the Windows update elevated script...'),
      out('==> azure-arm: Uploading the Windows update check for reboot required elevated script...'),
      out('==> azure-arm: Uploading the Windows update script...'),
      out('==> azure-arm: Running Windows update...'),
    );
    const first = windowsUpdateOutput(m.pendingUpdates);
    if (failing) {
      lines.push(...first.out.filter((t) => !t.startsWith('Installing')).map((t) => out(`    azure-arm: ${t}`)));
      lines.push(out('    azure-arm: Windows update failed: Exception from HRESULT: 0x80240022'), err('[INFO] (telemetry) ending windows-update'));
      return lines;
    }
    lines.push(...first.out.map((t) => out(`    azure-arm: ${t}`)));
    if (first.restartThenSearchAgain) {
      lines.push(out('==> azure-arm: Restarting the machine...'), out('==> azure-arm: Waiting for machine to become available...'), out('==> azure-arm: Running Windows update...'));
      lines.push(...windowsUpdateOutput(m.pendingUpdates).out.map((t) => out(`    azure-arm: ${t}`)));
    }
    ok('windows-update');
    return lines;
  }
  if (type === 'File') {
    const destination = String(c.destination ?? 'C:\\temp\\file');
    lines.push(err('[INFO] (telemetry) Starting provisioner file'), out(`==> azure-arm: Uploading /tmp/${m.random} => ${destination}`));
    if (failing) {
      lines.push(out(`==> azure-arm: Upload failed: ${destination}: Access is denied.`), err('[INFO] (telemetry) ending file'));
      return lines;
    }
    ok('file');
    return lines;
  }
  lines.push(err(`[INFO] (telemetry) Starting provisioner ${type.toLowerCase()}`));
  if (failing) lines.push(out(`==> azure-arm: ${type} failed.`));
  ok(type.toLowerCase());
  return lines;
}

function cleanupLines(out: (text: string) => string, log: RunLog): string[] {
  return [
    out('==> azure-arm: Deleting individual resources ...'),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Compute/virtualMachines : '${log.vmName}'`),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Network/networkInterfaces : 'pkrni${log.random}'`),
    out(`==> azure-arm: Adding to deletion queue -> Microsoft.Network/publicIPAddresses : 'pkrip${log.random}'`),
    out('==> azure-arm: Waiting for deletion of all resources...'),
    out(`==> azure-arm: Attempting deletion -> Microsoft.Network/networkInterfaces : 'pkrni${log.random}'`),
    out(`==> azure-arm: Attempting deletion -> Microsoft.Compute/virtualMachines : '${log.vmName}'`),
    out(`==> azure-arm:  Deleting -> Microsoft.Compute/disks : '/subscriptions/${log.run.subscriptionId}/resourceGroups/${log.run.stagingResourceGroupId.split('/').pop()}/providers/Microsoft.Compute/disks/pkros${log.random}'`),
    out('==> azure-arm: The resource group was not created by Packer, not deleting ...'),
  ];
}

/** `2025/06/13 08:28:58`, as packer stamps its log lines (UTC here). */
function packerTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `06/13/2025 08:29:01`, as PowerShell (en-US) prints `(Get-Date).ToUniversalTime()`. */
function powershellTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `3 minutes 12 seconds` since the log started (packer's wording). */
function elapsed(log: RunLog): string {
  const s = Math.max(1, Math.round((Date.now() - log.started) / 1000));
  return `${Math.floor(s / 60)} minutes ${s % 60} seconds`;
}
