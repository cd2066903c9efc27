/**
 * The AVD built-in step catalog: the data copied from ../shared is still the research's, every script is
 * pinned with its checksum, `avd-steps` lines are parsed and checked against each script's param()
 * block — every step with mandatory parameters refuses a missing or disallowed value, listing what is
 * allowed — and the README documents every step with its parameters and known defects.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { AVD_STEPS, type AvdStepDefinition, CATALOG, type CatalogParam } from "../../src/avd/catalog.ts";
import { psQuote } from "../../src/avd/customizers.ts";
import { parseAvdSteps } from "../../src/avd/parse-steps.ts";
import { type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { validInputs } from "../helpers/inputs.ts";

const root = new URL("../../", import.meta.url);
const SHARED = new URL("../shared/avd-builtin-scripts/catalog.json", root);

/** A value each parameter accepts (what the portal passes, the first allowed value, or a sample). */
function validValue(step: AvdStepDefinition, param: CatalogParam): string {
  if (param.portalValue) return param.portalValue;
  if (step.script.id === "configureOfficeApps" && param.name === "Applications") return "Word";
  if (step.script.id === "configureOfficeApps" && param.name === "Type") return "Remove";
  if (Array.isArray(param.allowed)) return param.allowed[0]!;
  return step.formats[param.name] === "whole-number" ? "60" : "Microsoft.XboxApp";
}
/** A value each mandatory parameter refuses, by format. */
function badValue(step: AvdStepDefinition, param: CatalogParam): string {
  return step.formats[param.name] === "https-url" ? "ftp://example.com/setup.exe" : "Klingon";
}
function line(step: AvdStepDefinition, values: Record<string, string>): string {
  return `${step.key}: ${Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ")}`.replace(/: $/, "");
}

