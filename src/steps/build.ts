/**
 * The build step: start the Image Builder run (POST run), follow it to its end, and cancel it (POST cancel,
 * once) when the run is canceled, the action's own wait runs out, or the live build log shows the build
 * stuck (stuck-detector.ts: a sysprep or restart loop, WinRM timing out, `stall-minutes` of silence).
 * Never deletes a template.
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_Run/Cancel/Get).
 */

import type { ImageTemplate, RunSubState } from "@azure/arm-imagebuilder";
import { BuildFailedError, type BuildLogExcerpt, CanceledError } from "../errors.ts";
import type { TemplatePlan } from "../template/build.ts";
import { type BuildEnd, MonitorError, describeFailedReads, monitorBuild } from "./build-monitor.ts";
import { type StepContext, pollIntervalMsOf } from "./context.ts";
import { BuildLogFollower } from "./live-log.ts";
import { isGalleryWaitTimeout } from "./replication-timeout.ts";

/** Host state key that records the build a main step started, so the post step can cancel it if orphaned. */
export const BUILD_STATE = "avd-image-build";

/** Minutes AIB allows a build when `buildTimeoutInMinutes` is 0. */
export const AIB_DEFAULT_TIMEOUT_MINUTES = 240;
/** Minutes the action waits beyond the build timeout (queueing, distribution) before giving up. */
export const WAIT_MARGIN_MINUTES = 60;
/** Minutes of failing status reads in a row (each already retried by the SDK) tolerated before giving up. */
export const MAX_FAILING_READ_MINUTES = 15;
/** Time allowed for the cancel request itself, so a canceled job still exits within seconds (ms). */
const CANCEL_REQUEST_TIMEOUT_MS = 3000;

/** What is known of a build the step started or attached to. */
export interface BuildHandle {
  templateName: string;
  /** `lastRunStatus.startTime` before this run was submitted (a status with it is the previous run's). */
  previousStartTime?: Date;
  /** True when attaching to a build submitted earlier (its status is read at once). */
  attached?: boolean;
  /** When this run adopted a build it did not start (the same template already building): the summary's sentence. */
  adopted?: string;
  /** The plan of an adopted build (the version its distributor publishes), when it differs from the run's own. */
  plan?: TemplatePlan;
}

/**
 * Starts a run of `templateName` and records it in the host state (for the post step).
 * @returns the handle to follow it with.
 */
export async function startBuild(ctx: StepContext, templateName: string): Promise<BuildHandle> {
  const { host, settings, azure, signal } = ctx;
  const before = await azure.getTemplate(settings.resourceGroup, templateName);
  signal.throwIfAborted();
  // Recorded before the request: a step killed while Azure accepts the run still leaves the record the
  // post step needs (it cancels only a template that is actually running).
  host.saveState(BUILD_STATE, JSON.stringify({ resourceGroup: settings.resourceGroup, templateName }));
  try {
    await azure.startRun(settings.resourceGroup, templateName);
  } catch (error) {
    host.saveState(BUILD_STATE, "");
    throw error;
  }
  host.info(`Build started. Image Builder runs for tens of minutes; status is read every ${settings.pollIntervalSeconds} s.`);
  return { templateName, previousStartTime: before?.lastRunStatus?.startTime };
}

/**
 * Follows a started build to its end.
 * @returns the end of a Succeeded run, or of a Failed one whose distribution timed out waiting on the gallery (`galleryWaitTimedOut`).
 * @throws BuildFailedError when the run ends otherwise (with AIB's message, the staging resource group and
 *   log location), or when the action's own wait runs out (after asking AIB to cancel).
 * @throws CanceledError when the run's signal aborts (after asking AIB to cancel, once).
 */
