/**
 * The action, importable: `run()` chooses the host, reads the settings, builds the image (`buildImage`, or `promoteVersion` in `mode: promote`; or, as the
 * action's `post` step, cancels a build the main step left running), reports, and sets an exit status
 * that tells the truth: 0 only when the image was published and pruning succeeded, or the run was
 * planned, skipped or submitted as asked. (`run()` keeps its name: `@github/local-action` calls it.)
 *
 * Importing this module does nothing (no top-level await, no listeners, no I/O), so harnesses that load
 * the code and call `run()` themselves work: `@github/local-action` (which imports `src/main.ts` and
 * replaces `@actions/core` with its stubs) and azure-pipelines-task-lib's `TaskMockRunner` (which
 * `require()`s the task's target). The bundle's entry, `src/index.ts`, only calls `run()`.
 */

import { explainAzureFailure } from "./azure/sign-in-errors.ts";
import { ActionError, CanceledError } from "./errors.ts";
import { createGitHubHost } from "./hosts/github.ts";
import type { Host } from "./hosts/host.ts";
import { buildImage } from "./pipeline.ts";
import { redactedJson } from "./redact.ts";
import { OUTPUT_NAMES, type OutputName, failureSummary, outputsOf, promoteSummary, scheduleSkipSummary, summaryOf } from "./report.ts";
import { type MainOptions, connectServices } from "./services.ts";
import { type Settings, parseSettings } from "./settings/index.ts";
import { BUILD_STATE } from "./steps/build.ts";
import { scheduleSkipReason } from "./steps/decisions.ts";
import { manifestOf, writeManifest } from "./steps/manifest.ts";
import { inapplicableInputs, inapplicableWarning } from "./steps/mode-inputs.ts";
import { promoteVersion } from "./steps/promote.ts";
import { publishRelease } from "./steps/release.ts";
import { clockOf, scheduleGate } from "./steps/schedule-gate.ts";
import { cleanUpOlderTemplates, cleanupTimeoutMs } from "./steps/templates.ts";

/** Environment variable dist/post-job.js sets to `post` (scripts/build.ts writes that shim). */
const STAGE_VARIABLE = "AVD_IMAGE_ACTION_STAGE";
/**
 * Environment variable that shortens the build log's minute (ms, 10–60000) for tests against the
 * emulator, whose builds last a minute per 100 ms; unset (60000) everywhere else.
 */
const MINUTE_MS_VARIABLE = "AVD_IMAGE_ACTION_MINUTE_MS";
/** Host state that tells the post step it is the post step. */
const POST_STATE = "isPost";
/** After a cancel signal, the process exits this long after at the latest (the runner kills at 10 s). */
const EXIT_AFTER_SIGNAL_MS = 4500;

export type { MainOptions } from "./services.ts";

/**
 * Runs the action once in `host`; resolves to the process exit code. Never rejects.
 * @param options what an in-process caller injects (the Azure side, the clock, shorter waits); the bundle
 *   passes none and gets the SDK clients and the environment knobs.
 */
