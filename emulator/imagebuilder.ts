/**
 * Azure VM Image Builder: Microsoft.VirtualMachineImages/imageTemplates, api-version 2025-10-01
 * (imagebuilder.json): PUT (create LRO; identical re-PUT 200; changed re-PUT 409 Conflict), GET, list
 * by resource group / subscription (nextLink paging), PATCH (tags, identity, properties.distribute,
 * properties.vmProfile only; LRO), DELETE (LRO via Location), POST run (LRO that lasts the whole
 * build), POST cancel (LRO), GET runOutputs and runOutputs/{name}; plus the build engine that walks
 * `lastRunStatus.runSubState` Queued → Building → Customizing → Optimizing → Validating → Distributing
 * and creates the gallery image version and run output.
 *
 * Real AIB wordings used (and where they come from):
 *  - Conflict "Update/Upgrade of image templates is currently not supported. Please change the name of the
 *    template you are submitting. If you have previously tried to submit a template and it failed to
 *    provision, you must delete it first and then resubmit. For more information, go to
 *    https://aka.ms/azvmimagebuilderts." — julie-ng/azure-image-builder-test README (verbatim AIB response);
 *    the AIB troubleshooting doc quotes its start ('Conflict'. Details: Update/Upgrade of image templates
 *    is currently not supported).
 *  - OperationNotAllowed "Operation Microsoft.VirtualMachineImages/imageTemplates/delete is not allowed in
 *    provisioning state: provisioned or run state: running." and the same for cancel/action —
 *    danielsollondon/azvmimagebuilder issues #48 and #79; run/action and write use the same pattern.
 *  - Packer failure "Failed while waiting for packerizer: Microservice has failed: Failed while processing
 *    request: Error when executing packerizer: Packer build command has failed: exit status 1. During the
 *    image build, a failure has occurred, please review the build log to identify which
 *    build/customization step failed. For more troubleshooting steps go to https://aka.ms/azvmimagebuilderts.
 *    Image Build log location: https://….blob.core.windows.net/packerlogs/…/customization.log. OperationId: ….
 *    Use this operationId to search packer logs." and the timeout "Failed while waiting for packerizer:
 *    Timeout waiting for microservice to complete: 'context deadline exceeded'" and the distribution error
 *    frame "Failed in distributing 1 images out of total 1: {[Error 0] [Distribute 0] Error publishing MDI to
 *    Azure Compute Gallery:…, Location:…. Error: Error returned from SIG client while publishing MDI to Azure
 *    Compute Gallery for dstImageLocation: …, dstSubscription: …, dstResourceGroupName: …, dstGalleryName: …,
 *    dstGalleryImageName: …. Error: …}" — MicrosoftDocs/azure-docs
 *    articles/virtual-machines/linux/image-builder-troubleshoot.md. The inner error for an existing version is
 *    Compute's PropertyChangeNotAllowed (see gallery.ts); the composition is the emulator's.
 *  - "Validation failed: Distribute target with Runoutput name <name> not found in the update request.
 *    Deleting a distribution target is not allowed." and "Validation failed:
 *    'ImageTemplate.properties.distribute[<index>]': Missing field <field>. Please review
 *    http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template." —
 *    same troubleshooting doc.
 *  - BadPIRSource "Platform Image was not found. location: …, publisherName: …, offer: …, sku: …, version: ….
 *    Please check the specified source image version in Image Builder Template exists. For information on
 *    how to check available versions, types, review https://aka.ms/azvmimagebuilderts." — Azure/azvmimagebuilder#34.
 * Other validation messages follow the documented "Validation failed: '<path>': …" pattern (invented text).
 */
import { createHash } from 'node:crypto';
import { ArmError, armTime, clone, errorDetail, hasAvailabilityZones, isRecord, jsonEqual, key, newGuid, pageOf, regionName, resourceNotFound } from './arm.ts';
import type { ArmErrorDetail, HandlerResult, Operation, RequestContext, Route } from './arm.ts';
import { type CopiedFile, type FileHost, checksumMismatch } from './file-host.ts';
import type { Gallery, TargetRegionInput } from './gallery.ts';
import { parseVersion } from './gallery.ts';
import type { Marketplace } from './marketplace.ts';
import { type ImageTraits, regionsMissLocation, securityTypeOf, sourceMismatch as publishMismatch } from './publish-rules.ts';
import { RUN_SUB_STATES, phaseDuration } from './state.ts';
import type { StuckLog } from './stuck-logs.ts';
import type { Core, RunSubState } from './state.ts';

/** api-versions accepted for imageTemplates (the SDK sends 2025-10-01). */
export const IMAGE_BUILDER_API_VERSIONS = ['2025-10-01', '2024-02-01', '2023-07-01', '2022-07-01', '2022-02-14', '2021-10-01', '2020-02-14'] as const;

const TYPE = 'Microsoft.VirtualMachineImages/imageTemplates';
const NAME_RE = /^[A-Za-z0-9-_.]{1,64}$/;
const TMPL_REF = 'Please review http://aka.ms/azvmimagebuildertmplref for details on fields requirements in the Image Builder Template.';
const TMPL_REF_REQUIRED = 'Please review http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template.';
const TOP_LEVEL_KEYS = new Set(['id', 'name', 'type', 'location', 'tags', 'identity', 'properties', 'systemData']);
const PROPERTY_KEYS = new Set([
  'source', 'customize', 'optimize', 'validate', 'distribute', 'errorHandling', 'provisioningState', 'provisioningError', 'lastRunStatus',
  'buildTimeoutInMinutes', 'vmProfile', 'additionalDataDisks', 'stagingResourceGroup', 'exactStagingResourceGroup', 'autoRun', 'managedResourceTags',
]);
const READ_ONLY_PROPERTIES = ['provisioningState', 'provisioningError', 'lastRunStatus', 'exactStagingResourceGroup'];
const GALLERY_IMAGE_ID_RE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)(?:\/versions\/([^/]+))?$/i;

/** A fault for the next build: fail at the end of `phase`. */
export interface BuildFailure {
  phase: RunSubState;
  /** Only fire for a template that has a customizer with this name (the fault stays queued otherwise). */
  customizerName?: string;
  /** Replaces AIB's lastRunStatus.message. */
  message?: string;
  /**
   * Packer's configuration errors: the build fails while packer prepares it (`Failed to prepare build`,
   * before any VM is deployed) and customization.log shows each as `PACKER ERR * <error>`.
   */
  packerErrors?: string[];
}

/**
 * Image Builder troubleshooting guide, "JWT errors appear in the log early in the build": a
 * `buildTimeoutInMinutes` of 1 to 5 fails early in the build, the log showing
 * "PACKER ERR * client_jwt will expire within 5 minutes, please use a JWT that is valid for at least 5 minutes".
 */
