/**
 * Azure VM Image Builder: Microsoft.VirtualMachineImages/imageTemplates, api-version 2025-10-01
 * (imagebuilder.json): PUT (create LRO; identical re-PUT 200; changed re-PUT 409 Conflict), GET, list
 * by resource group / subscription (nextLink paging), PATCH (tags, identity, properties.distribute,
 * properties.vmProfile only; LRO), DELETE (LRO via Location), POST run (LRO that lasts the whole
 * build), POST cancel (LRO), GET runOutputs and runOutputs/{name}.
 *
 * The rest of Image Builder is split by purpose: `imagebuilder-template.ts` (template records, request
 * validation, ARM bodies), `imagebuilder-build.ts` (the build engine walking `lastRunStatus.runSubState`
 * Queued → Building → Customizing → Optimizing → Validating → Distributing, the test knobs, the
 * customization.log writer interface), `imagebuilder-records.ts` (the build's plan and run types),
 * `imagebuilder-provision.ts` (what provisioning a created template does: staging resource group, customizer
 * file copies, the platform image check), `imagebuilder-distribute.ts` (the gallery image version and the
 * run outputs a build creates at Distributing).
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
 * Other validation messages follow the documented "Validation failed: '<path>': …" pattern (invented text).
 */

import type { HandlerResult, Operation, RequestContext, Route } from "./arm.ts";
import { ArmError, armTime, errorDetail, jsonEqual, key, newGuid, pageOf, resourceNotFound } from "./arm.ts";
import type { Core } from "./core.ts";
import type { FileHost } from "./file-host.ts";
import type { Gallery } from "./gallery-store.ts";
import { BuildEngine } from "./imagebuilder-build.ts";
import { type ProvisioningFailure, provisionTemplate } from "./imagebuilder-provision.ts";
import type { BuildFailure, BuildLogWriter, BuildPhaseHook, BuildPlan } from "./imagebuilder-records.ts";
import { TYPE, type TemplateRecord, runOutputBody, sameIdentity, templateBody, validatePatch, validatePut } from "./imagebuilder-template.ts";
import type { Marketplace } from "./marketplace.ts";

export type { BuildFailure, BuildLogRun, BuildLogWriter, BuildPhaseHook, BuildPlan } from "./imagebuilder-records.ts";

/** api-versions accepted for imageTemplates (the SDK sends 2025-10-01). */
export const IMAGE_BUILDER_API_VERSIONS = ["2025-10-01", "2024-02-01", "2023-07-01", "2022-07-01", "2022-02-14", "2021-10-01", "2020-02-14"] as const;

/** A provisioning failure for the next template PUT. */
export interface TemplateCreateFailure {
  templateName?: string;
  /** ProvisioningErrorCode, default 'Other'. */
  provisioningErrorCode?: string;
  message?: string;
}

/** Image Builder resource provider; builds run in its {@link BuildEngine}. */
export class ImageBuilder {
  private readonly core: () => Core;
  private readonly marketplace: Marketplace;
  private readonly engine: BuildEngine;
  readonly templates = new Map<string, TemplateRecord>();
  private readonly createFailures: TemplateCreateFailure[] = [];
  /** The file host customizers download from; its files are copied when a template is created (file-host.ts). */
  files: FileHost | undefined;

  constructor(core: () => Core, gallery: Gallery, marketplace: Marketplace) {
    this.core = core;
    this.marketplace = marketplace;
    this.engine = new BuildEngine(core, gallery, marketplace);
  }

  /** Writes each build's customization.log (set by the emulator; customization-log.ts). */
  get buildLog(): BuildLogWriter | undefined {
    return this.engine.buildLog;
  }

  set buildLog(writer: BuildLogWriter | undefined) {
    this.engine.buildLog = writer;
  }

  // ---------- test API ----------

  /** Queues per-build settings for the next matching run. */
  nextBuild(plan: BuildPlan): void {
    this.engine.nextBuild(plan);
  }

  /** Queues a failure for the next matching run. */
  failNextBuild(f: BuildFailure & { templateName?: string }): void {
    this.engine.failNextBuild(f);
  }

  /** Queues a provisioning failure for the next matching template create. */
  failNextTemplateCreate(f: TemplateCreateFailure = {}): void {
    this.createFailures.push(f);
  }

  /** Registers a phase hook; returns a function that removes it. */
  onBuildPhase(hook: BuildPhaseHook): () => void {
    return this.engine.onBuildPhase(hook);
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
    if (t.build && !t.build.ended) this.engine.stop(t.build);
    t.stuckCanceling = true;
    t.lastRunStatus = { startTime: armTime(), ...(t.lastRunStatus ?? {}), runState: "Canceling", message: "" };
    delete t.lastRunStatus.endTime;
  }

  /** Ends a stuck cancel (what Azure support does): the last run becomes Canceled. */
  releaseStuckCanceling(sub: string, rg: string, name: string): void {
    const t = this.templates.get(key(sub, rg, name));
    if (!t?.stuckCanceling || !t.lastRunStatus) throw new Error(`releaseStuckCanceling: image template ${rg}/${name} is not stuck`);
    t.stuckCanceling = false;
    t.lastRunStatus.runState = "Canceled";
    t.lastRunStatus.endTime = armTime();
  }

