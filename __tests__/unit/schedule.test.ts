import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cycleOf, isScheduledDay, parseSchedule, patchTuesday, scheduleVerdict, scheduledDay } from "../../src/schedule.ts";

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

// patch-tuesday+1, every month of 2026 and 2027: the cycle's month, its Patch Tuesday, its build day
// (Patch Tuesday + 1) and the next cycle's build day — independently computed off a calendar.
const CYCLES_PLUS_1: [month: string, patchTuesday: string, buildDay: string, nextBuildDay: string][] = [
  ["2026-01", "2026-01-13", "2026-01-14", "2026-02-11"],
  ["2026-02", "2026-02-10", "2026-02-11", "2026-03-11"],
  ["2026-03", "2026-03-10", "2026-03-11", "2026-04-15"],
  ["2026-04", "2026-04-14", "2026-04-15", "2026-05-13"],
  ["2026-05", "2026-05-12", "2026-05-13", "2026-06-10"],
  ["2026-06", "2026-06-09", "2026-06-10", "2026-07-15"],
  ["2026-07", "2026-07-14", "2026-07-15", "2026-08-12"],
  ["2026-08", "2026-08-11", "2026-08-12", "2026-09-09"],
  ["2026-09", "2026-09-08", "2026-09-09", "2026-10-14"],
  ["2026-10", "2026-10-13", "2026-10-14", "2026-11-11"],
  ["2026-11", "2026-11-10", "2026-11-11", "2026-12-09"],
  ["2026-12", "2026-12-08", "2026-12-09", "2027-01-13"],
  ["2027-01", "2027-01-12", "2027-01-13", "2027-02-10"],
  ["2027-02", "2027-02-09", "2027-02-10", "2027-03-10"],
  ["2027-03", "2027-03-09", "2027-03-10", "2027-04-14"],
  ["2027-04", "2027-04-13", "2027-04-14", "2027-05-12"],
  ["2027-05", "2027-05-11", "2027-05-12", "2027-06-09"],
  ["2027-06", "2027-06-08", "2027-06-09", "2027-07-14"],
  ["2027-07", "2027-07-13", "2027-07-14", "2027-08-11"],
  ["2027-08", "2027-08-10", "2027-08-11", "2027-09-15"],
  ["2027-09", "2027-09-14", "2027-09-15", "2027-10-13"],
  ["2027-10", "2027-10-12", "2027-10-13", "2027-11-10"],
  ["2027-11", "2027-11-09", "2027-11-10", "2027-12-15"],
  ["2027-12", "2027-12-14", "2027-12-15", "2028-01-12"],
];

const day = (d: Date) => d.toISOString().slice(0, 10);
const at = (iso: string) => new Date(iso);
const plus1 = parseSchedule("patch-tuesday+1")!;

