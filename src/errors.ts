/**
 * The failures a run reports, each with a message fit for the job log: what happened and what to do.
 */
import type { StuckBuild } from "./steps/stuck-detector.ts";

/** What customization.log says about a failed build: where it is, the customizer it was in, its last lines. */
export interface BuildLogExcerpt {
  /** URL of the customization.log blob. */
  url: string;
  /** The customizer running when the log ended (e.g. `Install Language packs (AVD script, provisioner 1: powershell)`). */
  customizer?: string;
  /** The last lines of the log (at most 50). */
  lines: string[];
  /** Why the action found the build stuck and canceled it, when it did. */
  stuck?: StuckBuild;
}

/**
 * A build that ended in a state other than Succeeded; `message` carries AIB's own words, then (when the
 * build log was read) the last lines of customization.log.
 */
export class BuildFailedError extends Error {
  override name = "BuildFailedError";
  /** Markdown details for the job summary (AIB message, staging resource group, log location). */
  readonly details: string[];
  /** The message without the log lines (the job summary shows those as a block). */
  readonly headline: string;
  /** The end of customization.log, when it could be read. */
  readonly log?: BuildLogExcerpt;
  constructor(message: string, details: string[] = [], log?: BuildLogExcerpt) {
    const stuck = log?.stuck ? `\n\nWhat customization.log shows (${log.stuck.title}):\n${log.stuck.lines.join("\n")}` : "";
    super(`${message}${stuck}${log?.lines.length ? `\n\nLast ${log.lines.length} lines of customization.log:\n${log.lines.join("\n")}` : ""}`);
    this.details = details;
    this.headline = message;
    if (log) this.log = log;
  }
}

/** The plan was fine, but something Azure holds stops it (a template in use, a version taken). */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** The run was canceled (signal or host cancel); a running build was asked to cancel. */
export class CanceledError extends Error {
  override name = "CanceledError";
}
