/**
 * Follows an Image Builder run to its end by reading the template's `lastRunStatus`
 * (VirtualMachineImageTemplates_Get, api-version 2025-10-01) every poll interval, logging each
 * `runSubState` change (Queued, Building, Customizing, Optimizing, Validating, Distributing) with the
 * elapsed minutes.
 */
import { setTimeout as sleep } from "node:timers/promises";

const defaultWait = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, undefined, { signal });

import type { ImageTemplate, ImageTemplateLastRunStatus, RunState } from "@azure/arm-imagebuilder";
import type { AzureGateway } from "../azure/gateway.ts";
import { ActionError } from "../errors.ts";

/** Run states (the SDK's `RunState`) after which an Image Builder run does not change any more. */
export const TERMINAL_RUN_STATES = ["Succeeded", "PartiallySucceeded", "Failed", "Canceled"] as const satisfies readonly RunState[];

/** How a build ended, as the template's `lastRunStatus` says. */
export interface BuildEnd {
  /** `Succeeded`, `PartiallySucceeded`, `Failed` or `Canceled` (`lastRunStatus.runState`). */
  runState: (typeof TERMINAL_RUN_STATES)[number];
  /** `lastRunStatus.message` (AIB's own words, e.g. the failing customizer). */
  message: string;
  /** Build start and end as Azure reports them (UTC). */
  startTime?: Date;
  endTime?: Date;
  /** Status reads that failed while following the run (each after the SDK's own retries), if any. */
  failedReads?: FailedReads;
}

/** Failed status reads of one run: how many, and the minutes from the first failure to the last. */
export interface FailedReads {
  count: number;
  minutes: number;
}

/** "N status reads failed over M minutes", for the log and the summary. */
export function describeFailedReads(failed: FailedReads): string {
  return `${failed.count} status read${failed.count === 1 ? "" : "s"} failed over ${failed.minutes.toFixed(1)} minutes`;
}