const CLIENT_JWT_ERROR = 'client_jwt will expire within 5 minutes, please use a JWT that is valid for at least 5 minutes';

/** Per-build settings consumed by the next run that matches. */
export interface BuildPlan {
  /** Only for this template name (case-insensitive); any template when omitted. */
  templateName?: string;
  /** Phase durations for this build (ms), overriding the global option. */
  phaseDurationsMs?: Partial<Record<RunSubState, number>>;
  fail?: BuildFailure;
  /** Test knob: the build gets stuck in Customizing, its customization.log showing how (stuck-logs.ts; needs the Azurite-backed log). */
  stuck?: StuckLog;
  /**
   * Test knob: Image Builder times out waiting for Azure Compute Gallery at Distributing. The image version
   * exists (run output set) with replication in progress (`provisioningState` Creating), the run fails with
   * "… Error waiting on Azure Compute Gallery future … context deadline exceeded}" (troubleshooting guide),
   * and replication goes on: the version turns Succeeded after `completeAfterMs` (never when omitted).
   * `versionCreated: false`: AIB gave up before the version was created (no version, no run output).
   */
  replicationTimeout?: { completeAfterMs?: number; versionCreated?: false };
}

/** A provisioning failure for the next template PUT. */
export interface TemplateCreateFailure {
  templateName?: string;
  /** ProvisioningErrorCode, default 'Other'. */
  provisioningErrorCode?: string;
  message?: string;
}

/** Hook called when a build enters a phase; may be async (the build waits for it). */
export type BuildPhaseHook = (template: Record<string, unknown>, phase: RunSubState) => void | Promise<void>;

/** A run, as the build log writer sees it. */
export interface BuildLogRun {
  /** The run's operation id (AIB's `OperationId`, the `[…]` prefix of customization.log lines). */
  runId: string;
  subscriptionId: string;
  resourceGroup: string;
  templateName: string;
  location: string;
  /** `exactStagingResourceGroup`. */
  stagingResourceGroupId: string;
  /** The template's `customize` entries. */
  customizers: Record<string, unknown>[];
}

/** Writes a build's customization.log as it walks its phases (emulator/storage.ts). */
export interface BuildLogWriter {
  /** A run started; returns the URL of its customization.log, or undefined when no log is written. */
  start(run: BuildLogRun): string | undefined;
  /**
   * The run entered `phase`, which lasts `durationMs`; `fail` is the run's planned failure, `stuck` its
   * stuck log, if any. Returns how long the phase must last instead (ms; Infinity: until the build ends),
   * or undefined.
   */
  phase(runId: string, phase: RunSubState, durationMs: number, fail?: BuildFailure, stuck?: StuckLog): number | undefined;
  /** Resolves when what was written for the run so far is in storage (awaited before a phase ends). */
  settle(runId: string): Promise<void>;
  /** The run ended (succeeded, failed, canceled, timed out). */
  end(runId: string): void;
}

interface RunOutputRecord {
  name: string;
  artifactId?: string;
  artifactUri?: string;
}

interface BuildRun {
  runOp: Operation;
  plan: BuildPlan;
  ended: boolean;
  stagingStorageAccount: string;
  /** URL of the run's customization.log when a {@link BuildLogWriter} writes one. */
  logUrl?: string;
}

interface TemplateRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  identity: Record<string, unknown>;
  /** User-settable properties as submitted (compared on re-PUT). */
  input: Record<string, unknown>;
  provisioningState: string;
  provisioningError?: { provisioningErrorCode: string; message: string };
  exactStagingResourceGroup: string;
  stagingGuid: string;
  exactSourceVersion?: string;
  lastRunStatus?: Record<string, unknown>;
  runOutputs: Map<string, RunOutputRecord>;
  /** Customizer files copied at creation, by customizer index (file-host.ts). */
  files?: Map<number, CopiedFile>;
  build?: BuildRun;
  deleteOp?: Operation;
  /** Test knob {@link ImageBuilder.stickInCanceling}: the last run stays in Canceling until released. */
  stuckCanceling?: boolean;
}

/** Image Builder resource provider + build engine. */
export class ImageBuilder {
  private readonly core: () => Core;
  private readonly gallery: Gallery;
  private readonly marketplace: Marketplace;
  readonly templates = new Map<string, TemplateRecord>();
  private readonly plans: BuildPlan[] = [];
  private readonly createFailures: TemplateCreateFailure[] = [];
  private readonly hooks = new Set<BuildPhaseHook>();
  /** Writes each build's customization.log (set by the emulator; storage.ts). */
  buildLog: BuildLogWriter | undefined;
  /** The file host customizers download from; its files are copied when a template is created (file-host.ts). */
  files: FileHost | undefined;

  constructor(core: () => Core, gallery: Gallery, marketplace: Marketplace) {
    this.core = core;
    this.gallery = gallery;
    this.marketplace = marketplace;
  }

  // ---------- test API ----------

  /** Queues per-build settings for the next matching run. */
  nextBuild(plan: BuildPlan): void {
    this.plans.push(plan);
  }

  /** Queues a failure for the next matching run. */
  failNextBuild(f: BuildFailure & { templateName?: string }): void {
    const plan: BuildPlan = { fail: { phase: f.phase } };
    if (f.customizerName !== undefined) plan.fail!.customizerName = f.customizerName;
    if (f.message !== undefined) plan.fail!.message = f.message;
    if (f.templateName !== undefined) plan.templateName = f.templateName;
    this.plans.push(plan);
  }

  /** Queues a provisioning failure for the next matching template create. */
  failNextTemplateCreate(f: TemplateCreateFailure = {}): void {
    this.createFailures.push(f);
  }

