/**
 * Staged rollout end to end: build excluded from latest (with an end-of-life date), then promote —
 * not before promote-after-days, and writing nothing but the promoted version.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, seedManagedVersions, startScenario } from "../helpers/scenario.ts";

describe("staged rollout, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
    seedManagedVersions(s, ["1.0.0"]);
  });
  after(() => s.emu.close());

  const version = (name: string) =>
    s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === name)!;
  const profile = (name: string) => version(name).properties.publishingProfile as { excludeFromLatest?: boolean; endOfLifeDate?: string };

  it("builds a version excluded from latest, with an end-of-life date, keeping the previous one as latest", async () => {
    const run = await s.run({ "exclude-from-latest": "true", "end-of-life-days": "90", "keep-versions": "1" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["image-version"], "1.0.1");
    assert.equal(profile("1.0.1").excludeFromLatest, true);
    const days = (Date.parse(profile("1.0.1").endOfLifeDate!) - Date.now()) / 86_400_000;
    assert.ok(days > 89 && days <= 90, `end of life in ${days} days`);
    assert.ok(version("1.0.0"), "1.0.0 is the newest version in latest: protected from keep-versions 1");
    assert.match(run.summary, /\| 1\.0\.0 \| protected \| newest version not excluded from latest/);
    assert.equal(run.summary.split("\n")[0], "## 1.0.1 published in galAvd/win11-avd-m365: staged, excluded from latest");
  });

  it("a dry run of promote says what it would promote, warns of inputs promote ignores, and writes nothing", async () => {
    s.emu.resetLog();
    const run = await s.run({ mode: "promote", "dry-run": "true", "keep-versions": "3" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["run-state"], "DryRun");
    assert.match(run.stdout, /would include image version 1\.0\.1 in latest/);
    assert.match(run.stdout, /^::warning::Inputs 'inline-script', 'keep-versions' have no effect with 'mode: promote'/m);
    assert.deepEqual(s.emu.writeRequests(), []);
    assert.equal(profile("1.0.1").excludeFromLatest, true);
  });

  it("does not promote a version younger than promote-after-days, and writes nothing", async () => {
    s.emu.resetLog();
    const run = await s.run({ mode: "promote", "promote-after-days": "7" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["run-state"], "Skipped");
    assert.equal(run.outputs.skipped, "true");
    assert.match(run.stdout, /image version 1\.0\.1 is 0\.0 days old; promote-after-days is 7/);
    assert.deepEqual(s.emu.writeRequests(), []);
    assert.equal(profile("1.0.1").excludeFromLatest, true);
  });

  it("promotes the newest staged version: excludeFromLatest false, promotion tags, nothing else written", async () => {
    s.emu.resetLog();
    const run = await s.run({ mode: "promote" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["run-state"], "Promoted");
    assert.equal(run.outputs["image-version"], "1.0.1");
    assert.equal(profile("1.0.1").excludeFromLatest, false);
    const tags = version("1.0.1").tags;
    assert.ok(Date.parse(tags["avd-image-action.promoted-at"]!) > Date.now() - 60_000);
    assert.equal(tags["avd-image-action.promoted-by"], "https://github.com/contoso/avd-images/actions/runs/9876543210/attempts/1");
    assert.equal(tags["avd-image-action.managed"], "true", "earlier tags kept");
    const writes = s.emu.writeRequests();
    assert.deepEqual(
      writes.map((w) => `${w.method} ${w.path.split("/").slice(-2).join("/")}`),
      ["PATCH versions/1.0.1"],
    );
  });

  it("says so when there is nothing staged to promote", async () => {
    const run = await s.run({ mode: "promote" });
    assert.notEqual(run.exitCode, 0);
    assert.match(run.stdout, /::error::mode promote: galAvd\/win11-avd-m365 has no staged version/);
  });
});
