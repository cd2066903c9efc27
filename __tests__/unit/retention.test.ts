import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type RetainedVersion, planRetention } from "../../src/retention.ts";
import { TAGS } from "../../src/tags.ts";
import { compareVersions, parseVersion } from "../../src/versioning.ts";

const NOW = new Date("2026-11-21T12:00:00Z");
const managed = { [TAGS.managed]: "true" };
const v = (name: string, extra: Partial<RetainedVersion> = {}): RetainedVersion => ({ name, id: `/x/versions/${name}`, tags: managed, ...extra });
const decisions = (verdicts: ReturnType<typeof planRetention>) => verdicts.map((x) => `${x.version.name}:${x.action}`);

describe("retention", () => {
  it("keeps the newest N by numeric order, the new version included, and deletes the rest", () => {
    const verdicts = planRetention([v("1.9.0"), v("1.10.0"), v("1.2.0"), v("1.10.1")], { keepVersions: 2, justBuilt: "1.10.1", now: NOW });
    assert.deepEqual(decisions(verdicts), ["1.10.1:protect", "1.10.0:keep", "1.9.0:delete", "1.2.0:delete"]);
  });

  it("never deletes the version just built, even when it is not the newest", () => {
    const verdicts = planRetention([v("2.0.0"), v("1.0.5"), v("3.0.0")], { keepVersions: 1, justBuilt: "1.0.5", now: NOW });
    assert.deepEqual(decisions(verdicts), ["3.0.0:protect", "2.0.0:delete", "1.0.5:protect"]);
  });

  it("protects the newest version not excluded from latest while newer ones are staged", () => {
    const verdicts = planRetention([v("1.0.0"), v("1.1.0"), v("1.2.0", { excludeFromLatest: true }), v("1.3.0", { excludeFromLatest: true })], {
      keepVersions: 1,
      justBuilt: "1.3.0",
      now: NOW,
    });
    assert.deepEqual(decisions(verdicts), ["1.3.0:protect", "1.2.0:delete", "1.1.0:protect", "1.0.0:delete"]);
  });

  it("protects keep=true, blocked-before-end-of-life, in-flight and foreign versions", () => {
    const verdicts = planRetention(
      [
        v("5.0.0"),
        v("4.0.0", { tags: { ...managed, keep: "TRUE" } }),
        v("3.0.0", { blockDeletionBeforeEndOfLife: true, endOfLifeDate: new Date("2027-01-01") }),
        v("2.5.0", { blockDeletionBeforeEndOfLife: true, endOfLifeDate: new Date("2026-01-01") }),
        v("2.0.0", { provisioningState: "Creating" }),
        v("1.0.0", { tags: {} }),
      ],
      { keepVersions: 1, now: NOW },
    );
    assert.deepEqual(decisions(verdicts), ["5.0.0:protect", "4.0.0:protect", "3.0.0:protect", "2.5.0:delete", "2.0.0:protect", "1.0.0:protect"]);
    assert.equal(planRetention([v("2.0.0"), v("1.0.0", { tags: {} })], { keepVersions: 1, pruneForeign: true, now: NOW })[1]!.action, "delete");
  });

  it("deletes only what both keep-versions and keep-days allow", () => {
    const day = 86_400_000;
    const verdicts = planRetention(
      [
        v("4.0.0", { publishedDate: new Date(NOW.getTime() - 1 * day) }),
        v("3.0.0", { publishedDate: new Date(NOW.getTime() - 10 * day) }),
        v("2.0.0", { publishedDate: new Date(NOW.getTime() - 40 * day) }),
        v("1.0.0"),
      ],
      { keepVersions: 1, keepDays: 30, now: NOW },
    );
    assert.deepEqual(decisions(verdicts), ["4.0.0:protect", "3.0.0:keep", "2.0.0:delete", "1.0.0:keep"]);
  });

  it("never prunes with keep-versions 0", () => {
    assert.ok(planRetention([v("1.0.0"), v("1.0.1"), v("1.0.2")], { keepVersions: 0, justBuilt: "1.0.2", now: NOW }).every((x) => x.action !== "delete"));
  });

  it("property: never deletes a protected version, and deletes exactly what the policy allows", () => {
    const versionArb = fc.record({
      major: fc.integer({ min: 0, max: 3 }),
      minor: fc.integer({ min: 0, max: 12 }),
      patch: fc.integer({ min: 0, max: 12 }),
      managed: fc.boolean(),
      keep: fc.boolean(),
      excludeFromLatest: fc.boolean(),
      ageDays: fc.option(fc.integer({ min: 0, max: 400 })),
      block: fc.boolean(),
      eolOffsetDays: fc.option(fc.integer({ min: -100, max: 100 })),
      state: fc.constantFrom("Succeeded", "Succeeded", "Succeeded", "Failed", "Creating", "Deleting"),
    });
    const policyArb = fc.record({
      keepVersions: fc.integer({ min: 0, max: 8 }),
      keepDays: fc.integer({ min: 0, max: 120 }),
      pruneForeign: fc.boolean(),
      justBuiltIndex: fc.option(fc.nat()),
    });
    fc.assert(
      fc.property(fc.uniqueArray(versionArb, { selector: (x) => `${x.major}.${x.minor}.${x.patch}`, maxLength: 30 }), policyArb, (raw, policyInput) => {
        const versions: RetainedVersion[] = raw.map((x) => ({
          name: `${x.major}.${x.minor}.${x.patch}`,
          id: `/x/${x.major}.${x.minor}.${x.patch}`,
          tags: { ...(x.managed ? managed : {}), ...(x.keep ? { keep: "true" } : {}) },
          excludeFromLatest: x.excludeFromLatest,
          publishedDate: x.ageDays === null ? undefined : new Date(NOW.getTime() - x.ageDays * 86_400_000),
          blockDeletionBeforeEndOfLife: x.block,
          endOfLifeDate: x.eolOffsetDays === null ? undefined : new Date(NOW.getTime() + x.eolOffsetDays * 86_400_000),
          provisioningState: x.state,
        }));
        const justBuilt =
          policyInput.justBuiltIndex === null || versions.length === 0 ? undefined : versions[policyInput.justBuiltIndex % versions.length]!.name;
        const policy = { keepVersions: policyInput.keepVersions, keepDays: policyInput.keepDays, pruneForeign: policyInput.pruneForeign, justBuilt, now: NOW };
        const verdicts = planRetention(versions, policy);
        assert.equal(verdicts.length, versions.length);

        // An independent statement of the policy.
        const sorted = [...versions].sort((a, b) => compareVersions(parseVersion(b.name)!, parseVersion(a.name)!));
        const newestInLatest = sorted.find((x) => !x.excludeFromLatest && x.provisioningState === "Succeeded");
        const isProtected = (x: RetainedVersion) =>
          x.name === justBuilt ||
          x === newestInLatest ||
          x.tags?.keep === "true" ||
          (x.blockDeletionBeforeEndOfLife === true && (x.endOfLifeDate === undefined || x.endOfLifeDate > NOW)) ||
          !["Succeeded", "Failed"].includes(x.provisioningState!) ||
          (!policy.pruneForeign && x.tags?.[TAGS.managed] !== "true");
        const allowed = (x: RetainedVersion) =>
          policy.keepVersions > 0 &&
          sorted.indexOf(x) >= policy.keepVersions &&
          (policy.keepDays === 0 || (x.publishedDate !== undefined && NOW.getTime() - x.publishedDate.getTime() >= policy.keepDays * 86_400_000));
        for (const verdict of verdicts) {
          const expected = !isProtected(verdict.version) && allowed(verdict.version);
          assert.equal(verdict.action === "delete", expected, `${verdict.version.name}: ${verdict.action} (${verdict.reason})`);
          if (isProtected(verdict.version)) assert.equal(verdict.action, "protect", verdict.version.name);
        }
      }),
      { numRuns: 500 },
    );
  });
});