export async function followBuild(ctx: StepContext, build: BuildHandle): Promise<FollowedBuildEnd> {
  const { host, settings, azure, signal } = ctx;
  const timeoutMinutes = settings.buildTimeoutMinutes || AIB_DEFAULT_TIMEOUT_MINUTES;
  const buildLog = new BuildLogFollower(ctx, {
    pollIntervalMs: pollIntervalMsOf(ctx),
    stallMinutes: settings.stallMinutes,
    minuteMs: ctx.minuteMs,
    level: settings.buildLog,
    onStuck: (finding) => {
      host.warning(
        `Stuck build: ${finding.title}, in ${finding.customizer}. Asking Image Builder to cancel the build of ${build.templateName} rather than wait for its timeout.`,
      );
      void requestCancel(ctx, build.templateName);
    },
  });
  let end: BuildEnd;
  try {
    end = await monitorBuild(azure, {
      resourceGroup: settings.resourceGroup,
      templateName: build.templateName,
      previousStartTime: build.previousStartTime,
      readImmediately: build.attached,
      pollIntervalSeconds: pollIntervalMsOf(ctx) / 1000,
      maxWaitMinutes: timeoutMinutes + WAIT_MARGIN_MINUTES,
      maxFailingMinutes: MAX_FAILING_READ_MINUTES,
      log: (message) => host.info(message),
      onPhase: (phase) => host.setProgress(progressOf(phase), phase),
      onPoll: (template, status) => buildLog.onPoll(template, status),
      abortSignal: signal,
    });
  } catch (error) {
    if (signal.aborted) {
      await requestCancel(ctx, build.templateName);
      throw new CanceledError(
        `Canceled: asked Image Builder to cancel the build of ${build.templateName} (it goes Canceling, then Canceled). The template is kept; no version was published.`,
      );
    }
    if (error instanceof MonitorError && error.timedOut) {
      await requestCancel(ctx, build.templateName);
      throw new BuildFailedError(
        `Timed out: the action waited ${timeoutMinutes + WAIT_MARGIN_MINUTES} minutes (build-timeout-minutes ${timeoutMinutes} plus ${WAIT_MARGIN_MINUTES} minutes for queueing and distribution) ` +
          `and asked Image Builder to cancel the build of ${build.templateName}.`,
      );
    }
    throw error;
  }
  host.saveState(BUILD_STATE, "");
  if (end.failedReads)
    host.warning(
      `Following the build: ${describeFailedReads(end.failedReads)} (Image Builder or ARM answered 5xx, throttled or reset the connection); the build was followed to its end.`,
    );
  const log = await buildLog.finish();
  // A distribution timeout (the gallery wait) is the pipeline's to settle: the version may exist (replication-timeout.ts).
  if (end.runState === "Failed" && isGalleryWaitTimeout(end.message)) return { ...end, galleryWaitTimedOut: true };
  if (end.runState !== "Succeeded") throw await buildFailure(ctx, build.templateName, end, timeoutMinutes, log);
  return end;
}

/** The end of a followed build: Succeeded, or Failed with `galleryWaitTimedOut` (Image Builder gave up waiting on the gallery). */
export interface FollowedBuildEnd extends BuildEnd {
  galleryWaitTimedOut?: boolean;
}

/** Asks AIB to cancel a run — at most once per run — and reports that it asked. Never throws. */
export async function requestCancel({ host, settings, azure, cancelRequested }: StepContext, templateName: string): Promise<void> {
  if (cancelRequested.has(templateName)) return;
  cancelRequested.add(templateName);
  try {
    await azure.cancelRun(settings.resourceGroup, templateName, { abortSignal: AbortSignal.timeout(CANCEL_REQUEST_TIMEOUT_MS) });
    host.saveState(BUILD_STATE, "");
    host.warning(`Asked Image Builder to cancel the build of ${templateName}.`);
  } catch (error) {
    host.error(
      `Could not ask Image Builder to cancel the build of ${templateName}: ${(error as Error).message}. Cancel it with 'az image builder cancel -g ${settings.resourceGroup} -n ${templateName}'.`,
    );
  }
}

