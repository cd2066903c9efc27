import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  VersionChoiceError,
  chooseNextVersion,
  compareDottedNumbers,
  formatVersion,
  highestDotted,
  parseVersion,
  sortNewestFirst,
} from "../../src/versioning.ts";

describe("versioning", () => {
  it("parses Major.Minor.Patch and refuses malformed or out-of-range names", () => {
    assert.deepEqual(parseVersion("1.10.0"), { major: 1, minor: 10, patch: 0 });
    assert.deepEqual(parseVersion("2147483647.0.1"), { major: 2147483647, minor: 0, patch: 1 });
    for (const bad of ["1.2", "1.2.3.4", "01.2.3", "1.2.x", "", "-1.0.0", "2147483648.0.0", "1..2"]) {
      assert.equal(parseVersion(bad), undefined, bad);
    }
  });

  it("sorts numerically, not as text", () => {
    assert.deepEqual(sortNewestFirst(["1.2.0", "1.10.0", "1.9.0", "not-a-version"]), ["1.10.0", "1.9.0", "1.2.0"]);
  });

  it("bumps the highest existing version by the strategy", () => {
    const existing = ["1.9.0", "1.10.0", "1.2.0"];
    assert.equal(formatVersion(chooseNextVersion(existing, "patch")), "1.10.1");
    assert.equal(formatVersion(chooseNextVersion(existing, "minor")), "1.11.0");
    assert.equal(formatVersion(chooseNextVersion(existing, "major")), "2.0.0");
    assert.equal(formatVersion(chooseNextVersion([], "patch")), "1.0.0");
  });

  it("takes an explicit version and refuses one that exists", () => {
    assert.equal(formatVersion(chooseNextVersion(["1.0.0"], "patch", { major: 3, minor: 1, patch: 4 })), "3.1.4");
    assert.throws(
      () => chooseNextVersion(["1.0.0"], "patch", { major: 1, minor: 0, patch: 0 }),
      (error: Error) => {
        assert.ok(error instanceof VersionChoiceError);
        assert.match(error.message, /Input 'version': image version 1\.0\.0 already exists/);
        return true;
      },
    );
  });

  it("refuses a bump past the 32-bit limit", () => {
    assert.throws(() => chooseNextVersion(["1.0.2147483647"], "patch"), /version-strategy/);
  });

  it("orders marketplace versions numerically where Azure's $orderby=name orders as text", () => {
    const versions = ["26100.2894.250113", "26100.10000.250610", "26100.4349.250607"];
    assert.equal(highestDotted(versions), "26100.10000.250610");
    assert.equal([...versions].sort().pop(), "26100.4349.250607", "text order picks the wrong one");
    assert.ok(compareDottedNumbers("1.2", "1.2.0") === 0);
  });
});

describe("date versioning", () => {
  const nov = new Date("2026-11-21T10:00:00Z");
  it("counts this month's builds from 0, after every older version", () => {
    assert.equal(formatVersion(chooseNextVersion([], "date", undefined, nov)), "2026.11.0");
    assert.equal(formatVersion(chooseNextVersion(["2026.10.0", "2026.10.1", "1.4.0"], "date", undefined, nov)), "2026.11.0");
    assert.equal(formatVersion(chooseNextVersion(["2026.10.3", "2026.11.0", "2026.11.1"], "date", undefined, nov)), "2026.11.2");
    assert.equal(formatVersion(chooseNextVersion(["2026.11.9", "2026.11.10"], "date", undefined, nov)), "2026.11.11");
  });
  it("refuses a date version that would sort below an existing one", () => {
    assert.throws(() => chooseNextVersion(["2027.1.0"], "date", undefined, nov), /would not be above the existing 2027\.1\.0/);
  });
});
