/**
 * The records of Image Builder builds shared by the build engine (imagebuilder-build.ts), the templates
 * (imagebuilder-template.ts: a template's current run), the distribution (imagebuilder-distribute.ts)
 * and the customization.log writer (customization-log.ts): a build's plan and test knobs, its run, and the log
 * writer interface. Types only, so the modules that use them import each other in one direction.
 */
import type { Operation } from "./arm.ts";
import type { RunSubState } from "./state.ts";
import type { StuckLog } from "./stuck-logs.ts";

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

/** Writes a build's customization.log as it walks its phases (emulator/customization-log.ts). */
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

/** A template's current (or last) run. */
export interface BuildRun {
  runOp: Operation;
  plan: BuildPlan;
  ended: boolean;
  stagingStorageAccount: string;
  /** URL of the run's customization.log when a {@link BuildLogWriter} writes one. */
  logUrl?: string;
}
