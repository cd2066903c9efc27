/**
 * Pure decisions of the pipeline: what to do with the template, whether to skip, what retention keeps.
 */
import type { ImageTemplate, ProvisioningState, RunState } from "@azure/arm-imagebuilder";
import type { ImageVersionInfo } from "../azure/gateway.ts";
import { ConflictError } from "../errors.ts";
import type { TemplateAction } from "../report.ts";
import { nameOf } from "../resource-id.ts";
import type { RetentionPolicy } from "../retention.ts";
import { isScheduledDay, scheduledDay } from "../schedule.ts";
import type { Settings } from "../settings/types.ts";
import { TAGS } from "../tags.ts";
import type { TemplatePlan } from "../template/build.ts";
import { sortNewestFirst } from "../versioning.ts";

/** Run states in which a template belongs to a running (or stopping) build. */
export const BUSY_RUN_STATES: ReadonlySet<string> = new Set(["Running", "Canceling"] satisfies RunState[]);

/** Template provisioning states (the SDK's `ProvisioningState`) in which another writer holds the template. */
export const BUSY_PROVISIONING_STATES: ReadonlySet<string> = new Set(["Creating", "Updating", "Deleting"] satisfies ProvisioningState[]);

/** The version a plan publishes (`X.Y.Z`, the last segment of its image version ID). */
export function versionOf(plan: Pick<TemplatePlan, "imageVersionId">): string {
  return nameOf(plan.imageVersionId);
}

/**
 * Create, reuse or recreate, from what Azure holds under the planned name.
 * @throws ConflictError when that template is being built or canceled by another run.
 */
export function decideTemplateAction(current: ImageTemplate | undefined, name: string, imageVersionId?: string): TemplateAction {
  if (!current) return "create";
  const runState = current.lastRunStatus?.runState;
  if (runState && BUSY_RUN_STATES.has(runState)) {
    const sameVersion = (current.distribute ?? []).some(
      (d) =>
        d.type === "SharedImage" &&
        imageVersionId !== undefined &&
        (d as { galleryImageId: string }).galleryImageId.toLowerCase() === imageVersionId.toLowerCase(),
    );
    throw new ConflictError(
      `${sameVersion ? `Version race: another run is building image version ${nameOf(imageVersionId!)} with the same template. ` : ""}` +
        `Image template ${name} is ${runState.toLowerCase()} a build started ${current.lastRunStatus?.startTime?.toISOString() ?? "earlier"} ` +
        `by another run. Wait for it to end (or cancel it with 'az image builder cancel'), and give runs for the same image a workflow 'concurrency:' group.`,
    );
  }
  const provisioning = current.provisioningState ?? "Succeeded";
  if (BUSY_PROVISIONING_STATES.has(provisioning)) {
    throw new ConflictError(
      `Version race: another run is ${provisioning.toLowerCase()} image template ${name}${imageVersionId ? ` for image version ${nameOf(imageVersionId)}` : ""} right now. ` +
        `Run again after it, and give runs for the same image a workflow 'concurrency:' group.`,
    );
  }
  return provisioning === "Failed" ? "recreate" : "reuse";
}

/**
 * The newest existing version when it was built from the same template hash — and, with Windows Update
 * in the template, is younger than `rebuild-after-days` — so building again would change nothing.
 */
export function unchangedSince(
  existing: readonly ImageVersionInfo[],
  plan: Pick<TemplatePlan, "hash">,
  settings: Pick<Settings, "windowsUpdate" | "rebuildAfterDays">,
  now: Date = new Date(),
): { version: ImageVersionInfo; reason: string } | undefined {
  const newestName = sortNewestFirst(existing.map((v) => v.name))[0];
  const newest = existing.find((v) => v.name === newestName);
  if (!newest || newest.tags[TAGS.templateHash] !== plan.hash) return undefined;
  const same = `the newest version ${newest.name} was built from the same template (hash ${plan.hash.slice(0, 12)})`;
  if (settings.windowsUpdate) {
    const ageDays = newest.publishedDate ? (now.getTime() - newest.publishedDate.getTime()) / 86_400_000 : Infinity;
    if (ageDays >= settings.rebuildAfterDays) return undefined;
    return { version: newest, reason: `${same} ${ageDays.toFixed(1)} days ago, less than rebuild-after-days (${settings.rebuildAfterDays}).` };
  }
  return { version: newest, reason: `${same}: same source version, scripts and settings.` };
}

/**
 * `mode: promote` with `schedule`: why the run promotes nothing today, or undefined when it does: on the
 * build day (UTC) and whenever a person started it. (Build runs catch up per cycle: `schedule-gate.ts`.)
 */
export function scheduleSkipReason(settings: Pick<Settings, "schedule">, manualTrigger: boolean, now: Date = new Date()): string | undefined {
  if (!settings.schedule || manualTrigger || isScheduledDay(settings.schedule, now)) return undefined;
  const day = scheduledDay(settings.schedule, now).toISOString().slice(0, 10);
  return `schedule is patch-tuesday+${settings.schedule.offsetDays}: this month's build day is ${day} (UTC), today is ${now.toISOString().slice(0, 10)}. Start the workflow by hand to build anyway.`;
}

/** The retention policy of a run from its settings. */
export function retentionPolicy(settings: Settings, justBuilt: string): RetentionPolicy {
  return { keepVersions: settings.keepVersions, keepDays: settings.keepDays, pruneForeign: settings.pruneForeign, justBuilt };
}
