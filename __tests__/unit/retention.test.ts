import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planRetention } from "../../src/retention.ts";

const v = (name: string) => ({ name, id: `/x/versions/${name}` });

describe("retention", () => {
  it("keeps the newest N by numeric order, the new version included, and deletes the rest", () => {
    const verdicts = planRetention([v("1.9.0"), v("1.10.0"), v("1.2.0"), v("1.10.1")], { keepVersions: 2, justBuilt: "1.10.1" });
    assert.deepEqual(verdicts.map((x) => `${x.version.name}:${x.action}`), ["1.10.1:keep", "1.10.0:keep", "1.9.0:delete", "1.2.0:delete"]);
  });

  it("never deletes the version just built, even when it is not the newest (it is kept beside the newest N)", () => {
    const verdicts = planRetention([v("2.0.0"), v("1.0.5"), v("3.0.0")], { keepVersions: 1, justBuilt: "1.0.5" });
    assert.equal(verdicts.find((x) => x.version.name === "1.0.5")!.action, "keep");
    assert.deepEqual(verdicts.filter((x) => x.action === "delete").map((x) => x.version.name), ["2.0.0"]);
  });

  it("never prunes with keep-versions 0", () => {
    assert.ok(planRetention([v("1.0.0"), v("1.0.1"), v("1.0.2")], { keepVersions: 0, justBuilt: "1.0.2" }).every((x) => x.action === "keep"));
  });

  it("keeps what it cannot rank", () => {
    assert.equal(planRetention([v("weird"), v("1.0.0"), v("1.0.1")], { keepVersions: 1 }).find((x) => x.version.name === "weird")!.action, "keep");
  });
});
