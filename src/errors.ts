/**
 * The failures a run reports, each with a message fit for the job log: what happened and what to do.
 *
 * Every error class of `src/` extends {@link ActionError}, so the entry point (`src/main.ts`) needs one
 * `instanceof` to tell a failure the action explains (its message names the input or the fix; its
 * `details`, log excerpt and facts go into the job summary) from anything else (an SDK `RestError`, a bug),
 * whose message is reported as it is.
 */

/** One step packer runs, by the template's name for it. */
export interface NamedStep {
  /** The customizer's (or validator's) `name` in the template, or Image Builder's own step. */
  name: string;
  /** `PowerShell`, `File`, `WindowsUpdate`, …; `Image Builder` for its own step. */
  type: string;
  /** 1-based position among the template's customizers and validators. */
  index: number;
  /** Customizers and validators in the template. */
  total: number;
  /** What the step is: one of the template's customizers, one of its validators, or Image Builder's own last step. */
  kind: "customizer" | "validator" | "image-builder";
}

/** Which signature a stuck build matched. */
export type StuckPattern = "sysprep-loop" | "restart-loop" | "winrm-timeouts" | "stall";

/** A stuck build: what the log shows, where, and what to do. */
export interface StuckBuild {
  pattern: StuckPattern;
  /** The pattern for people, e.g. `sysprep loop: IMAGE_STATE_UNDEPLOYABLE 90 times in a row`. */
  title: string;
  /** The customizer it happened in (as steps/live-log-section.ts `describeSection` names it). */
  customizer: string;
  /** The log lines that show it (at most steps/stuck-detector.ts `QUOTED_LINES`, as written). */
  lines: string[];
  /** The troubleshooting step. */
  troubleshooting: string;
  /** When it was detected (the clock's ms). */
  detectedAt: number;
}

/** What customization.log says about a failed build: where it is, the customizer it was in, its last lines. */
export interface BuildLogExcerpt {
  /** URL of the customization.log blob. */
  url: string;
  /** The customizer running when the log ended, for people (e.g. `inline-script (PowerShell, customizer 23 of 29)`). */
  customizer?: string;
  /** The last lines of the log (at most 50). */
  lines: string[];
  /** The last error and warning lines of the log (at most 20), each `✖ `/`⚠ ` and the line without packer's prefixes. */
  keyLines?: string[];
  /** The template's customizer (or validator, or Image Builder's own step) running when the log ended. */
  step?: NamedStep;
  /** Why the action found the build stuck and canceled it, when it did. */
  stuck?: StuckBuild;
}

/** What the job summary of a failed build leads with. */
export interface BuildFailureFacts {
  /** What happened, without Image Builder's message (e.g. `Image Builder run of template … ended Failed`). */
  lead: string;
  /** Image Builder's message (`lastRunStatus.message`). */
  imageBuilder: string;
  /** The template's step the build failed in (or was in at the timeout), when the log named it. */
  step?: NamedStep;
}

/** What the job summary of a failure shows (report.ts `failureSummary`); every {@link ActionError} is one. */
export interface FailureReport {
  /** The failure in one message, without the log lines the summary shows as blocks of their own. */
  readonly headline: string;
  /** Markdown lines for the job summary, each shown as a list item (e.g. one per preflight check). */
  readonly details: readonly string[];
  /** The end of customization.log, when the failure is a build's and the log could be read. */
  readonly log?: BuildLogExcerpt;
  /** For a failed build: the lead sentence, Image Builder's message (shown once) and the failing step. */
  readonly facts?: BuildFailureFacts;
}

/** What an {@link ActionError} carries beside its message. */
export interface ActionErrorOptions {
  /** Markdown lines for the job summary; none by default. */
  details?: readonly string[];
  /** The message without what the summary shows as blocks (e.g. log lines); the message by default. */
  headline?: string;
  log?: BuildLogExcerpt;
  facts?: BuildFailureFacts;
  /** The error that caused this one (`Error.cause`). */
  cause?: unknown;
}

/**
 * The base of every failure the action explains: `message` is fit for the job log (what happened, the
 * input to change, what to do); `details`, `log` and `facts` feed the job summary. The classes below, and
 * the ones beside the code that throws them (`SettingsError`, `PreflightError`, `ScriptPinError`,
 * `VersionChoiceError`, `SourceNotFoundError`, `MonitorError`, `ServiceConnectionError`, `ScriptReadError`,
 * `ScriptUploadError`, `BuildLogUnavailableError`), extend it.
 */
export class ActionError extends Error implements FailureReport {
  override name = "ActionError";
  readonly details: readonly string[];
  readonly headline: string;
  readonly log?: BuildLogExcerpt;
  readonly facts?: BuildFailureFacts;
  constructor(message: string, options: ActionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? [];
    this.headline = options.headline ?? message;
    if (options.log) this.log = options.log;
    if (options.facts) this.facts = options.facts;
  }
}

/**
 * A build that ended in a state other than Succeeded; `message` carries AIB's own words, then (when the
 * build log was read) the last lines of customization.log.
 */
export class BuildFailedError extends ActionError {
  override name = "BuildFailedError";
  constructor(message: string, details: string[] = [], log?: BuildLogExcerpt, facts?: BuildFailureFacts) {
    const stuck = log?.stuck ? `\n\nWhat customization.log shows (${log.stuck.title}):\n${log.stuck.lines.join("\n")}` : "";
    const lines = log?.lines.length ? `\n\nLast ${log.lines.length} lines of customization.log:\n${log.lines.join("\n")}` : "";
    super(`${message}${stuck}${lines}`, { details, headline: message, ...(log ? { log } : {}), ...(facts ? { facts } : {}) });
  }
}

/** The plan was fine, but something Azure holds stops it (a template in use, a version taken). */
export class ConflictError extends ActionError {
  override name = "ConflictError";
}

/** The run was canceled (signal or host cancel); a running build was asked to cancel. */
export class CanceledError extends ActionError {
  override name = "CanceledError";
}