/**
 * The error for a run that ended Failed/Canceled/PartiallySucceeded, with what helps dig further: AIB's
 * message, the provisioning error, the staging resource group, and from the build log (when it was read)
 * the customizer that failed and the last lines of customization.log.
 */
async function buildFailure(ctx: StepContext, templateName: string, end: BuildEnd, timeoutMinutes: number, log?: BuildLogExcerpt): Promise<BuildFailedError> {
  let template: ImageTemplate | undefined;
  try {
    template = await ctx.azure.getTemplate(ctx.settings.resourceGroup, templateName);
  } catch {
    template = undefined;
  }
  // A gallery wait that ran out is a distribution timeout, not build-timeout-minutes (replication-timeout.ts).
  const timedOut = /timeout|timed out|deadline exceeded/i.test(end.message) && !isGalleryWaitTimeout(end.message);
  const logUrl = /https:\/\/\S+?\/customization\.log/.exec(end.message)?.[0] ?? log?.url;
  // The customizer the log was in names the failing one when packer failed or the build timed out (a
  // failure in distribution comes after every customizer ran).
  const customizer = log?.customizer && (timedOut || /packer|customiz/i.test(end.message)) ? log.customizer : undefined;
  const stuck = log?.stuck;
  if (stuck) {
    const lead =
      `Stuck build canceled: ${stuck.title}, in customizer ${stuck.customizer}. The action asked Image Builder to cancel the build of ${templateName} ` +
      `instead of waiting for build-timeout-minutes (${timeoutMinutes}); it ended ${end.runState} and no version was published. Troubleshooting: ${stuck.troubleshooting}`;
    return new BuildFailedError(
      lead + (template?.exactStagingResourceGroup ? ` Staging resource group: ${template.exactStagingResourceGroup}.` : ""),
      [
        `Stuck: ${stuck.title}`,
        `Customizer: ${stuck.customizer}`,
        `Troubleshooting: ${stuck.troubleshooting}`,
        `Run state: ${end.runState}`,
        ...(template?.exactStagingResourceGroup ? [`Staging resource group: ${template.exactStagingResourceGroup}`] : []),
        ...(logUrl ? [`Build log: ${logUrl}`] : []),
      ],
      log,
    );
  }
  const details = [
    `Run state: ${end.runState}`,
    ...(template?.provisioningError ? [`Provisioning error: ${template.provisioningError.provisioningErrorCode}: ${template.provisioningError.message}`] : []),
    ...(template?.exactStagingResourceGroup ? [`Staging resource group: ${template.exactStagingResourceGroup}`] : []),
    ...(logUrl ? [`Build log: ${logUrl}`] : []),
    ...(customizer ? [`${timedOut ? "Customizer running at the timeout" : "Failing customizer"}: ${customizer}`] : []),
  ];
  const lead = timedOut
    ? `Timed out: Image Builder stopped the build of ${templateName} at build-timeout-minutes (${timeoutMinutes}); raise it or shorten the customization.`
    : `Image Builder run of template ${templateName} ended ${end.runState}`;
  return new BuildFailedError(
    `${lead}: ${end.message || "(no message from Image Builder)"}` +
      (customizer ? ` ${timedOut ? "Customizer running at the timeout" : "Failing customizer"}: ${customizer}.` : "") +
      (template?.exactStagingResourceGroup ? ` Staging resource group: ${template.exactStagingResourceGroup}.` : ""),
    details,
    log,
    { lead, imageBuilder: end.message || "(no message)", ...(customizer && log?.step ? { step: log.step } : {}) },
  );
}

/** Build phase → rough percent done, for hosts with a progress indicator. */
function progressOf(phase: string): number {
  const order: readonly string[] = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"] satisfies RunSubState[];
  const index = order.indexOf(phase);
  return index < 0 ? 0 : Math.round(((index + 1) / (order.length + 1)) * 100);
}
