import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isScheduledDay, parseSchedule, patchTuesday, scheduledDay } from "../../src/schedule.ts";

// Second Tuesday of every month of 2026 and 2027, read off a calendar.
const CALENDAR: Record<string, number[]> = {
  "2026": [13, 10, 10, 14, 12, 9, 14, 11, 8, 13, 10, 8],
  "2027": [12, 9, 9, 13, 11, 8, 13, 10, 14, 12, 9, 14],
};

describe("Patch Tuesday guard", () => {
  it("finds the second Tuesday of every month of 2026 and 2027", () => {
    for (const [year, days] of Object.entries(CALENDAR)) {
      days.forEach((day, index) => {
        const found = patchTuesday(Number(year), index + 1);
        assert.equal(found.toISOString().slice(0, 10), `${year}-${String(index + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`);
        assert.equal(found.getUTCDay(), 2);
      });
    }
  });

  it("handles months starting on a Tuesday (September 2026, June 2027): the 8th, not the 1st or 15th", () => {
    assert.equal(new Date(Date.UTC(2026, 8, 1)).getUTCDay(), 2);
    assert.equal(patchTuesday(2026, 9).getUTCDate(), 8);
    assert.equal(new Date(Date.UTC(2027, 5, 1)).getUTCDay(), 2);
    assert.equal(patchTuesday(2027, 6).getUTCDate(), 8);
  });

  it("builds exactly once a month, on Patch Tuesday + N, UTC", () => {
    const schedule = parseSchedule("patch-tuesday+3")!;
    for (const [year, days] of Object.entries(CALENDAR)) {
      days.forEach((day, index) => {
        const hits: number[] = [];
        for (let d = 1; d <= 31; d += 1) {
          const moment = new Date(Date.UTC(Number(year), index, d, 23, 59));
          if (moment.getUTCMonth() === index && isScheduledDay(schedule, moment)) hits.push(d);
        }
        assert.deepEqual(hits, [day + 3], `${year}-${index + 1}`);
      });
    }
    assert.equal(scheduledDay(schedule, new Date("2026-11-21T00:00:00Z")).toISOString().slice(0, 10), "2026-11-13");
  });

  it("parses patch-tuesday and patch-tuesday+N (0-14) only", () => {
    assert.deepEqual(parseSchedule("patch-tuesday"), { offsetDays: 0 });
    assert.deepEqual(parseSchedule("Patch-Tuesday+14"), { offsetDays: 14 });
    for (const bad of ["patch-tuesday+15", "patch-tuesday-1", "monthly", "patch-tuesday+", ""]) assert.equal(parseSchedule(bad), undefined, bad);
  });
});
