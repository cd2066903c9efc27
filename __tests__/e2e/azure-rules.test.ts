/**
 * Azure's own rules (issue 10), end to end against the bundle: what a real subscription would fail late,
 * after the build, the action refuses in seconds with zero writes, naming the input and the fix — or it
 * does the right thing and publishes. The emulator alone failing each build late, with the product's
 * check bypassed, is shown in __tests__/emulator/azure-rules.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

/** The first image template PUT of the run, its properties. */
function templatePut(s: Scenario): Record<string, unknown> {
  const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path));
  assert.ok(put, "an image template was created");
  return (put.body as { properties: Record<string, unknown> }).properties;
}

describe("Azure rules, end to end", () => {
  let s: Scenario;
  let workspace: string;
  before(async () => {
    s = await startScenario();
    workspace = mkdtempSync(join(tmpdir(), "avd-rules-"));
    mkdirSync(join(workspace, "images"));
    writeFileSync(
      join(workspace, "images", "distribute-anyway.yml"),
      ["validate:", "  continueDistributeOnFailure: true", "  inVMValidations:", "    - { type: PowerShell, name: smoke, inline: ['exit 0'] }", ""].join("\n"),
    );
    writeFileSync(join(workspace, "images", "short-timeout.yml"), "buildTimeoutInMinutes: 3\n");
  });
  after(async () => {
    await s.emu.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  async function refused(inputs: Record<string, string>, input: string, expect: RegExp) {
    s.emu.resetLog();
    const run = await s.run(inputs, { GITHUB_WORKSPACE: workspace });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.stdout, new RegExp(`::error::.*Input '${input}'`));
    assert.match(run.stdout, expect);
    assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
    assert.deepEqual(s.emu.writeRequests(), []);
    return run;
  }

  describe("rule 7: build-timeout-minutes is 0 or 6-960", () => {
    for (const minutes of ["1", "5"]) {
      it(`${minutes} minutes is refused before any write, naming the input and the fix`, async () => {
        await refused({ "build-timeout-minutes": minutes }, "build-timeout-minutes", /must be 0 \(Image Builder's default, 240 minutes\) or a whole number of minutes from 6 to 960.*client_jwt will expire within 5 minutes/);
      });
    }

    it("a template file's buildTimeoutInMinutes of 3 is refused, naming the file and the field", async () => {
      await refused({ "template-file": "images/short-timeout.yml" }, "template-file", /images\/short-timeout\.yml: buildTimeoutInMinutes \(line 1\): must be 0 .* or 6 to 960/);
    });

    it("by default the template asks Image Builder for 240 minutes, and the version is published", async () => {
      s.emu.resetLog();
      const run = await s.run({});
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(templatePut(s)["buildTimeoutInMinutes"], 240);
      assert.ok(versionNames(s).includes(run.outputs["image-version"]!));
    });

    it("6 minutes is accepted", async () => {
      s.emu.resetLog();
      const run = await s.run({ "build-timeout-minutes": "6", "dry-run": "true" });
      assert.equal(run.exitCode, 0, run.stdout);
    });
  });

  describe("rule 6: validate.continueDistributeOnFailure", () => {
    it("true in a template file is refused before any write, naming the file's path and the fix", async () => {
      await refused(
        { "template-file": "images/distribute-anyway.yml" },
        "template-file",
        /images\/distribute-anyway\.yml: validate\.continueDistributeOnFailure \(line 2\): must not be true: Image Builder would publish an image version that failed validation .*Remove it \(or set it to false\)/,
      );
    });
  });
});