describe("Patch Tuesday cycles (catch-up guard)", () => {
  it("calendar 2026–2027, patch-tuesday+1: every instant from a build day up to the next one is in that month's cycle", () => {
    for (const [month, tuesday, buildDay, nextBuildDay] of CYCLES_PLUS_1) {
      const lastInstant = new Date(at(`${nextBuildDay}T00:00:00Z`).getTime() - 1);
      for (const moment of [at(`${buildDay}T00:00:00Z`), at(`${buildDay}T23:59:59Z`), lastInstant]) {
        const cycle = cycleOf(plus1, moment);
        assert.deepEqual(
          [cycle.month, day(cycle.patchTuesday), day(cycle.buildDay), day(cycle.nextBuildDay)],
          [month, tuesday, buildDay, nextBuildDay],
          moment.toISOString(),
        );
      }
      // The 3rd of the next month is before its build day: still this cycle (last month's, seen from then).
      const [y, m] = nextBuildDay.split("-").map(Number) as [number, number];
      assert.equal(cycleOf(plus1, new Date(Date.UTC(y, m - 1, 3, 6))).month, month, `the 3rd after ${month}`);
      // The day before the build day belongs to the previous cycle.
      const before = cycleOf(plus1, new Date(at(`${buildDay}T00:00:00Z`).getTime() - 1));
      assert.equal(day(before.nextBuildDay), buildDay, `the instant before ${buildDay}`);
    }
  });

  it("cycles of every month of 2026–2027 are contiguous and cover each day exactly once, for offsets 0, 3 and 14", () => {
    for (const offsetDays of [0, 3, 14]) {
      const schedule = { offsetDays };
      let previous = cycleOf(schedule, at("2026-01-01T12:00:00Z"));
      assert.equal(previous.month, "2025-12");
      const months = new Set<string>();
      for (let t = at("2026-01-01T12:00:00Z").getTime(); t < at("2028-01-01T00:00:00Z").getTime(); t += 86_400_000) {
        const cycle = cycleOf(schedule, new Date(t));
        assert.ok(cycle.buildDay.getTime() <= t && t < cycle.nextBuildDay.getTime(), `${new Date(t).toISOString()} outside its cycle ${cycle.month}`);
        if (cycle.month !== previous.month) assert.equal(cycle.buildDay.getTime(), previous.nextBuildDay.getTime(), `gap before ${cycle.month}`);
        months.add(cycle.month);
        previous = cycle;
      }
      assert.equal(months.size, 25, `offset ${offsetDays}: 2025-12 and the 24 cycles of 2026–2027`);
      assert.equal(day(cycleOf(schedule, at("2027-06-28T00:00:00Z")).buildDay), day(new Date(patchTuesday(2027, 6).getTime() + offsetDays * 86_400_000)));
    }
  });

  const version = (name: string, published: string, provisioningState = "Succeeded") => ({ name, publishedDate: at(published), provisioningState });
  const MARCH_BUILD_DAY = "2027-03-10"; // Patch Tuesday 2027-03-09, +1

  it("a scheduled run 3 days after PT+1 with no version since the build day builds (catching up)", () => {
    const verdict = scheduleVerdict(plus1, [version("1.0.0", "2027-02-10T07:00:00Z")], false, at("2027-03-13T06:00:00Z"));
    assert.equal(verdict.build, true);
    assert.equal(verdict.cycle.month, "2027-03");
    assert.match(verdict.reason, /no image version published since 2027-03-10, so this run builds it \(catching up, 3 days after the build day\)/);
  });

  it("the same with a version published on PT+1 skips, naming the cycle, the version and the next build day", () => {
    const verdict = scheduleVerdict(
      plus1,
      [version("1.0.0", "2027-02-10T07:00:00Z"), version("1.0.1", `${MARCH_BUILD_DAY}T07:00:00Z`)],
      false,
      at("2027-03-13T06:00:00Z"),
    );
    assert.equal(verdict.build, false);
    assert.equal(verdict.coveredBy?.name, "1.0.1");
    assert.match(
      verdict.reason,
      /Patch Tuesday cycle 2027-03 \(patch-tuesday\+1: build day 2027-03-10 UTC\) is covered by image version 1\.0\.1, published 2027-03-10T07:00Z\. Next build day: 2027-04-14 \(UTC\)/,
    );
  });

  it("a run on PT+1 builds; a second run that day skips (never twice per cycle); a run on PT (the day before) is in last cycle", () => {
    const february = version("1.0.0", "2027-02-10T07:00:00Z");
    assert.equal(scheduleVerdict(plus1, [february], false, at(`${MARCH_BUILD_DAY}T00:30:00Z`)).build, true);
    assert.equal(scheduleVerdict(plus1, [february, version("1.0.1", `${MARCH_BUILD_DAY}T03:00:00Z`)], false, at(`${MARCH_BUILD_DAY}T09:00:00Z`)).build, false);
    const onTuesday = scheduleVerdict(plus1, [february], false, at("2027-03-09T12:00:00Z"));
    assert.equal(onTuesday.cycle.month, "2027-02");
    assert.equal(onTuesday.build, false, "February's cycle is covered by 1.0.0");
  });

  it("a run on the 3rd catches up last month's cycle when nothing was published since last month's build day", () => {
    const verdict = scheduleVerdict(plus1, [version("1.0.0", "2027-01-20T07:00:00Z")], false, at("2027-03-03T06:00:00Z"));
    assert.equal(verdict.cycle.month, "2027-02");
    assert.equal(verdict.build, true);
    assert.match(verdict.reason, /catching up, 21 days after the build day/);
  });

  it("a failed or deleting version covers nothing; a staged (excluded from latest) one does", () => {
    const failed = [version("1.0.1", `${MARCH_BUILD_DAY}T07:00:00Z`, "Failed"), version("1.0.2", `${MARCH_BUILD_DAY}T08:00:00Z`, "Deleting")];
    assert.equal(scheduleVerdict(plus1, failed, false, at("2027-03-12T00:00:00Z")).build, true);
    assert.equal(
      scheduleVerdict(plus1, [{ name: "1.0.3", publishedDate: at(`${MARCH_BUILD_DAY}T09:00:00Z`) }], false, at("2027-03-12T00:00:00Z")).build,
      false,
    );
  });

  it("a manual run always builds, and says when the cycle was already covered", () => {
    const verdict = scheduleVerdict(plus1, [version("1.0.1", `${MARCH_BUILD_DAY}T07:00:00Z`)], true, at("2027-03-13T06:00:00Z"));
    assert.equal(verdict.build, true);
    assert.match(verdict.reason, /started by hand.*already covered by 1\.0\.1/);
  });
});