  /** Registers a phase hook; returns a function that removes it. */
  onBuildPhase(hook: BuildPhaseHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * Puts a template's last run into Canceling for good, as public reports show it happen
   * (danielsollondon/azvmimagebuilder #48 "its in this state for about 19 hours", #79 "it has been 6 hours
   * and it still had not canceled", #116): a running build stops (nothing is distributed); cancel, run,
   * delete and writes are then refused with 405 OperationNotAllowed "… is not allowed in provisioning
   * state: provisioned or run state: canceling." until {@link releaseStuckCanceling}.
   */
  stickInCanceling(sub: string, rg: string, name: string): void {
    const t = this.templates.get(key(sub, rg, name));
    if (!t) throw new Error(`stickInCanceling: no image template ${rg}/${name}`);
    if (t.build && !t.build.ended) {
      t.build.ended = true;
      this.buildLog?.end(t.build.runOp.id);
    }
    t.stuckCanceling = true;
    t.lastRunStatus = { startTime: armTime(), ...(t.lastRunStatus ?? {}), runState: 'Canceling', message: '' };
    delete t.lastRunStatus.endTime;
  }

  /** Ends a stuck cancel (what Azure support does): the last run becomes Canceled. */
  releaseStuckCanceling(sub: string, rg: string, name: string): void {
    const t = this.templates.get(key(sub, rg, name));
    if (!t?.stuckCanceling || !t.lastRunStatus) throw new Error(`releaseStuckCanceling: image template ${rg}/${name} is not stuck`);
    t.stuckCanceling = false;
    t.lastRunStatus.runState = 'Canceled';
    t.lastRunStatus.endTime = armTime();
  }

  /** ARM body of a template, or undefined. */
  getTemplate(sub: string, rg: string, name: string): Record<string, unknown> | undefined {
    const t = this.templates.get(key(sub, rg, name));
    return t ? this.body(t) : undefined;
  }

  /** ARM bodies of templates, filtered by subscription and/or resource group. */
  listTemplates(sub?: string, rg?: string): Record<string, unknown>[] {
    return [...this.templates.values()]
      .filter((t) => (!sub || t.subscriptionId.toLowerCase() === sub.toLowerCase()) && (!rg || t.resourceGroup.toLowerCase() === rg.toLowerCase()))
      .map((t) => this.body(t));
  }

  // ---------- bodies ----------

  /** Template id as AIB returns it: lower-case `resourcegroups` (recorded in azure-sdk-for-js test recordings). */
  private templateId(t: { subscriptionId: string; resourceGroup: string; name: string }): string {
    return `/subscriptions/${t.subscriptionId}/resourcegroups/${t.resourceGroup}/providers/${TYPE}/${t.name}`;
  }

  private identityBody(t: TemplateRecord): Record<string, unknown> {
    const ident = clone(t.identity);
    if (isRecord(ident.userAssignedIdentities)) {
      const out: Record<string, unknown> = {};
      for (const id of Object.keys(ident.userAssignedIdentities)) {
        const rec = this.core().resources.findIdentityById(id);
        out[id] = {
          principalId: rec?.principalId ?? guidOf(`principal:${id.toLowerCase()}`),
          clientId: rec?.clientId ?? guidOf(`client:${id.toLowerCase()}`),
        };
      }
      ident.userAssignedIdentities = out;
    }
    return ident;
  }

  private body(t: TemplateRecord): Record<string, unknown> {
    const props: Record<string, unknown> = clone(t.input);
    if (isRecord(props.source) && props.source.type === 'PlatformImage' && t.exactSourceVersion) props.source.exactVersion = t.exactSourceVersion;
    if (Array.isArray(props.customize)) {
      for (const [i, c] of (props.customize as Record<string, unknown>[]).entries()) {
        // Image Builder computes the checksum of the files it copied (SDK recording of a template GET).
        const copied = t.files?.get(i);
        if (copied && !c.sha256Checksum) c.sha256Checksum = copied.sha256;
        if (c.type === 'PowerShell') {
          c.runElevated ??= false;
          c.runAsSystem ??= false;
        }
      }
    }
    props.provisioningState = t.provisioningState;
    if (t.provisioningError) props.provisioningError = clone(t.provisioningError);
    props.buildTimeoutInMinutes ??= 0;
    props.stagingResourceGroup ??= '';
    props.exactStagingResourceGroup = t.exactStagingResourceGroup;
    if (t.lastRunStatus) props.lastRunStatus = clone(t.lastRunStatus);
    const body: Record<string, unknown> = { id: this.templateId(t), name: t.name, type: TYPE, location: t.location };
    if (Object.keys(t.tags).length) body.tags = { ...t.tags };
    body.identity = this.identityBody(t);
    body.properties = props;
    return body;
  }

  private runOutputBody(t: TemplateRecord, r: RunOutputRecord): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    if (r.artifactId) properties.artifactId = r.artifactId;
    if (r.artifactUri) properties.artifactUri = r.artifactUri;
    properties.provisioningState = 'Succeeded';
    return { id: `${this.templateId(t)}/runOutputs/${r.name}`, name: r.name, type: `${TYPE}/runOutputs`, properties };
  }

  // ---------- routes ----------

  routes(): Route[] {
    const rgBase = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates';
    const r = (method: string, pattern: string, handler: (ctx: RequestContext) => HandlerResult | Promise<HandlerResult>, rgScoped = true): Route => ({
      method,
      pattern,
      kind: 'arm',
      apiVersions: IMAGE_BUILDER_API_VERSIONS,
      resourceType: 'imageTemplates',
      resourceGroupScoped: rgScoped,
      handler,
    });
    return [
      r('GET', '/subscriptions/{sub}/providers/Microsoft.VirtualMachineImages/imageTemplates', (ctx) => this.list(ctx, false), false),
      r('GET', rgBase, (ctx) => this.list(ctx, true)),
      r('GET', `${rgBase}/{name}`, (ctx) => ({ status: 200, body: this.body(this.require(ctx)) })),
      r('PUT', `${rgBase}/{name}`, (ctx) => this.put(ctx)),
      r('PATCH', `${rgBase}/{name}`, (ctx) => this.patch(ctx)),
      r('DELETE', `${rgBase}/{name}`, (ctx) => this.delete(ctx)),
      r('POST', `${rgBase}/{name}/run`, (ctx) => this.run(ctx)),
      r('POST', `${rgBase}/{name}/cancel`, (ctx) => this.cancel(ctx)),
      r('GET', `${rgBase}/{name}/runOutputs`, (ctx) => this.listRunOutputs(ctx)),
      r('GET', `${rgBase}/{name}/runOutputs/{output}`, (ctx) => this.getRunOutput(ctx)),
    ];
  }

  private require(ctx: RequestContext): TemplateRecord {
    const t = this.templates.get(key(ctx.params.sub!, ctx.params.rg!, ctx.params.name!));
    if (!t) throw resourceNotFound(`${TYPE}/${ctx.params.name}`, ctx.params.rg!);
    return t;
  }

  private list(ctx: RequestContext, byRg: boolean): HandlerResult {
    const items = this.listTemplates(ctx.params.sub, byRg ? ctx.params.rg : undefined);
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private newOperation(ctx: RequestContext, location: string, final?: () => HandlerResult): Operation {
    const o: Parameters<Core['operations']['create']>[0] = {
      subscriptionId: ctx.params.sub!,
      namespace: 'Microsoft.VirtualMachineImages',
      location,
      apiVersion: ctx.apiVersion!,
      upperCaseName: true,
    };
    if (final) o.final = final;
    return this.core().operations.create(o);
  }

  private headers(op: Operation, location: boolean, asyncOperation = true): Record<string, string> {
    return this.core().operations.lroHeaders(op, { asyncOperation, location }, this.core().options.lroRetryAfterSeconds);
  }

  // ---------- PUT ----------

  private put(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    const rg = this.core().resources.requireResourceGroup(p.sub!, p.rg!);
    if (!NAME_RE.test(p.name!)) throw validation(`Validation failed: 'ImageTemplate.name': Field 'name' has a bad value: '${p.name}'. ${TMPL_REF}`);
    const body = ctx.body;
    if (!isRecord(body)) throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    for (const k of Object.keys(body)) {
      if (!TOP_LEVEL_KEYS.has(k)) throw validation(`Validation failed: 'ImageTemplate': Field '${k}' is not recognized (field names are case sensitive). ${TMPL_REF}`);
    }
    if (typeof body.location !== 'string' || !body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const identity = validateIdentity(body.identity);
    const input = validateProperties(body.properties);
    const tags = stringRecord(body.tags);

    const existing = this.templates.get(key(p.sub!, rg.name, p.name!));
    if (existing) {
      if (existing.deleteOp || existing.lastRunStatus?.runState === 'Canceling') throw notAllowed('write', existing);
      const same =
        existing.provisioningState !== 'Failed' &&
        regionName(existing.location) === regionName(body.location) &&
        sameIdentity(existing.identity, identity) &&
        jsonEqual(existing.input, input);
      if (!same) {
        throw new ArmError(
          409,
          'Conflict',
          'Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting. If you have previously tried to submit a template and it failed to provision, you must delete it first and then resubmit. For more information, go to https://aka.ms/azvmimagebuilderts.',
        );
      }
      existing.tags = tags;
      return { status: 200, body: this.body(existing) };
    }

    const stagingGuid = newGuid();
    const t: TemplateRecord = {
      subscriptionId: p.sub!,
      resourceGroup: rg.name,
      name: p.name!,
      location: regionName(body.location),
      tags,
      identity,
      input,
      provisioningState: 'Creating',
      exactStagingResourceGroup: '',
      stagingGuid,
      runOutputs: new Map(),
    };
    this.templates.set(key(t.subscriptionId, t.resourceGroup, t.name), t);
    const op = this.newOperation(ctx, t.location, () => ({ status: 200, body: this.body(t) }));
    this.core().scheduler.after(this.core().options.templateCreateMs, () => this.finishCreate(t, op));
    return { status: 201, body: this.body(t), headers: this.headers(op, false) };
  }

  private finishCreate(t: TemplateRecord, op: Operation): void {
    if (this.templates.get(key(t.subscriptionId, t.resourceGroup, t.name)) !== t) return;
    const staging = typeof t.input.stagingResourceGroup === 'string' && t.input.stagingResourceGroup ? t.input.stagingResourceGroup : undefined;
    t.exactStagingResourceGroup = staging ?? `/subscriptions/${t.subscriptionId}/resourceGroups/IT_${t.resourceGroup}_${t.name}_${t.stagingGuid}`;
    let failure: { provisioningErrorCode: string; message: string } | undefined;
    const idx = this.createFailures.findIndex((f) => !f.templateName || f.templateName.toLowerCase() === t.name.toLowerCase());
    if (idx >= 0) {
      const f = this.createFailures.splice(idx, 1)[0]!;
      failure = { provisioningErrorCode: f.provisioningErrorCode ?? 'Other', message: f.message ?? 'Internal error occurred. This is a generic error. To identify possible causes, go to https://aka.ms/azvmimagebuilderts.' };
    }
    if (!failure && this.files) {
      const copy = this.files.copyCustomizerFiles(t.input.customize);
      if (copy.failure) failure = { provisioningErrorCode: 'NoCustomizerScript', message: copy.failure };
      else t.files = copy.files;
    }
    const src = t.input.source as Record<string, unknown>;
    if (!failure && src.type === 'PlatformImage' && this.core().options.validatePlatformImages) {
      const v = String(src.version ?? 'latest');
      const exact = this.marketplace.resolve(t.location, String(src.publisher), String(src.offer), String(src.sku), v);
      if (!exact) {
        failure = {
          provisioningErrorCode: 'BadPIRSource',
          message: `Platform Image was not found. location: ${t.location}, publisherName: ${String(src.publisher)}, offer: ${String(src.offer)}, sku: ${String(src.sku)}, version: ${v}. Please check the specified source image version in Image Builder Template exists. For information on how to check available versions, types, review https://aka.ms/azvmimagebuilderts.`,
        };
      } else {
        t.exactSourceVersion = exact;
      }
    }
    if (failure) {
      t.provisioningState = 'Failed';
      t.provisioningError = failure;
      this.core().operations.fail(op, errorDetail(failure.provisioningErrorCode, failure.message), 400);
      return;
    }
    t.provisioningState = 'Succeeded';
    this.core().operations.succeed(op);
  }

  // ---------- PATCH ----------

  private patch(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const body = ctx.body;
    if (!isRecord(body)) throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    for (const k of Object.keys(body)) {
      if (k !== 'tags' && k !== 'identity' && k !== 'properties') throw notUpdatable(k);
    }
    const props = body.properties === undefined ? {} : body.properties;
    if (!isRecord(props)) throw validation(`Validation failed: 'ImageTemplateUpdateParameters.properties': Field 'properties' has a bad value. ${TMPL_REF}`);
    for (const k of Object.keys(props)) {
      if (k !== 'distribute' && k !== 'vmProfile') throw notUpdatable(`properties.${k}`);
    }
    if ((t.build && !t.build.ended) || t.lastRunStatus?.runState === 'Canceling') throw notAllowed('write', t);
    if (t.deleteOp || t.provisioningState === 'Failed' || t.provisioningState === 'Creating') throw notAllowed('write', t);
    let identity: Record<string, unknown> | undefined;
    if (body.identity !== undefined) {
      identity = isRecord(body.identity) && body.identity.type === 'None' ? { type: 'None' } : validateIdentity(body.identity);
    }
    let distribute: Record<string, unknown>[] | undefined;
    if (props.distribute !== undefined) {
      distribute = validateDistribute(props.distribute, 'ImageTemplateUpdateParameters.properties.distribute');
      const names = new Set(distribute.map((d) => String(d.runOutputName).toLowerCase()));
      for (const old of t.input.distribute as Record<string, unknown>[]) {
        if (!names.has(String(old.runOutputName).toLowerCase())) {
          throw validation(`Validation failed: Distribute target with Runoutput name ${String(old.runOutputName)} not found in the update request. Deleting a distribution target is not allowed.`);
        }
      }
    }
    if (props.vmProfile !== undefined && !isRecord(props.vmProfile)) throw validation(`Validation failed: 'ImageTemplateUpdateParameters.properties.vmProfile': Field 'vmProfile' has a bad value. ${TMPL_REF}`);
    if (body.tags !== undefined) t.tags = stringRecord(body.tags);
    if (identity) t.identity = identity;
    if (distribute) t.input.distribute = distribute;
    if (props.vmProfile !== undefined) t.input.vmProfile = clone(props.vmProfile);
    t.provisioningState = 'Updating';
    const op = this.newOperation(ctx, t.location, () => ({ status: 200, body: this.body(t) }));
    this.core().scheduler.after(this.core().options.templateUpdateMs, () => {
      if (t.provisioningState === 'Updating') t.provisioningState = 'Succeeded';
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.headers(op, true) };
  }

  // ---------- DELETE ----------

  private delete(ctx: RequestContext): HandlerResult {
    const t = this.templates.get(key(ctx.params.sub!, ctx.params.rg!, ctx.params.name!));
    if (!t) return { status: 204 };
    if (t.deleteOp) return { status: 202, headers: this.headers(t.deleteOp, true, false) };
    const runState = String(t.lastRunStatus?.runState ?? '');
    // AIB refuses to delete a template whose build is running or canceling (OperationNotAllowed; 405 in
    // Canceling as azvmimagebuilder#48 reports it, 409 while running — see notAllowed).
    if (runState === 'Running' || runState === 'Canceling') throw notAllowed('delete', t);
    if (t.provisioningState === 'Creating' || t.provisioningState === 'Updating') throw notAllowed('delete', t);
    const op = this.newOperation(ctx, t.location, () => ({ status: 204 }));
    t.deleteOp = op;
    t.provisioningState = 'Deleting';
    this.core().scheduler.after(this.core().options.templateDeleteMs, () => {
      this.templates.delete(key(t.subscriptionId, t.resourceGroup, t.name));
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.headers(op, true, false) };
  }

  // ---------- run / cancel ----------

  private run(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const runState = String(t.lastRunStatus?.runState ?? '');
    if (t.provisioningState !== 'Succeeded' || runState === 'Running' || runState === 'Canceling' || t.deleteOp) throw notAllowed('run/action', t);
    const planIdx = this.plans.findIndex((pl) => planMatches(pl, t));
    let plan: BuildPlan = planIdx >= 0 ? this.plans.splice(planIdx, 1)[0]! : {};
    const requestedTimeout = Number(t.input.buildTimeoutInMinutes ?? 0);
    const jwtTooShort = requestedTimeout >= 1 && requestedTimeout <= 5;
    if (jwtTooShort) plan = { ...plan, fail: { phase: 'Building', packerErrors: [CLIENT_JWT_ERROR] } };
    const mismatch = t.files && checksumMismatch(t.input.customize, t.files);
    if (mismatch && !plan.fail) plan = { ...plan, fail: { phase: 'Customizing', customizerName: mismatch.customizerName, message: mismatch.message } };
    const runOp = this.newOperation(ctx, t.location);
    const build: BuildRun = { runOp, plan, ended: false, stagingStorageAccount: storageAccountName(t) };
    const logUrl = this.buildLog?.start({
      runId: runOp.id,
      subscriptionId: t.subscriptionId,
      resourceGroup: t.resourceGroup,
      templateName: t.name,
      location: t.location,
      stagingResourceGroupId: t.exactStagingResourceGroup,
      customizers: Array.isArray(t.input.customize) ? clone(t.input.customize as Record<string, unknown>[]) : [],
    });
    if (logUrl) build.logUrl = logUrl;
    t.build = build;
    t.runOutputs.clear();
    t.lastRunStatus = { startTime: armTime(), runState: 'Running', runSubState: 'Queued', message: '' };
    const minutes = requestedTimeout || 240;
    this.core().scheduler.after(minutes * this.core().options.buildTimeoutMsPerMinute, () => {
      if (build.ended || jwtTooShort) return;
      const msg = "Failed while waiting for packerizer: Timeout waiting for microservice to complete: 'context deadline exceeded'";
      this.endBuild(t, build, 'Failed', msg, errorDetail('InternalOperationError', `Failed in building/customizing image: ${msg}`));
    });
    void this.enterPhase(t, build, 0);
    return { status: 202, headers: this.headers(runOp, true) };
  }

  private cancel(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const build = t.build;
    if (!build || build.ended || t.lastRunStatus?.runState !== 'Running') throw notAllowed('cancel/action', t);
    build.ended = true;
    this.buildLog?.end(build.runOp.id);
    t.lastRunStatus.runState = 'Canceling';
    const cancelOp = this.newOperation(ctx, t.location);
    this.core().scheduler.after(this.core().options.cancelMs, () => {
      if (!t.lastRunStatus || t.stuckCanceling) return;
      t.lastRunStatus.runState = 'Canceled';
      t.lastRunStatus.endTime = armTime();
      t.lastRunStatus.message = '';
      this.core().operations.cancel(build.runOp);
      this.core().operations.succeed(cancelOp);
    });
    return { status: 202, headers: this.headers(cancelOp, true) };
  }

  private async enterPhase(t: TemplateRecord, build: BuildRun, index: number): Promise<void> {
    if (build.ended || !t.lastRunStatus) return;
    const phase = RUN_SUB_STATES[index]!;
    t.lastRunStatus.runSubState = phase;
    for (const hook of [...this.hooks]) {
      try {
        await hook(this.body(t), phase);
      } catch (e) {
        this.core().scheduler.onError(e);
      }
      if (build.ended) return;
    }
    const duration = phaseDuration(this.core().options, phase, build.plan.phaseDurationsMs);
    // A stuck build (test knob) stays in its phase for as long as its log says; a loop, until it is
    // canceled or times out, as on Azure.
    const lasts = this.buildLog?.phase(build.runOp.id, phase, duration, build.plan.fail, build.plan.stuck) ?? duration;
    if (Number.isFinite(lasts)) this.core().scheduler.after(lasts, () => this.finishPhase(t, build, index));
  }

  private async finishPhase(t: TemplateRecord, build: BuildRun, index: number): Promise<void> {
    if (build.ended) return;
    // What the phase wrote to customization.log is in storage before the run's status moves on.
    await this.buildLog?.settle(build.runOp.id);
    if (build.ended) return;
    const phase = RUN_SUB_STATES[index]!;
    const fail = build.plan.fail;
    if (fail && fail.phase === phase) {
      const logUrl = build.logUrl ?? `https://${build.stagingStorageAccount}.blob.core.windows.net/packerlogs/${newGuid()}/customization.log`;
      const packer = `Failed while waiting for packerizer: Microservice has failed: Failed while processing request: Error when executing packerizer: Packer build command has failed: exit status 1. During the image build, a failure has occurred, please review the build log to identify which build/customization step failed. For more troubleshooting steps go to https://aka.ms/azvmimagebuilderts. Image Build log location: ${logUrl}. OperationId: ${build.runOp.id}. Use this operationId to search packer logs.`;
      const msg = fail.message ?? packer;
      // Template reference, Properties: validate: with continueDistributeOnFailure true "output image(s) will
      // still be distributed" after a failed validation, and "the end to end image run will be reported as
      // having failed".
      const validate = isRecord(t.input.validate) ? t.input.validate : {};
      if (phase === 'Validating' && validate.continueDistributeOnFailure === true && t.lastRunStatus) {
        t.lastRunStatus.runSubState = 'Distributing';
        const err = this.distribute(t);
        this.endBuild(t, build, 'Failed', err ? `${msg} ${err}` : msg, errorDetail('InternalOperationError', `Failed in validating image: ${msg}`));
        return;
      }
      this.endBuild(t, build, 'Failed', msg, errorDetail('InternalOperationError', `Failed in building/customizing image: ${msg}`));
      return;
    }
    if (phase === 'Distributing') {
      const err = this.distribute(t, build.plan.replicationTimeout);
      if (err) {
        this.endBuild(t, build, 'Failed', err, errorDetail('InternalOperationError', err));
        return;
      }
    }
    if (index + 1 < RUN_SUB_STATES.length) {
      void this.enterPhase(t, build, index + 1);
      return;
    }
    this.endBuild(t, build, 'Succeeded', '');
  }

  private endBuild(t: TemplateRecord, build: BuildRun, runState: 'Succeeded' | 'Failed', message: string, error?: ArmErrorDetail): void {
    if (build.ended) return;
    build.ended = true;
    this.buildLog?.end(build.runOp.id);
    if (!t.lastRunStatus) return;
    t.lastRunStatus.runState = runState;
    t.lastRunStatus.endTime = armTime();
    t.lastRunStatus.message = message;
    if (runState === 'Succeeded') this.core().operations.succeed(build.runOp);
    else this.core().operations.fail(build.runOp, error ?? errorDetail('InternalOperationError', message), 400);
  }

  /**
   * Why Compute refuses to publish this template's source to a definition, or undefined (publish-rules.ts):
   * a different Hyper-V generation, or a security-type pairing Image Builder does not support. The source's
   * traits are the marketplace image's, or the parent definition's of a gallery image version.
   */
  private sourceMismatch(t: TemplateRecord, definition: Record<string, unknown>): string | undefined {
    const src = t.input.source as Record<string, unknown>;
    let source: ImageTraits | undefined;
    if (src.type === 'PlatformImage') source = this.marketplace.traits(t.location, String(src.publisher), String(src.offer), String(src.sku));
    if (src.type === 'SharedImageVersion') {
      const m = GALLERY_IMAGE_ID_RE.exec(String(src.imageVersionId));
      const parent = m ? this.gallery.getImage(m[1]!, m[2]!, m[3]!, m[4]!) : undefined;
      if (parent) source = { hyperVGeneration: String(parent.properties.hyperVGeneration ?? 'V1'), securityType: securityTypeOf(parent.properties.features) };
    }
    if (!source) return undefined;
    return publishMismatch(source, { hyperVGeneration: String(definition.hyperVGeneration ?? 'V1'), securityType: securityTypeOf(definition.features) });
  }

  /** Distributes every target; returns AIB's error message when any fails. */
  private distribute(t: TemplateRecord, replicationTimeout?: BuildPlan['replicationTimeout']): string | undefined {
    const dists = t.input.distribute as Record<string, unknown>[];
    const errors: string[] = [];
    dists.forEach((d, i) => {
      const runOutputName = String(d.runOutputName);
      if (d.type === 'SharedImage') {
        const m = GALLERY_IMAGE_ID_RE.exec(String(d.galleryImageId));
        const [, sub, rg, gal, img, explicit] = m!;
        const imageIdNoVersion = String(d.galleryImageId).replace(/\/versions\/[^/]+$/i, '');
        const frame = (inner: string) =>
          `[Distribute ${i}] Error publishing MDI to Azure Compute Gallery:${imageIdNoVersion}, Location:${t.location}. Error: Error returned from SIG client while publishing MDI to Azure Compute Gallery for dstImageLocation: ${t.location}, dstSubscription: ${sub}, dstResourceGroupName: ${rg}, dstGalleryName: ${gal}, dstGalleryImageName: ${img}. Error: ${inner}`;
        const image = this.gallery.getImage(sub!, rg!, gal!, img!);
        if (!image) {
          const what = this.gallery.getGallery(sub!, rg!, gal!) ? `Microsoft.Compute/galleries/${gal}/images/${img}` : `Microsoft.Compute/galleries/${gal}`;
          errors.push(frame(`ResourceNotFound: The Resource '${what}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`));
          return;
        }
        const mismatch = this.sourceMismatch(t, image.properties);
        if (mismatch) {
          errors.push(frame(mismatch));
          return;
        }
        const version = explicit ?? this.autoVersion(t, d, image.subscriptionId, image.resourceGroup, image.gallery, image.name);
        if (this.gallery.getVersion(image.subscriptionId, image.resourceGroup, image.gallery, image.name, version)) {
          errors.push(frame("PropertyChangeNotAllowed: Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed."));
          return;
        }
        const regions: TargetRegionInput[] = Array.isArray(d.targetRegions) && d.targetRegions.length
          ? (d.targetRegions as Record<string, unknown>[]).map((r) => {
              const o: { name: string; regionalReplicaCount?: number; storageAccountType?: string } = { name: String(r.name) };
              if (typeof r.replicaCount === 'number') o.regionalReplicaCount = r.replicaCount;
              if (typeof r.storageAccountType === 'string') o.storageAccountType = r.storageAccountType;
              return o;
            })
          : Array.isArray(d.replicationRegions) && d.replicationRegions.length
            ? (d.replicationRegions as string[])
            : [t.location];
        // The version is created in its definition's region, which its target regions must hold (publish-rules.ts).
        const missing = regionsMissLocation(regions.map((r) => (typeof r === 'string' ? r : r.name)), image.location);
        if (missing) {
          errors.push(frame(missing));
          return;
        }
        // Zone-redundant replicas need a region with availability zones (Azure Compute Gallery docs: ZRS "in
        // regions that support Availability Zones"; Azure/avdaccelerator PR #289: a build failed so in West US).
        // The inner wording is the emulator's: no public sample of Compute's answer was found.
        const defaultStorage = typeof d.storageAccountType === 'string' ? d.storageAccountType : 'Standard_LRS';
        const zoneless = regions
          .map((r) => (typeof r === 'string' ? { name: r, storageAccountType: defaultStorage } : { name: r.name, storageAccountType: r.storageAccountType ?? defaultStorage }))
          .filter((r) => r.storageAccountType === 'Standard_ZRS' && !hasAvailabilityZones(r.name));
        if (zoneless.length) {
          errors.push(frame(`InvalidParameter: The storage account type 'Standard_ZRS' is not supported in region '${regionName(zoneless[0]!.name)}'. Zone-redundant storage is available only in regions with availability zones.`));
          return;
        }
        // Shallow replication keeps the version where it is created, in one replica (packer-plugin-azure
        // validates the same before calling Compute, PR #383 and its config docs). Wording the emulator's.
        if (d.replicationMode === 'Shallow') {
          const extra = regions.find((r) => regionName(typeof r === 'string' ? r : r.name) !== regionName(image.location) || (typeof r !== 'string' && (r.regionalReplicaCount ?? 1) > 1));
          if (extra || regions.length > 1) {
            errors.push(frame(`InvalidParameter: Replication mode 'Shallow' supports only the image version's region '${regionName(image.location)}' with 1 replica.`));
            return;
          }
        }
        const galleryWait = `Error waiting on Azure Compute Gallery future for resource group: ${image.resourceGroup}, gallery name: ${image.gallery}, gallery image name: ${image.name}.Error: Future#WaitForCompletion: context has been cancelled: StatusCode=200 -- Original Error: context deadline exceeded`;
        if (replicationTimeout?.versionCreated === false) {
          errors.push(frame(galleryWait));
          return;
        }
        const created = this.gallery.createDistributedVersion({
          subscriptionId: image.subscriptionId,
          resourceGroup: image.resourceGroup,
          gallery: image.gallery,
          image: image.name,
          version,
          tags: stringRecord(d.artifactTags),
          targetRegions: regions,
          excludeFromLatest: d.excludeFromLatest === true,
          storageAccountType: defaultStorage,
          ...(typeof d.replicationMode === 'string' ? { replicationMode: d.replicationMode } : {}),
          sourceId: `${t.exactStagingResourceGroup}/providers/Microsoft.Compute/images/IntermediateImage_${t.stagingGuid.slice(0, 8)}`,
        });
        // AIB reports the artifact id with lower-case 'resourcegroups' (ids vary in case; compare case-insensitively).
        t.runOutputs.set(runOutputName.toLowerCase(), {
          name: runOutputName,
          artifactId: `/subscriptions/${image.subscriptionId}/resourcegroups/${image.resourceGroup}/providers/Microsoft.Compute/galleries/${image.gallery}/images/${image.name}/versions/${version}`,
        });
        if (replicationTimeout) {
          // Troubleshooting guide, "Error waiting on Azure Compute Gallery": AIB stopped waiting while the
          // version is being added and replicated; "Even though the build failed, the replication continues"
          // and the distribution runOutput holds the version.
          created.properties.provisioningState = 'Creating';
          if (replicationTimeout.completeAfterMs !== undefined) {
            this.core().scheduler.after(replicationTimeout.completeAfterMs, () => {
              if (created.properties.provisioningState === 'Creating') created.properties.provisioningState = 'Succeeded';
            });
          }
          errors.push(frame(galleryWait));
        }
      } else if (d.type === 'ManagedImage') {
        t.runOutputs.set(runOutputName.toLowerCase(), { name: runOutputName, artifactId: String(d.imageId) });
      } else {
        t.runOutputs.set(runOutputName.toLowerCase(), {
          name: runOutputName,
          artifactUri: `https://${storageAccountName(t)}.blob.core.windows.net/vhds/${t.name}_${newGuid().slice(0, 8)}.vhd`,
        });
      }
    });
    if (!errors.length) return undefined;
    return `Failed in distributing ${errors.length} images out of total ${dists.length}: {${errors.map((e, i) => `[Error ${i}] ${e}`).join(', ')}}`;
  }

  /** AIB's versioners: `Latest` (default; next patch of the highest version with `major`, -1 = any) or `Source`. */
  private autoVersion(t: TemplateRecord, d: Record<string, unknown>, sub: string, rg: string, gal: string, img: string): string {
    const v = isRecord(d.versioning) ? d.versioning : { scheme: 'Latest', major: -1 };
    if (v.scheme === 'Source' && t.exactSourceVersion) {
      const parts = t.exactSourceVersion.split('.').slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
      while (parts.length < 3) parts.push(0);
      return parts.join('.');
    }
    const major = typeof v.major === 'number' ? v.major : -1;
    const latest = this.gallery.latestVersion(sub, rg, gal, img, major);
    if (!latest) return major >= 0 ? `${major}.0.0` : '0.0.1';
    const [a, b, c] = parseVersion(latest)!;
    return `${a}.${b}.${c + 1}`;
  }

  // ---------- run outputs ----------

  private listRunOutputs(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const items = [...t.runOutputs.values()].map((r) => this.runOutputBody(t, r));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private getRunOutput(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const r = t.runOutputs.get(ctx.params.output!.toLowerCase());
    if (!r) throw resourceNotFound(`${TYPE}/${t.name}/runOutputs/${ctx.params.output}`, ctx.params.rg!);
    return { status: 200, body: this.runOutputBody(t, r) };
  }
}

// ---------- validation helpers ----------

function validation(message: string): ArmError {
  return new ArmError(400, 'ValidationFailed', message);
}

function notUpdatable(field: string): ArmError {
  // Wording invented after the documented "Validation failed: …" pattern; the rule is AIB's (API
  // 2025-10-01 lets PATCH change only tags, identity, properties.distribute and properties.vmProfile).
  return validation(
    `Validation failed: Field '${field}' cannot be updated. Only 'tags', 'identity', 'properties.distribute' and 'properties.vmProfile' can be updated on an existing image template. ${TMPL_REF}`,
  );
}

function notAllowed(action: string, t: TemplateRecord): ArmError {
  const ps = t.deleteOp ? 'deleting' : t.provisioningState === 'Succeeded' ? 'provisioned' : t.provisioningState.toLowerCase();
  const rs = String(t.lastRunStatus?.runState ?? '').toLowerCase();
  // In Canceling the one public report of the status is 405 ("Delete command failed with http error code:
  // 405", danielsollondon/azvmimagebuilder#48); in other states 409, as ARM RPs answer state conflicts.
  return new ArmError(rs === 'canceling' ? 405 : 409, 'OperationNotAllowed', `Operation Microsoft.VirtualMachineImages/imageTemplates/${action} is not allowed in provisioning state: ${ps} or run state: ${rs}.`);
}

function validateIdentity(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) throw validation(`Validation failed: 'ImageTemplate': Missing field identity. ${TMPL_REF_REQUIRED}`);
  if (!isRecord(v)) throw validation(`Validation failed: 'ImageTemplate.identity': Field 'identity' has a bad value. ${TMPL_REF}`);
  if (v.type !== 'UserAssigned') throw validation(`Validation failed: 'ImageTemplate.identity': Field 'type' has a bad value: '${String(v.type)}'. ${TMPL_REF}`);
  const uai = isRecord(v.userAssignedIdentities) ? Object.keys(v.userAssignedIdentities) : [];
  if (uai.length !== 1) {
    throw validation(
      `Validation failed: 'ImageTemplate.identity': Field 'userAssignedIdentities' has a bad value: exactly one user assigned identity is required, found ${uai.length}. ${TMPL_REF}`,
    );
  }
  if (!/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i.test(uai[0]!)) {
    throw validation(`Validation failed: 'ImageTemplate.identity': Field 'userAssignedIdentities' has a bad value: '${uai[0]}'. ${TMPL_REF}`);
  }
  return { type: 'UserAssigned', userAssignedIdentities: { [uai[0]!]: {} } };
}

function validateProperties(v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw validation(`Validation failed: 'ImageTemplate': Missing field properties. ${TMPL_REF_REQUIRED}`);
  for (const k of Object.keys(v)) {
    if (!PROPERTY_KEYS.has(k)) throw validation(`Validation failed: 'ImageTemplate.properties': Field '${k}' is not recognized (field names are case sensitive). ${TMPL_REF}`);
  }
  const input = clone(v);
  for (const k of READ_ONLY_PROPERTIES) delete input[k];
  if (!isRecord(input.source)) throw validation(`Validation failed: 'ImageTemplate.properties': Missing field source. ${TMPL_REF_REQUIRED}`);
  const src = input.source;
  if (!['PlatformImage', 'ManagedImage', 'SharedImageVersion'].includes(String(src.type))) {
    throw validation(`Validation failed: 'ImageTemplate.properties.source': Field 'type' has a bad value: '${String(src.type)}'. ${TMPL_REF}`);
  }
  if (src.type === 'PlatformImage') {
    for (const f of ['publisher', 'offer', 'sku']) {
      if (typeof src[f] !== 'string' || !src[f]) throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
    }
    delete src.exactVersion;
  }
  if (src.type === 'ManagedImage' && typeof src.imageId !== 'string') throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field imageId. ${TMPL_REF_REQUIRED}`);
  if (src.type === 'SharedImageVersion' && typeof src.imageVersionId !== 'string') {
    throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field imageVersionId. ${TMPL_REF_REQUIRED}`);
  }
  if (input.distribute === undefined) throw validation(`Validation failed: 'ImageTemplate.properties': Missing field distribute. ${TMPL_REF_REQUIRED}`);
  input.distribute = validateDistribute(input.distribute, 'ImageTemplate.properties.distribute');
  if (input.buildTimeoutInMinutes !== undefined) {
    const b = input.buildTimeoutInMinutes;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 960) {
      throw validation(`Validation failed: 'ImageTemplate.properties': Field 'buildTimeoutInMinutes' has a bad value: '${String(b)}'. ${TMPL_REF}`);
    }
  }
  if (input.customize !== undefined) {
    if (!Array.isArray(input.customize)) throw validation(`Validation failed: 'ImageTemplate.properties': Field 'customize' has a bad value. ${TMPL_REF}`);
    (input.customize as unknown[]).forEach((c, i) => {
      if (!isRecord(c) || typeof c.type !== 'string') throw validation(`Validation failed: 'ImageTemplate.properties.customize[${i}]': Missing field type. ${TMPL_REF_REQUIRED}`);
    });
  }
  return input;
}

function validateDistribute(v: unknown, path: string): Record<string, unknown>[] {
  if (!Array.isArray(v) || v.length === 0) throw validation(`Validation failed: '${path}': Field 'distribute' has a bad value: at least one distribution target is required. ${TMPL_REF}`);
  const seen = new Set<string>();
  return v.map((d, i) => {
    if (!isRecord(d)) throw validation(`Validation failed: '${path}[${i}]': Missing field type. ${TMPL_REF_REQUIRED}`);
    for (const f of ['type', 'runOutputName']) {
      if (typeof d[f] !== 'string' || !d[f]) throw validation(`Validation failed: '${path}[${i}]': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
    }
    if (!/^[A-Za-z0-9-_.]{1,64}$/.test(String(d.runOutputName))) throw validation(`Validation failed: '${path}[${i}]': Field 'runOutputName' has a bad value: '${String(d.runOutputName)}'. ${TMPL_REF}`);
    if (seen.has(String(d.runOutputName).toLowerCase())) throw validation(`Validation failed: '${path}[${i}]': Field 'runOutputName' has a bad value: '${String(d.runOutputName)}' is used by more than one distribution target. ${TMPL_REF}`);
    seen.add(String(d.runOutputName).toLowerCase());
    if (d.type === 'SharedImage') {
      if (typeof d.galleryImageId !== 'string' || !d.galleryImageId) throw validation(`Validation failed: '${path}[${i}]': Missing field galleryImageId. ${TMPL_REF_REQUIRED}`);
      const m = GALLERY_IMAGE_ID_RE.exec(d.galleryImageId);
      if (!m || (m[5] !== undefined && !parseVersion(m[5]))) throw validation(`Validation failed: '${path}[${i}]': Field 'galleryImageId' has a bad value: '${d.galleryImageId}'. ${TMPL_REF}`);
    } else if (d.type === 'ManagedImage') {
      for (const f of ['imageId', 'location']) {
        if (typeof d[f] !== 'string' || !d[f]) throw validation(`Validation failed: '${path}[${i}]': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
      }
    } else if (d.type !== 'VHD') {
      throw validation(`Validation failed: '${path}[${i}]': Field 'type' has a bad value: '${String(d.type)}'. ${TMPL_REF}`);
    }
    return clone(d);
  });
}

function sameIdentity(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ids = (x: Record<string, unknown>) => (isRecord(x.userAssignedIdentities) ? Object.keys(x.userAssignedIdentities).map((k) => k.toLowerCase()).sort() : []);
  return a.type === b.type && jsonEqual(ids(a), ids(b));
}

function planMatches(plan: BuildPlan, t: TemplateRecord): boolean {
  if (plan.templateName && plan.templateName.toLowerCase() !== t.name.toLowerCase()) return false;
  const cn = plan.fail?.customizerName;
  if (cn !== undefined) {
    const customizers = Array.isArray(t.input.customize) ? (t.input.customize as Record<string, unknown>[]) : [];
    if (!customizers.some((c) => c.name === cn)) return false;
  }
  return true;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function guidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Staging storage account name (24 lower-case alphanumerics, like AIB's random names). */
function storageAccountName(t: TemplateRecord): string {
  return createHash('sha256').update(`${t.subscriptionId}/${t.resourceGroup}/${t.name}/${t.stagingGuid}`.toLowerCase()).digest('hex').replace(/[^a-z0-9]/g, '').slice(0, 24);
}