describe("AVD built-in step catalog", () => {
  it("keeps every copied field of ../shared/avd-builtin-scripts/catalog.json unchanged (when ../shared is there)", (t) => {
    if (!existsSync(SHARED)) return t.skip("../shared is not present (fresh clone)");
    const source = JSON.parse(readFileSync(SHARED, "utf8")) as typeof CATALOG & { scripts: Record<string, unknown>[] };
    assert.equal(CATALOG.headCommit, source.headCommit);
    assert.deepEqual(
      CATALOG.scripts.map((s) => s.id),
      source.scripts.map((s) => s["id"]),
      "same scripts, same (portal) order",
    );
    for (const [i, script] of CATALOG.scripts.entries()) {
      for (const [key, value] of Object.entries(script)) assert.deepEqual(value, source.scripts[i]![key], `${script.id}.${key}`);
    }
  });

  it("pins every script to the catalog's commit with its SHA-256, never master", () => {
    assert.ok(AVD_STEPS.length >= 16);
    for (const step of AVD_STEPS) {
      assert.match(
        step.script.pinnedRawUrl!,
        new RegExp(`^https://raw\\.githubusercontent\\.com/Azure/RDS-Templates/${CATALOG.headCommit}/CustomImageTemplateScripts/`),
        step.key,
      );
      assert.doesNotMatch(step.script.pinnedRawUrl!, /\/master\//);
      assert.match(step.script.sha256!, /^[0-9a-f]{64}$/, step.key);
      assert.equal(step.script.runElevated, true);
      assert.equal(step.script.runAsSystem, true);
    }
  });

  it("parses named parameters with spaces, bare values, and language names that contain commas", () => {
    const { calls, problems } = parseAvdSteps(
      [
        "# comment",
        "- fslogix: profilepath=\\\\files.contoso.com\\FSLogix Profiles VHDSize=30000",
        "language-packs: English (United Kingdom), Chinese (Simplified, China), Norwegian, Bokmål (Norway), german (germany)",
        "session-timeouts: MaxIdleTime=120 fResetBroken=1 MaxDisconnectionTime=60",
        "remove-appx: Microsoft.XboxApp, Microsoft.ZuneMusic",
      ].join("\n"),
    );
    assert.deepEqual(problems, []);
    const params = Object.fromEntries(calls.map((c) => [c.step.key, c.params]));
    assert.deepEqual(params["fslogix"], [
      { name: "ProfilePath", value: "\\\\files.contoso.com\\FSLogix Profiles" },
      { name: "FSLogixInstaller", value: "https://aka.ms/fslogix_download" },
      { name: "VHDSize", value: "30000" },
    ]);
    assert.deepEqual(params["language-packs"], [
      { name: "LanguageList", value: ["English (United Kingdom)", "Chinese (Simplified, China)", "Norwegian, Bokmål (Norway)", "German (Germany)"] },
    ]);
    // param() order, fResetBroken last (the script stops at it).
    assert.deepEqual(
      params["session-timeouts"]!.map((p) => p.name),
      ["MaxDisconnectionTime", "MaxIdleTime", "fResetBroken"],
    );
    assert.deepEqual(params["remove-appx"], [{ name: "AppxPackages", value: ["Microsoft.XboxApp", "Microsoft.ZuneMusic"] }]);
  });

  it("refuses unknown steps and parameters, duplicates, parameters on steps without any, and Windows Update as a step", () => {
    const cases: [string, RegExp][] = [
      ["language-pack: German (Germany)", /'language-pack' is not an AVD built-in step\. Steps: language-packs, default-language,/],
      ["fslogix: ProfilePath=\\\\s\\p SizeInMB=100", /'SizeInMB' is not a parameter of 'fslogix'\. Parameters: ProfilePath, FSLogixInstaller, VHDSize/],
      ["fslogix: Size=1", /'Size' is not a parameter of 'fslogix'/],
      ["timezone-redirection: on", /'timezone-redirection' takes no parameters/],
      ["office-apps: Word", /'office-apps' takes named parameters, e\.g\. 'office-apps: Applications=… Version=… Type=…'/],
      ["windows-update", /Windows Update is the 'windows-update' input/],
      ["session-timeouts", /give at least one of 'MaxDisconnectionTime'/],
      ["office-apps: Applications=Word Version=64 Type=Add", /Type=Add installs only Visio and Project/],
      ["session-timeouts: MaxIdleTime=two hours", /MaxIdleTime 'two hours' must be a whole number/],
    ];
    for (const [text, expected] of cases) {
      const { calls, problems } = parseAvdSteps(text);
      assert.equal(calls.length, 0, text);
      assert.equal(problems.length, 1, `${text}: ${problems.join(" | ")}`);
      assert.match(problems[0]!, expected);
      assert.match(problems[0]!, new RegExp(`^line '${text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}'`));
    }
    assert.match(parseAvdSteps("teams-optimization\nteams-optimization").problems[0]!, /listed twice/);
  });

  const withMandatory = AVD_STEPS.filter((s) => s.script.params.some((p) => p.mandatory));

  it("covers every catalog step with mandatory parameters", () => {
    assert.deepEqual(withMandatory.map((s) => s.script.id).sort(), [
      "configureOfficeApps",
      "enableFsLogix",
      "installLanguagePacks",
      "multiMediaRedirection",
      "removeAppxPackages",
      "setDefaultLanguage",
      "teamsOptimization",
      "windowsOptimization",
    ]);
  });

  for (const step of withMandatory) {
    for (const param of step.script.params.filter((p) => p.mandatory)) {
      const others = Object.fromEntries(step.script.params.filter((p) => p.mandatory && p !== param).map((p) => [p.name, validValue(step, p)]));
      it(`${step.key}: refuses a missing or disallowed ${param.name}, listing what is allowed; accepts a valid one`, () => {
        const allowedText = Array.isArray(param.allowed)
          ? `'${param.allowed.join("', '")}'`
          : step.formats[param.name] === "https-url"
            ? "an https:// URL"
            : "one or more comma-separated values";
        // Missing: a parameter the portal fills in is missing only when given empty.
        const missing = param.portalValue ? line(step, { ...others, [param.name]: "" }) : line(step, others);
        const refusedMissing = parseAvdSteps(missing);
        assert.equal(refusedMissing.calls.length, 0, missing);
        assert.equal(refusedMissing.problems.length, 1, refusedMissing.problems.join(" | "));
        assert.ok(refusedMissing.problems[0]!.includes(param.name), refusedMissing.problems[0]);
        assert.ok(refusedMissing.problems[0]!.includes(allowedText), `${refusedMissing.problems[0]} lists ${allowedText}`);
        // Disallowed (free-text lists have no disallowed value).
        if (Array.isArray(param.allowed) || step.formats[param.name] === "https-url") {
          const disallowed = line(step, { ...others, [param.name]: badValue(step, param) });
          const refused = parseAvdSteps(disallowed);
          assert.equal(refused.calls.length, 0, disallowed);
          assert.ok(refused.problems[0]!.includes(badValue(step, param)), refused.problems[0]);
          assert.ok(refused.problems[0]!.includes(allowedText), `${refused.problems[0]} lists ${allowedText}`);
        }
        const ok = parseAvdSteps(line(step, { ...others, [param.name]: validValue(step, param) }));
        assert.deepEqual(ok.problems, []);
        assert.equal(ok.calls.length, 1);
      });
    }
  }

  it("reports avd-steps problems with every other bad input, naming the input", () => {
    const inputs = validInputs({ "avd-steps": "language-packs: Klingon\nwindows-optimization: Turbo", "keep-versions": "many" });
    assert.throws(
      () => parseSettings((n: InputName) => inputs[n] ?? ""),
      (error: SettingsError) => {
        assert.ok(error instanceof SettingsError);
        assert.deepEqual(error.problems.map((p) => p.input).sort(), ["avd-steps", "avd-steps", "keep-versions"]);
        assert.match(
          error.message,
          /Input 'avd-steps': line 'language-packs: Klingon': 'Klingon' is not an allowed LanguageList value\. Allowed: 'Arabic \(Saudi Arabia\)'/,
        );
        assert.match(error.message, /'Turbo' is not an allowed Optimizations value\. Allowed: 'All', 'WindowsMediaPlayer'/);
        return true;
      },
    );
  });

  it("quotes values for PowerShell: quotes doubled, typographic ones too", () => {
    assert.equal(psQuote("O'Brien"), "'O''Brien'");
    assert.equal(psQuote("a\u2019b"), "'a\u2019\u2019b'");
    assert.equal(psQuote("$env:TEMP `n"), "'$env:TEMP `n'");
  });

  it("the README documents every step, its parameters and its known defects", () => {
    const readme = readFileSync(new URL("README.md", root), "utf8");
    const section = readme.slice(readme.indexOf("## AVD built-in steps"), readme.indexOf("\n## ", readme.indexOf("## AVD built-in steps") + 5));
    assert.ok(section.length > 1000, "README has a '## AVD built-in steps' section");
    const defects = section.slice(section.indexOf("**Known defects"));
    for (const step of AVD_STEPS) {
      assert.match(section, new RegExp(`^\\| \`${step.key}\` \\|`, "m"), `step ${step.key} has a table row`);
      const row = section.split("\n").find((l) => l.startsWith(`| \`${step.key}\` |`))!;
      for (const param of step.script.params) assert.ok(row.includes(`\`${param.name}\``), `${step.key} documents ${param.name}`);
      if (step.key !== "timezone-redirection") assert.ok(defects.includes(`\`${step.key}\``), `known defects mention ${step.key}`);
    }
  });
});