  /** ARM body of a template, or undefined. */
  getTemplate(sub: string, rg: string, name: string): Record<string, unknown> | undefined {
    const t = this.templates.get(key(sub, rg, name));
    return t ? templateBody(this.core(), t) : undefined;
  }

  /** ARM bodies of templates, filtered by subscription and/or resource group. */
  listTemplates(sub?: string, rg?: string): Record<string, unknown>[] {
    return [...this.templates.values()]
      .filter((t) => (!sub || t.subscriptionId.toLowerCase() === sub.toLowerCase()) && (!rg || t.resourceGroup.toLowerCase() === rg.toLowerCase()))
      .map((t) => templateBody(this.core(), t));
  }

  // ---------- routes ----------

  routes(): Route[] {
    const rgBase = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates";
    const r = (method: string, pattern: string, handler: (ctx: RequestContext) => HandlerResult | Promise<HandlerResult>, rgScoped = true): Route => ({
      method,
      pattern,
      kind: "arm",
      apiVersions: IMAGE_BUILDER_API_VERSIONS,
      resourceType: "imageTemplates",
      resourceGroupScoped: rgScoped,
      handler,
    });
    return [
      r("GET", "/subscriptions/{sub}/providers/Microsoft.VirtualMachineImages/imageTemplates", (ctx) => this.list(ctx, false), false),
      r("GET", rgBase, (ctx) => this.list(ctx, true)),
      r("GET", `${rgBase}/{name}`, (ctx) => ({ status: 200, body: templateBody(this.core(), this.require(ctx)) })),
      r("PUT", `${rgBase}/{name}`, (ctx) => this.put(ctx)),
      r("PATCH", `${rgBase}/{name}`, (ctx) => this.patch(ctx)),
      r("DELETE", `${rgBase}/{name}`, (ctx) => this.delete(ctx)),
      r("POST", `${rgBase}/{name}/run`, (ctx) => this.run(ctx)),
      r("POST", `${rgBase}/{name}/cancel`, (ctx) => this.cancel(ctx)),
      r("GET", `${rgBase}/{name}/runOutputs`, (ctx) => this.listRunOutputs(ctx)),
      r("GET", `${rgBase}/{name}/runOutputs/{output}`, (ctx) => this.getRunOutput(ctx)),
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
    const o: Parameters<Core["operations"]["create"]>[0] = {
      subscriptionId: ctx.params.sub!,
      namespace: "Microsoft.VirtualMachineImages",
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
    const { location, identity, input, tags } = validatePut(p.name!, ctx.body);

    const existing = this.templates.get(key(p.sub!, rg.name, p.name!));
    if (existing) {
      if (existing.deleteOp || existing.lastRunStatus?.runState === "Canceling") throw notAllowed("write", existing);
      const same =
        existing.provisioningState !== "Failed" &&
        existing.location === location &&
        sameIdentity(existing.identity, identity) &&
        jsonEqual(existing.input, input);
      if (!same) {
        throw new ArmError(
          409,
          "Conflict",
          "Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting. If you have previously tried to submit a template and it failed to provision, you must delete it first and then resubmit. For more information, go to https://aka.ms/azvmimagebuilderts.",
        );
      }
      existing.tags = tags;
      return { status: 200, body: templateBody(this.core(), existing) };
    }

    const stagingGuid = newGuid();
    const t: TemplateRecord = {
      subscriptionId: p.sub!,
      resourceGroup: rg.name,
      name: p.name!,
      location,
      tags,
      identity,
      input,
      provisioningState: "Creating",
      exactStagingResourceGroup: "",
      stagingGuid,
      runOutputs: new Map(),
    };
    this.templates.set(key(t.subscriptionId, t.resourceGroup, t.name), t);
    const op = this.newOperation(ctx, t.location, () => ({ status: 200, body: templateBody(this.core(), t) }));
    this.core().scheduler.after(this.core().options.templateCreateMs, () => this.finishCreate(t, op));
    return { status: 201, body: templateBody(this.core(), t), headers: this.headers(op, false) };
  }

  /** The template's create LRO ends: provisioned (imagebuilder-provision.ts), or Failed with a planned or real failure. */
  private finishCreate(t: TemplateRecord, op: Operation): void {
    if (this.templates.get(key(t.subscriptionId, t.resourceGroup, t.name)) !== t) return;
    let failure: ProvisioningFailure | undefined;
    const idx = this.createFailures.findIndex((f) => !f.templateName || f.templateName.toLowerCase() === t.name.toLowerCase());
    if (idx >= 0) {
      const f = this.createFailures.splice(idx, 1)[0]!;
      failure = {
        provisioningErrorCode: f.provisioningErrorCode ?? "Other",
        message: f.message ?? "Internal error occurred. This is a generic error. To identify possible causes, go to https://aka.ms/azvmimagebuilderts.",
      };
    }
    failure = provisionTemplate(t, { options: this.core().options, marketplace: this.marketplace, files: this.files }, failure);
    if (failure) {
      t.provisioningState = "Failed";
      t.provisioningError = failure;
      this.core().operations.fail(op, errorDetail(failure.provisioningErrorCode, failure.message), 400);
      return;
    }
    t.provisioningState = "Succeeded";
    this.core().operations.succeed(op);
  }

  // ---------- PATCH ----------

  private patch(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const patch = validatePatch(t, ctx.body, () => {
      if ((t.build && !t.build.ended) || t.lastRunStatus?.runState === "Canceling") throw notAllowed("write", t);
      if (t.deleteOp || t.provisioningState === "Failed" || t.provisioningState === "Creating") throw notAllowed("write", t);
    });
    if (patch.tags) t.tags = patch.tags;
    if (patch.identity) t.identity = patch.identity;
    if (patch.distribute) t.input.distribute = patch.distribute;
    if (patch.vmProfile !== undefined) t.input.vmProfile = patch.vmProfile;
    t.provisioningState = "Updating";
    const op = this.newOperation(ctx, t.location, () => ({ status: 200, body: templateBody(this.core(), t) }));
    this.core().scheduler.after(this.core().options.templateUpdateMs, () => {
      if (t.provisioningState === "Updating") t.provisioningState = "Succeeded";
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.headers(op, true) };
  }

  // ---------- DELETE ----------

  private delete(ctx: RequestContext): HandlerResult {
    const t = this.templates.get(key(ctx.params.sub!, ctx.params.rg!, ctx.params.name!));
    if (!t) return { status: 204 };
    if (t.deleteOp) return { status: 202, headers: this.headers(t.deleteOp, true, false) };
    const runState = String(t.lastRunStatus?.runState ?? "");
    // AIB refuses to delete a template whose build is running or canceling (OperationNotAllowed; 405 in
    // Canceling as azvmimagebuilder#48 reports it, 409 while running — see notAllowed).
    if (runState === "Running" || runState === "Canceling") throw notAllowed("delete", t);
    if (t.provisioningState === "Creating" || t.provisioningState === "Updating") throw notAllowed("delete", t);
    const op = this.newOperation(ctx, t.location, () => ({ status: 204 }));
    t.deleteOp = op;
    t.provisioningState = "Deleting";
    this.core().scheduler.after(this.core().options.templateDeleteMs, () => {
      this.templates.delete(key(t.subscriptionId, t.resourceGroup, t.name));
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.headers(op, true, false) };
  }

  // ---------- run / cancel ----------

  private run(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const runState = String(t.lastRunStatus?.runState ?? "");
    if (t.provisioningState !== "Succeeded" || runState === "Running" || runState === "Canceling" || t.deleteOp) throw notAllowed("run/action", t);
    const runOp = this.engine.start(t, () => this.newOperation(ctx, t.location));
    return { status: 202, headers: this.headers(runOp, true) };
  }

  private cancel(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const build = t.build;
    if (!build || build.ended || t.lastRunStatus?.runState !== "Running") throw notAllowed("cancel/action", t);
    this.engine.stop(build);
    t.lastRunStatus.runState = "Canceling";
    const cancelOp = this.newOperation(ctx, t.location);
    this.core().scheduler.after(this.core().options.cancelMs, () => {
      if (!t.lastRunStatus || t.stuckCanceling) return;
      t.lastRunStatus.runState = "Canceled";
      t.lastRunStatus.endTime = armTime();
      t.lastRunStatus.message = "";
      this.core().operations.cancel(build.runOp);
      this.core().operations.succeed(cancelOp);
    });
    return { status: 202, headers: this.headers(cancelOp, true) };
  }

  // ---------- run outputs ----------

  private listRunOutputs(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const items = [...t.runOutputs.values()].map((r) => runOutputBody(t, r));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private getRunOutput(ctx: RequestContext): HandlerResult {
    const t = this.require(ctx);
    const r = t.runOutputs.get(ctx.params.output!.toLowerCase());
    if (!r) throw resourceNotFound(`${TYPE}/${t.name}/runOutputs/${ctx.params.output}`, ctx.params.rg!);
    return { status: 200, body: runOutputBody(t, r) };
  }
}

/** OperationNotAllowed for `action` (delete, cancel/action, run/action, write) in the template's state. */
function notAllowed(action: string, t: TemplateRecord): ArmError {
  const ps = t.deleteOp ? "deleting" : t.provisioningState === "Succeeded" ? "provisioned" : t.provisioningState.toLowerCase();
  const rs = String(t.lastRunStatus?.runState ?? "").toLowerCase();
  // In Canceling the one public report of the status is 405 ("Delete command failed with http error code:
  // 405", danielsollondon/azvmimagebuilder#48); in other states 409, as ARM RPs answer state conflicts.
  return new ArmError(
    rs === "canceling" ? 405 : 409,
    "OperationNotAllowed",
    `Operation Microsoft.VirtualMachineImages/imageTemplates/${action} is not allowed in provisioning state: ${ps} or run state: ${rs}.`,
  );
}
