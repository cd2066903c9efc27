/**
 * The schedule guard of a build run: reads the definition's image versions (GalleryImageVersions_ListByGalleryImage,
 * api-version 2025-12-03) and asks the pure rule in `schedule.ts` whether this Patch Tuesday cycle still needs
 * its build.
 */
import { isNotFound } from "../azure/gateway.ts";
import { type ScheduleVerdict, scheduleVerdict } from "../schedule.ts";
import { type StepContext, galleryOf } from "./context.ts";

/**
 * Environment variable that sets the clock the schedule guard reads, as an ISO 8601 UTC time (e.g.
 * `2027-03-13T06:00:00Z`): to test a schedule, or see what a run on another day would do (with `dry-run`).
 */
export const CLOCK_VARIABLE = "AVD_IMAGE_ACTION_CLOCK";

/**
 * The run's clock: `AVD_IMAGE_ACTION_CLOCK` when set, else the system clock.
 * @throws Error naming the variable when it is not an ISO 8601 time.
 */
export function clockOf(env: NodeJS.ProcessEnv = process.env): () => Date {
  const text = env[CLOCK_VARIABLE]?.trim();
  if (!text) return () => new Date();
  const fixed = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(fixed.getTime())) {
    throw new Error(
      `Environment variable ${CLOCK_VARIABLE}: '${text}' is not an ISO 8601 UTC time such as 2027-03-13T06:00:00Z; unset it to use the system clock.`,
    );
  }
  return () => new Date(fixed);
}

/**
 * Decides whether a build run with `schedule` builds now (undefined without `schedule`). Logs the decision
 * when it builds; the caller reports a skip. A definition that does not exist yet has no version: the run
 * builds (and the preflight reports the missing definition).
 */
export async function scheduleGate(ctx: Pick<StepContext, "host" | "settings" | "azure">, now: Date): Promise<ScheduleVerdict | undefined> {
  const { host, settings, azure } = ctx;
  if (!settings.schedule) return undefined;
  let versions: Awaited<ReturnType<typeof azure.listImageVersions>> = [];
  if (!host.manualTrigger) {
    try {
      versions = await azure.listImageVersions(settings.subscriptionId, ...galleryOf(settings));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  const verdict = scheduleVerdict(settings.schedule, versions, host.manualTrigger, now);
  if (verdict.build) host.info(`Schedule: ${verdict.reason}`);
  return verdict;
}
