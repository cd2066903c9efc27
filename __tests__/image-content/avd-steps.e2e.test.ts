/**
 * `avd-steps` end to end: the bundled action, run as the GitHub runner runs it against the emulator,
 * sends Image Builder the reviewed expected customizers for the configuration and publishes the
 * version; bad steps or parameters fail the run before any Azure write, with the allowed values listed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url);
const workflow = parse(readFileSync(fixture("avd-steps.workflow.yml"), "utf8")) as { jobs: { image: { steps: { with: Record<string, string> }[] } } };
const stepInputs = workflow.jobs.image.steps[0]!.with;
const expected = JSON.parse(readFileSync(fixture("avd-steps.expected-template.json"), "utf8")) as { template: { customize: unknown[] } };

describe("avd-steps, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
  });
  after(() => s.emu.close());

  it("builds the issue's configuration: Image Builder receives the reviewed customizers and the version is published", async () => {
    s.emu.resetLog();
    const run = await s.run({ "avd-steps": stepInputs["avd-steps"]!, "target-regions": stepInputs["target-regions"]!, "inline-script": "" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path));
    assert.ok(put, "the template was created");
    const body = put.body as { properties: { customize: unknown[] } };
    assert.deepEqual(body.properties.customize, expected.template.customize);
    assert.deepEqual(versionNames(s), [run.outputs["image-version"]]);
  });

  it("refuses bad steps and parameters before any Azure write, listing the allowed values", async () => {
    s.emu.resetLog();
    const run = await s.run({
      "avd-steps":
        "language-packs: English (United Kingdom), Elvish (Rivendell)\noffice-apps: Applications=Word Version=128 Type=Remove\nfslogix: ProfileDir=\\\\s\\p",
    });
    assert.equal(run.exitCode, 1);
    const out = run.stdout + run.stderr;
    assert.match(
      out,
      /Input 'avd-steps': line 'language-packs: English \(United Kingdom\), Elvish \(Rivendell\)': 'Elvish \(Rivendell\)' is not an allowed LanguageList value\. Allowed: 'Arabic \(Saudi Arabia\)'.*'English \(United States\)'\./,
    );
    assert.match(out, /'128' is not an allowed Version value\. Allowed: '32', '64'\./);
    assert.match(out, /'ProfileDir' is not a parameter of 'fslogix'\. Parameters: ProfilePath, FSLogixInstaller, VHDSize\./);
    assert.deepEqual(s.emu.writeRequests(), [], "no Azure write");
  });
});
