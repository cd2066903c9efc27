/**
 * Image Builder's build engine: a run (POST imageTemplates/{name}/run, api-version 2025-10-01, an LRO that
 * lasts the whole build) walks `lastRunStatus.runSubState` Queued → Building → Customizing → Optimizing →
 * Validating → Distributing, writing customization.log through a {@link BuildLogWriter} (customization-log.ts), and
 * ends Succeeded or Failed (or is canceled, imagebuilder.ts). The test knobs (planned failures, phase
 * durations, stuck builds, replication timeouts, phase hooks) are consumed here.
 *
 * Real AIB wordings used (and where they come from):
 *  - Packer failure "Failed while waiting for packerizer: Microservice has failed: Failed while processing
 *    request: Error when executing packerizer: Packer build command has failed: exit status 1. During the
 *    image build, a failure has occurred, please review the build log to identify which
 *    build/customization step failed. For more troubleshooting steps go to https://aka.ms/azvmimagebuilderts.
 *    Image Build log location: https://….blob.core.windows.net/packerlogs/…/customization.log. OperationId: ….
 *    Use this operationId to search packer logs." and the timeout "Failed while waiting for packerizer:
 *    Timeout waiting for microservice to complete: 'context deadline exceeded'" — MicrosoftDocs/azure-docs
 *    articles/virtual-machines/linux/image-builder-troubleshoot.md.
 *  - `buildTimeoutInMinutes` 1–5: "client_jwt will expire within 5 minutes, …" — same troubleshooting guide
 *    ("JWT errors appear in the log early in the build").
 *  - `validate.continueDistributeOnFailure` — Image Builder template reference (Properties: validate).
 * The distribution itself is `imagebuilder-distribute.ts`; the plan, run and log-writer types are in
 * `imagebuilder-records.ts`.
 */
import { type ArmErrorDetail, type Operation, armTime, clone, errorDetail, isRecord, newGuid } from "./arm.ts";
import type { Core } from "./core.ts";
import { checksumMismatch } from "./file-host.ts";
import type { Gallery } from "./gallery-store.ts";
import { type DistributeDeps, distribute } from "./imagebuilder-distribute.ts";
import type { BuildFailure, BuildLogWriter, BuildPhaseHook, BuildPlan, BuildRun } from "./imagebuilder-records.ts";
import { type TemplateRecord, storageAccountName, templateBody } from "./imagebuilder-template.ts";
import type { Marketplace } from "./marketplace.ts";
import { RUN_SUB_STATES, phaseDuration } from "./state.ts";

/**
 * Image Builder troubleshooting guide, "JWT errors appear in the log early in the build": a
 * `buildTimeoutInMinutes` of 1 to 5 fails early in the build, the log showing
 * "PACKER ERR * client_jwt will expire within 5 minutes, please use a JWT that is valid for at least 5 minutes".
 */
const CLIENT_JWT_ERROR = "client_jwt will expire within 5 minutes, please use a JWT that is valid for at least 5 minutes";

/** The build engine: runs builds of image templates (see the module comment). */
export class BuildEngine {
  private readonly core: () => Core;
  private readonly deps: DistributeDeps;
  private readonly plans: BuildPlan[] = [];
  private readonly hooks = new Set<BuildPhaseHook>();
  /** Writes each build's customization.log (set by the emulator; customization-log.ts). */
  buildLog: BuildLogWriter | undefined;

  constructor(core: () => Core, gallery: Gallery, marketplace: Marketplace) {
    this.core = core;
    this.deps = { core, gallery, marketplace };
  }

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

