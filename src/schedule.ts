/**
 * The Patch Tuesday guard: `schedule: patch-tuesday+N` lets a workflow with a daily or weekly cron build
 * once per Patch Tuesday cycle, catching up a dropped build day, and never building a cycle twice.
 *
 * A cycle opens on the build day, N days after the second Tuesday of a month (Microsoft's monthly
 * security release, "Patch Tuesday"), at 00:00 UTC, and lasts until the next month's build day
 * (exclusive). Before this month's build day the current cycle is therefore last month's. A scheduled run
 * builds when no image version of the definition was published at or after its cycle's build day;
 * otherwise the cycle is covered and the run skips. Manual runs always build.
 *
 * Pure: every function takes the clock (`now`) as an argument.
 */

/** A parsed `schedule` input: build once per cycle, from Patch Tuesday + `offsetDays`. */
export interface PatchTuesdaySchedule {
  offsetDays: number;
}

/** Largest offset: Patch Tuesday is the 8th to 14th, so +14 still falls inside the month (28th at the latest). */
export const MAX_PATCH_TUESDAY_OFFSET = 14;

const DAY_MS = 86_400_000;

/** Parses `patch-tuesday`, `patch-tuesday+N` (N 0-14); undefined when the text is not that form. */
export function parseSchedule(text: string): PatchTuesdaySchedule | undefined {
  const match = /^patch-tuesday(?:\+(\d{1,2}))?$/i.exec(text.trim());
  if (!match) return undefined;
  const offsetDays = match[1] === undefined ? 0 : Number(match[1]);
  return offsetDays <= MAX_PATCH_TUESDAY_OFFSET ? { offsetDays } : undefined;
}

/** The second Tuesday of `month` (1-12) of `year`, as a UTC midnight date. */
export function patchTuesday(year: number, month: number): Date {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const firstTuesday = 1 + ((2 - first.getUTCDay() + 7) % 7);
  return new Date(Date.UTC(year, month - 1, firstTuesday + 7));
}

/** The build day (UTC midnight) of the month of `now`: its Patch Tuesday plus the offset. */
export function scheduledDay(schedule: PatchTuesdaySchedule, now: Date): Date {
  const tuesday = patchTuesday(now.getUTCFullYear(), now.getUTCMonth() + 1);
  return new Date(tuesday.getTime() + schedule.offsetDays * DAY_MS);
}

/** True when `now` (UTC) falls on the build day of its month. */
export function isScheduledDay(schedule: PatchTuesdaySchedule, now: Date): boolean {
  return isoDay(scheduledDay(schedule, now)) === isoDay(now);
}

/** One Patch Tuesday cycle: from its build day (inclusive) to the next month's build day (exclusive), UTC. */
export interface PatchTuesdayCycle {
  /** `YYYY-MM`: the month whose Patch Tuesday opened the cycle. */
  month: string;
  /** That Patch Tuesday (UTC midnight). */
  patchTuesday: Date;
  /** Patch Tuesday + offset (UTC midnight): the cycle's first day. */
  buildDay: Date;
  /** The next cycle's build day (UTC midnight): the first instant after this cycle. */
  nextBuildDay: Date;
}

/** The cycle `now` falls in: this month's when on or after this month's build day, else last month's. */
export function cycleOf(schedule: PatchTuesdaySchedule, now: Date): PatchTuesdayCycle {
  let year = now.getUTCFullYear();
  let month = now.getUTCMonth() + 1;
  if (now.getTime() < scheduledDay(schedule, now).getTime()) [year, month] = month === 1 ? [year - 1, 12] : [year, month - 1];
  const tuesday = patchTuesday(year, month);
  const [nextYear, nextMonth] = month === 12 ? [year + 1, 1] : [year, month + 1];
  return {
    month: `${year}-${String(month).padStart(2, "0")}`,
    patchTuesday: tuesday,
    buildDay: new Date(tuesday.getTime() + schedule.offsetDays * DAY_MS),
    nextBuildDay: new Date(patchTuesday(nextYear, nextMonth).getTime() + schedule.offsetDays * DAY_MS),
  };
}

/** What the guard needs of an image version (GalleryImageVersion `publishingProfile.publishedDate`, `provisioningState`). */
export interface PublishedVersion {
  name: string;
  publishedDate?: Date;
  provisioningState?: string;
}

/** The guard's decision for one run. */
export interface ScheduleVerdict {
  build: boolean;
  cycle: PatchTuesdayCycle;
  /** The version published in this cycle (the earliest), when there is one. */
  coveredBy?: PublishedVersion;
  /** The decision in one sentence, for the log and (when skipping) the notice and summary. */
  reason: string;
}

/** Provisioning states of a version that did not become (or stays) an image: they cover nothing. */
const NOT_PUBLISHED = new Set(["failed", "deleting"]);

/**
 * Decides whether a run builds under `schedule`.
 * @param versions the definition's image versions (any origin: a version published by hand covers the cycle too).
 * @param manualTrigger a person started the run: it always builds.
 */
export function scheduleVerdict(schedule: PatchTuesdaySchedule, versions: readonly PublishedVersion[], manualTrigger: boolean, now: Date): ScheduleVerdict {
  const cycle = cycleOf(schedule, now);
  const label = `Patch Tuesday cycle ${cycle.month} (patch-tuesday+${schedule.offsetDays}: build day ${isoDay(cycle.buildDay)} UTC)`;
  const covering = versions
    .filter((v) => v.publishedDate && v.publishedDate.getTime() >= cycle.buildDay.getTime() && !NOT_PUBLISHED.has((v.provisioningState ?? "").toLowerCase()))
    .sort((a, b) => a.publishedDate!.getTime() - b.publishedDate!.getTime())[0];
  if (manualTrigger) {
    return {
      build: true,
      cycle,
      coveredBy: covering,
      reason: `started by hand: builds whatever the schedule (${label}${covering ? `, already covered by ${covering.name}` : ""}).`,
    };
  }
  if (covering) {
    return {
      build: false,
      cycle,
      coveredBy: covering,
      reason:
        `${label} is covered by image version ${covering.name}, published ${covering.publishedDate!.toISOString().slice(0, 16)}Z. ` +
        `Next build day: ${isoDay(cycle.nextBuildDay)} (UTC). Start the workflow by hand to build anyway.`,
    };
  }
  const late = Math.floor((now.getTime() - cycle.buildDay.getTime()) / DAY_MS);
  return {
    build: true,
    cycle,
    reason: `${label}: no image version published since ${isoDay(cycle.buildDay)}, so this run builds it${late > 0 ? ` (catching up, ${late} day${late === 1 ? "" : "s"} after the build day)` : ""}.`,
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