export async function main(host: Host, signal: AbortSignal, options: MainOptions = {}): Promise<number> {
  // GitHub runs `runs.post` only after a main step, which set POST_STATE; Azure DevOps runs the post-job
  // execution even when the main one never ran, through dist/post-job.js, which sets the stage.
  const stage = options.stage ?? (host.getState(POST_STATE) === "true" || process.env[STAGE_VARIABLE] === "post" ? "post" : "main");
  if (stage === "post") return post(host, options);
  host.saveState(POST_STATE, "true");
  let settings: Settings | undefined;
  try {
    settings = parseSettings(host.getInput, host.inputLabel, options.repository);
    // Masked before anything logs, whichever services the run is given.
    if (settings.githubRelease) host.setSecret(settings.githubRelease.token);
    host.debug(`Settings: ${redactedJson(settings, settings.githubRelease ? [settings.githubRelease.token] : [])}`);
    for (const found of inapplicableInputs(host.getInput, settings)) host.warning(inapplicableWarning(found, host.inputLabel));
    const now = options.now ?? clockOf();
    const notToday = settings.mode === "promote" ? scheduleSkipReason(settings, host.manualTrigger, now()) : undefined;
    if (notToday) return await skipForSchedule(host, settings, notToday);
    const services = await (options.services ?? connectServices)(settings, host, "main");
    const ctx = {
      host,
      settings,
      ...services,
      signal,
      cancelRequested: new Set<string>(),
      minuteMs: options.minuteMs ?? minuteMs(),
      pollIntervalMs: options.pollIntervalMs,
    };
    // `attach: true` finishes a build a scheduled step already submitted: it never builds, so the guard (which
    // would see that build's own version) does not apply.
    const verdict = settings.mode === "build" && !settings.attach ? await scheduleGate(ctx, now()) : undefined;
    if (verdict && !verdict.build) return await skipForSchedule(host, settings, verdict.reason);
    if (settings.mode === "promote") {
      const promoted = await promoteVersion(ctx, now());
      setOutputs(host, {
        "image-version": promoted.version.name,
        "image-version-id": promoted.version.id,
        "run-state": promoted.runState,
        skipped: String(promoted.runState === "Skipped"),
      });
      await host.writeSummary(promoteSummary(settings, promoted));
      return 0;
    }
    const report = await buildImage(ctx);
    const manifest = await manifestOf(host, settings, report);
    if (manifest) {
      try {
        report.manifestPath = writeManifest(host, manifest);
      } catch (error) {
        host.warning(`The image version is published, but its manifest could not be written: ${(error as Error).message}`);
      }
    }
    setOutputs(host, outputsOf(report));
    await host.writeSummary(summaryOf(report, settings));
    // Only now, with outputs and summary written: bounded, and a failure is a warning (a build that
    // published is not failed by its cleanup).
    if (report.templateCleanup)
      await cleanUpOlderTemplates(ctx, report.templateCleanup.imageDefinitionId, report.templateCleanup.keep, options.cleanupTimeoutMs ?? cleanupTimeoutMs());
    const releaseFailure = ctx.releases && manifest ? await publishRelease(host, settings, ctx.releases, report, manifest) : undefined;
    if (releaseFailure) {
      host.setFailed(releaseFailure);
      return 1;
    }
    if (report.pruneFailures.length) {
      host.setFailed(
        `Image version ${report.imageVersion} was published, but deleting ${report.pruneFailures.map((f) => f.version).join(", ")} failed (see above).`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    // A sign-in or endpoint failure in the SDK's words gets a message that names the input; an ActionError
    // already does, and carries what the job summary shows; anything else is reported as it is.
    const explained = settings && explainAzureFailure(error, { settings, label: host.inputLabel, host: host.kind });
    const failure = error instanceof ActionError ? error : undefined;
    const message = explained ?? (error instanceof Error ? error.message : String(error));
    host.setFailed(message);
    const summary = failure && !explained ? failure : { headline: message, details: failure?.details ?? [] };
    await host.writeSummary(failureSummary(settings, summary)).catch(() => undefined);
    return 1;
  }
}

/** Ends a run the schedule guard skips: a notice (Azure DevOps: a warning), `skipped` outputs and the summary. */
async function skipForSchedule(host: Host, settings: Settings, reason: string): Promise<number> {
  host.notice(`Skipped: ${reason}`);
  setOutputs(host, { "run-state": "Skipped", skipped: "true" });
  await host.writeSummary(scheduleSkipSummary(settings, reason));
  return 0;
}

/** The build log's minute in ms: {@link MINUTE_MS_VARIABLE} when it is a whole number from 10 to 60000, else 60000. */
function minuteMs(): number {
  const value = Number(process.env[MINUTE_MS_VARIABLE] ?? "");
  return Number.isInteger(value) && value >= 10 && value <= 60_000 ? value : 60_000;
}

/** Sets every output: the given values, `[]` for `pruned-versions` and `planned-deletions` and '' for the rest when not given. */
function setOutputs(host: Host, values: Partial<Record<OutputName, string>>): void {
  for (const name of OUTPUT_NAMES)
    host.setOutput(name, values[name] ?? (name === "pruned-versions" || name === "planned-deletions" ? "[]" : name === "skipped" ? "false" : ""));
}

/**
 * The post step (action.yml `runs.post`): when the main step recorded a build and did not see it end
 * (it was killed), asks Image Builder to cancel that build if it is still running. Never fails the job.
 */
async function post(host: Host, options: MainOptions): Promise<number> {
  const recorded = host.getState(BUILD_STATE);
  if (!recorded) return 0;
  try {
    const { resourceGroup, templateName } = JSON.parse(recorded) as { resourceGroup: string; templateName: string };
    const settings = parseSettings(host.getInput, host.inputLabel, options.repository);
    const { azure } = await (options.services ?? connectServices)(settings, host, "post");
    const template = await azure.getTemplate(resourceGroup, templateName);
    if (template?.lastRunStatus?.runState === "Running") {
      await azure.cancelRun(resourceGroup, templateName);
      host.warning(`The main step ended while the build of ${templateName} was running: asked Image Builder to cancel it.`);
    }
  } catch (error) {
    host.warning(`Post step: could not check for a build left running: ${(error as Error).message}`);
  }
  return 0;
}

/**
 * Runs the action once, in the host the environment names (Azure DevOps when `TF_BUILD` is set, else
 * GitHub Actions), and sets `process.exitCode`. SIGINT/SIGTERM (a canceled job) abort the run: it then
 * cancels its build and the process exits at most 4.5 s later, before the runner kills it.
 * Never rejects: every failure is reported through the host and the exit code.
 * @returns the exit code: 0 on success, 1 on failure.
 */
export async function run(): Promise<number> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(new CanceledError(`Received ${name}`));
    setTimeout(() => process.exit(1), EXIT_AFTER_SIGNAL_MS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let exitCode = 1;
  try {
    // Azure DevOps sets TF_BUILD. Its host is imported only there: the task library moves inputs out of process.env on import.
    const host: Host = process.env.TF_BUILD ? (await import("./hosts/azure-pipelines.ts")).createAzurePipelinesHost() : createGitHubHost();
    exitCode = await main(host, controller.signal);
  } catch (error) {
    // Only a host that cannot start lands here (main reports everything else itself).
    process.stderr.write(`avd-image-action could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (controller.signal.aborted) process.exit(exitCode || 1);
  process.exitCode = exitCode;
  return exitCode;
}
