/**
 * The failures a run reports, each with a message fit for the job log: what happened and what to do.
 */

/** A build that ended in a state other than Succeeded; `message` carries AIB's own words. */
export class BuildFailedError extends Error {
  override name = "BuildFailedError";
  /** Markdown details for the job summary (AIB message, staging resource group, log location). */
  readonly details: string[];
  constructor(message: string, details: string[] = []) {
    super(message);
    this.details = details;
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