/** What the monitor needs to know and whom to tell. */
export interface MonitorOptions {
  resourceGroup: string;
  templateName: string;
  /** `lastRunStatus.startTime` before this run was submitted; a status with that start time is the previous run's. */
  previousStartTime?: Date;
  /** Seconds between two reads. */
  pollIntervalSeconds: number;
  /** Gives up after this many minutes (the build timeout plus a margin). */
  maxWaitMinutes: number;
  /**
   * Minutes of failing status reads in a row (5xx, throttling, reset connections, each read already
   * retried by the SDK) tolerated before giving up: transient Image Builder trouble is ridden out by time,
   * not by count. Counted from the first failure of a streak; one good read ends the streak.
   */
  maxFailingMinutes: number;
  log: (message: string) => void;
  /** Told of each new phase. */
  onPhase?: (phase: string) => void;
  /**
   * Called after each read of this run's status, the terminal one included, and awaited before the next
   * poll (the build step tails the build log here). What it throws is ignored: the build's result does
   * not depend on it.
   */
  onPoll?: (template: ImageTemplate, status: ImageTemplateLastRunStatus) => Promise<void>;
  abortSignal?: AbortSignal;
  now?: () => number;
  /**
   * Read the status at once (attaching to a build that may have ended), instead of one poll interval
   * after the start (the build was just submitted: nothing to see yet, and one read fewer per build).
   */
  readImmediately?: boolean;
  /** Waits `ms` milliseconds (abortable); injectable with `now` to run the monitor on a virtual clock (bench/polling.ts). */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The wait for a run ended without a terminal state: `timedOut` after maxWaitMinutes, else status reads failed for maxFailingMinutes. */
export class MonitorError extends ActionError {
  override name = "MonitorError";
  readonly timedOut: boolean;
  constructor(message: string, timedOut = false) {
    super(message);
    this.timedOut = timedOut;
  }
}

/** Minutes between two "still running" lines when the phase does not change. */
export const HEARTBEAT_MINUTES = 5;

/**
 * Polls until the run this process submitted reaches a terminal `runState`.
 * @throws MonitorError after `maxWaitMinutes`, or when status reads kept failing for `maxFailingMinutes`.
 * @throws the abort reason when `abortSignal` aborts.
 */
export async function monitorBuild(azure: AzureGateway, options: MonitorOptions): Promise<BuildEnd> {
  const now = options.now ?? Date.now;
  const started = now();
  const elapsed = () => ((now() - started) / 60_000).toFixed(1);
  let phase: string | undefined;
  let lastLine = started;
  let failingSince: number | undefined;
  let failures = 0;
  let firstFailure: number | undefined;
  let lastFailure = 0;
  const failedReads = (): FailedReads | undefined => (failures ? { count: failures, minutes: (lastFailure - firstFailure!) / 60_000 } : undefined);
  const wait = () => (options.wait ?? defaultWait)(options.pollIntervalSeconds * 1000, options.abortSignal);
  if (!options.readImmediately) await wait();
  for (;;) {
    let status: ImageTemplateLastRunStatus | undefined;
    let template: ImageTemplate | undefined;
    try {
      template = await azure.getTemplate(options.resourceGroup, options.templateName, { abortSignal: options.abortSignal });
      if (!template) throw new MonitorError(`Image template ${options.templateName} disappeared while its build was running.`);
      status = isThisBuild(template.lastRunStatus, options.previousStartTime) ? template.lastRunStatus : undefined;
      failingSince = undefined;
    } catch (error) {
      if (options.abortSignal?.aborted || error instanceof MonitorError) throw error;
      const at = now();
      failures += 1;
      firstFailure ??= at;
      lastFailure = at;
      failingSince ??= at;
      const failingMinutes = (at - failingSince) / 60_000;
      options.log(
        `Reading the build status failed (failing for ${failingMinutes.toFixed(1)} of ${options.maxFailingMinutes} minutes tolerated): ${(error as Error).message}`,
      );
      if (failingMinutes >= options.maxFailingMinutes) {
        throw new MonitorError(
          `Gave up following the build of ${options.templateName}: status reads kept failing for ${failingMinutes.toFixed(1)} minutes ` +
            `(${describeFailedReads(failedReads()!)}; ${options.maxFailingMinutes} minutes tolerated). The build may still be running in Azure: ` +
            `run again with the same inputs to follow it to its end. Last error: ${(error as Error).message}`,
        );
      }
    }
    if (status) {
      const current = status.runSubState ?? status.runState ?? "Unknown";
      if (current !== phase) {
        phase = current;
        lastLine = now();
        options.log(`Build phase: ${current} (${elapsed()} min elapsed)`);
        options.onPhase?.(current);
      } else if (now() - lastLine >= HEARTBEAT_MINUTES * 60_000) {
        lastLine = now();
        options.log(`Still ${current} (${elapsed()} min elapsed)`);
      }
      if (options.onPoll && template) {
        try {
          await options.onPoll(template, status);
        } catch {
          // Ignored by contract (see onPoll).
        }
      }
      if (isTerminal(status.runState)) {
        return { runState: status.runState, message: status.message ?? "", startTime: status.startTime, endTime: status.endTime, failedReads: failedReads() };
      }
    }
    if (now() - started > options.maxWaitMinutes * 60_000) {
      throw new MonitorError(
        `Stopped waiting for the build of ${options.templateName} after ${options.maxWaitMinutes} minutes ` +
          `(build-timeout-minutes plus a margin); it has not ended in Azure.`,
        true,
      );
    }
    await wait();
  }
}

function isThisBuild(status: ImageTemplateLastRunStatus | undefined, previousStartTime: Date | undefined): boolean {
  if (!status) return false;
  if (!previousStartTime) return true;
  return status.startTime?.getTime() !== previousStartTime.getTime();
}

/** True when `state` is one of TERMINAL_RUN_STATES. */
function isTerminal(state: RunState | undefined): state is (typeof TERMINAL_RUN_STATES)[number] {
  return (TERMINAL_RUN_STATES as readonly (RunState | undefined)[]).includes(state);
}
