/**
 * The Patch Tuesday guard: `schedule: patch-tuesday+N` lets a workflow with a daily or weekly cron build
 * exactly once a month, N days after the second Tuesday (Microsoft's monthly security release), UTC.
 *
 * Pure.
 */

/** A parsed `schedule` input: build only on Patch Tuesday + `offsetDays`. */
export interface PatchTuesdaySchedule {
  offsetDays: number;
}

/** Largest offset: Patch Tuesday is the 8th to 14th, so +14 still falls inside the month (28th at the latest). */
export const MAX_PATCH_TUESDAY_OFFSET = 14;

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

/** The day (UTC midnight) a schedule builds on in the month of `now`. */
export function scheduledDay(schedule: PatchTuesdaySchedule, now: Date): Date {
  const tuesday = patchTuesday(now.getUTCFullYear(), now.getUTCMonth() + 1);
  return new Date(tuesday.getTime() + schedule.offsetDays * 86_400_000);
}

/** True when `now` (UTC) falls on the scheduled day of its month. */
export function isScheduledDay(schedule: PatchTuesdaySchedule, now: Date): boolean {
  return scheduledDay(schedule, now).toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
}