  /** Registers a phase hook; returns a function that removes it. */
  onBuildPhase(hook: BuildPhaseHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * Starts a run of `t` (its state already checked): takes the next matching {@link BuildPlan}, creates the
   * run's operation with `newRunOperation`, sets `lastRunStatus` Running / Queued, starts customization.log
   * and the build timeout (`buildTimeoutInMinutes`, default 240 minutes), and enters the first phase.
   * Returns the run's operation.
   */
  start(t: TemplateRecord, newRunOperation: () => Operation): Operation {
    const planIdx = this.plans.findIndex((pl) => planMatches(pl, t));
    let plan: BuildPlan = planIdx >= 0 ? this.plans.splice(planIdx, 1)[0]! : {};
    const requestedTimeout = Number(t.input.buildTimeoutInMinutes ?? 0);
    const jwtTooShort = requestedTimeout >= 1 && requestedTimeout <= 5;
    if (jwtTooShort) plan = { ...plan, fail: { phase: "Building", packerErrors: [CLIENT_JWT_ERROR] } };
    const mismatch = t.files && checksumMismatch(t.input.customize, t.files);
    if (mismatch && !plan.fail) plan = { ...plan, fail: { phase: "Customizing", customizerName: mismatch.customizerName, message: mismatch.message } };
    const runOp = newRunOperation();
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
    t.lastRunStatus = { startTime: armTime(), runState: "Running", runSubState: "Queued", message: "" };
    const minutes = requestedTimeout || 240;
    this.core().scheduler.after(minutes * this.core().options.buildTimeoutMsPerMinute, () => {
      if (build.ended || jwtTooShort) return;
      const msg = "Failed while waiting for packerizer: Timeout waiting for microservice to complete: 'context deadline exceeded'";
      this.endBuild(t, build, "Failed", msg, errorDetail("InternalOperationError", `Failed in building/customizing image: ${msg}`));
    });
    void this.enterPhase(t, build, 0);
    return runOp;
  }

  /** Stops a running build (canceled, or stuck in Canceling): nothing more happens to it; its log ends. */
  stop(build: BuildRun): void {
    build.ended = true;
    this.buildLog?.end(build.runOp.id);
  }

  private async enterPhase(t: TemplateRecord, build: BuildRun, index: number): Promise<void> {
    if (build.ended || !t.lastRunStatus) return;
    const phase = RUN_SUB_STATES[index]!;
    t.lastRunStatus.runSubState = phase;
    for (const hook of [...this.hooks]) {
      try {
        await hook(templateBody(this.core(), t), phase);
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
      if (phase === "Validating" && validate.continueDistributeOnFailure === true && t.lastRunStatus) {
        t.lastRunStatus.runSubState = "Distributing";
        const err = distribute(this.deps, t);
        this.endBuild(t, build, "Failed", err ? `${msg} ${err}` : msg, errorDetail("InternalOperationError", `Failed in validating image: ${msg}`));
        return;
      }
      this.endBuild(t, build, "Failed", msg, errorDetail("InternalOperationError", `Failed in building/customizing image: ${msg}`));
      return;
    }
    if (phase === "Distributing") {
      const err = distribute(this.deps, t, build.plan.replicationTimeout);
      if (err) {
        this.endBuild(t, build, "Failed", err, errorDetail("InternalOperationError", err));
        return;
      }
    }
    if (index + 1 < RUN_SUB_STATES.length) {
      void this.enterPhase(t, build, index + 1);
      return;
    }
    this.endBuild(t, build, "Succeeded", "");
  }

  private endBuild(t: TemplateRecord, build: BuildRun, runState: "Succeeded" | "Failed", message: string, error?: ArmErrorDetail): void {
    if (build.ended) return;
    build.ended = true;
    this.buildLog?.end(build.runOp.id);
    if (!t.lastRunStatus) return;
    t.lastRunStatus.runState = runState;
    t.lastRunStatus.endTime = armTime();
    t.lastRunStatus.message = message;
    if (runState === "Succeeded") this.core().operations.succeed(build.runOp);
    else this.core().operations.fail(build.runOp, error ?? errorDetail("InternalOperationError", message), 400);
  }
}

/** Whether a queued plan is for this template (by name, and by customizer name for a planned failure). */
function planMatches(plan: BuildPlan, t: TemplateRecord): boolean {
  if (plan.templateName && plan.templateName.toLowerCase() !== t.name.toLowerCase()) return false;
  const cn = plan.fail?.customizerName;
  if (cn !== undefined) {
    const customizers = Array.isArray(t.input.customize) ? (t.input.customize as Record<string, unknown>[]) : [];
    if (!customizers.some((c) => c.name === cn)) return false;
  }
  return true;
}
