/**
 * Issue 11 item 6: the Windows Update options of Image Builder's WindowsUpdate customizer
 * (`windows-update-search-criteria`, `windows-update-filters`, `windows-update-limit`): checked before
 * any Azure call, carried into the template (and so its hash), the default template unchanged.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageTemplateWindowsUpdateCustomizer } from "@azure/arm-imagebuilder";
import { type InputName, SettingsError, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import { parseWindowsUpdateFilters, searchCriteriaProblem } from "../../src/template/windows-update.ts";
import { validInputs } from "../helpers/inputs.ts";

const settingsOf = (overrides: Record<string, string> = {}) => {
  const inputs = validInputs(overrides);
  return parseSettings((name: InputName) => inputs[name] ?? "");
};
const source: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  version: "26100.4349.250607",
};
const planOf = (overrides: Record<string, string> = {}) => buildTemplatePlan(settingsOf(overrides), source, { major: 1, minor: 0, patch: 0 });
const updates = (overrides: Record<string, string> = {}) =>
  planOf(overrides).template.customize!.filter((c): c is ImageTemplateWindowsUpdateCustomizer => c.type === "WindowsUpdate");
const problemsOf = (overrides: Record<string, string>) => {
  try {
    settingsOf(overrides);
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    return error.problems;
  }
  return [];
};

describe("Windows Update search criteria ([MS-UAMG] 3.38.4.11 grammar)", () => {
  it("accepts the searches of the packer provisioner's README and the Windows Update Agent docs", () => {
    for (const ok of [
      "IsInstalled=0",
      "AutoSelectOnWebSites=1 and IsInstalled=0",
      "BrowseOnly=0 and IsInstalled=0",
      "IsInstalled=0 and Type='Software'",
      "IsInstalled = 0 AND Type != 'Driver'",
      "(IsInstalled=0 and Type='Software') or (IsInstalled=0 and Type='Driver')",
      "IsInstalled=0 and CategoryIDs contains '0fa1201d-4330-4fa8-8ae9-b877473b6441'",
      "IsInstalled=0 and IsHidden=0 and (RebootRequired=0)",
    ]) {
      assert.equal(searchCriteriaProblem(ok), undefined, ok);
    }
  });

  it("refuses what Windows Update would reject in the build VM, saying why", () => {
    const cases: [string, RegExp][] = [
      ["IsInstaled=0", /'IsInstaled' is not a search criterion \(one of Type, .*IsInstalled/],
      ["IsInstalled", /needs an operator and a value/],
      ["IsInstalled=", /needs a value/],
      ["IsInstalled=0 Type='Software'", /unexpected 'Type' \(join criteria with 'and' or 'or'\)/],
      ["(IsInstalled=0) and (Type='Software' or Type='Driver')", /'or' is allowed only at the top level/],
      ["(IsInstalled=0", /'\(' is not closed/],
      ["IsInstalled=0)", /'\)' has no '\('/],
      ["IsInstalled contains 0", /'IsInstalled' takes '=', not 'contains'/],
      ["Type='Software", /cannot read/],
      ["IsInstalled=0 and", /expected a criterion .* at the end/],
    ];
    for (const [text, expect] of cases) assert.match(searchCriteriaProblem(text) ?? "(accepted)", expect, text);
  });
});

describe("Windows Update filters (packer windows-update provisioner syntax)", () => {
  it("takes one include:/exclude: filter a line, in order, dropping blank lines and comments", () => {
    const parsed = parseWindowsUpdateFilters(
      "# keep the bad one out\nexclude:$_.Title -like '*KB5034441*'\n\n  Exclude:$_.Title -like '*Preview*'  \ninclude:$true\n",
    );
    assert.deepEqual(parsed, { filters: ["exclude:$_.Title -like '*KB5034441*'", "exclude:$_.Title -like '*Preview*'", "include:$true"], problems: [] });
  });

  it("refuses a line without an action or expression, and a list that includes nothing", () => {
    assert.match(
      parseWindowsUpdateFilters("$_.Title -like '*Preview*'\ninclude:$true").problems.join("\n"),
      /line '\$_.Title -like '\*Preview\*'' must be 'include:<PowerShell expression>' or 'exclude:<expression>'/,
    );
    assert.match(parseWindowsUpdateFilters("include:").problems.join("\n"), /no expression after 'include:'/);
    assert.match(
      parseWindowsUpdateFilters("exclude:$_.Title -like '*Preview*'\nexclude:$_.IsBeta").problems.join("\n"),
      /install nothing .* end the list with 'include:\$true'/,
    );
  });
});

describe("windows-update-* inputs", () => {
  it("by default the template's Windows Update step is what it always was (previews excluded, 40 at a time)", () => {
    assert.deepEqual(updates(), [
      {
        type: "WindowsUpdate",
        name: "windows-update",
        searchCriteria: "IsInstalled=0",
        filters: ["exclude:$_.Title -like '*Preview*'", "include:$true"],
        updateLimit: 40,
      },
    ]);
    assert.equal(
      planOf().hash,
      planOf({ "windows-update-search-criteria": "IsInstalled=0", "windows-update-limit": "40" }).hash,
      "the defaults written out are the defaults",
    );
  });

  it("reach the template's WindowsUpdate customizer and change the template hash", () => {
    const inputs = {
      "windows-update-search-criteria": "IsInstalled=0 and Type='Software'",
      "windows-update-filters": "exclude:$_.Title -like '*Preview*'\nexclude:$_.Title -like '*KB5034441*'\ninclude:$true",
      "windows-update-limit": "25",
    };
    assert.deepEqual(updates(inputs), [
      {
        type: "WindowsUpdate",
        name: "windows-update",
        searchCriteria: "IsInstalled=0 and Type='Software'",
        filters: ["exclude:$_.Title -like '*Preview*'", "exclude:$_.Title -like '*KB5034441*'", "include:$true"],
        updateLimit: 25,
      },
    ]);
    const hashes = new Set([
      planOf().hash,
      planOf({ "windows-update-search-criteria": inputs["windows-update-search-criteria"] }).hash,
      planOf({ "windows-update-filters": inputs["windows-update-filters"] }).hash,
      planOf({ "windows-update-limit": "25" }).hash,
    ]);
    assert.equal(hashes.size, 4, "each option is part of the template's identity");
  });

  it("apply to the AVD steps' Windows Update steps once changed; with the defaults those keep the portal's form", () => {
    const avd = { "avd-steps": "language-packs: English (United Kingdom)" };
    const portal = updates(avd);
    assert.deepEqual(
      portal.map((u) => [u.name, u.updateLimit, u.filters]),
      [
        ["avdBuiltInScript_installLanguagePacks-windowsUpdate", 0, undefined],
        ["windows-update", 40, ["exclude:$_.Title -like '*Preview*'", "include:$true"]],
      ],
    );
    const filters = "exclude:$_.Title -like '*KB5034441*'\ninclude:$true";
    for (const u of updates({ ...avd, "windows-update-filters": filters })) {
      assert.deepEqual([u.searchCriteria, u.filters, u.updateLimit], ["IsInstalled=0", ["exclude:$_.Title -like '*KB5034441*'", "include:$true"], 40], u.name);
    }
  });

  it("are refused, all at once and each naming its input, before anything else happens", () => {
    const problems = problemsOf({ "windows-update-search-criteria": "IsInstalled=0 or", "windows-update-filters": "skip:$true", "windows-update-limit": "-1" });
    assert.deepEqual(
      problems.map((p) => p.input),
      ["windows-update-search-criteria", "windows-update-filters", "windows-update-limit"],
    );
    assert.match(problems[0]!.message, /'IsInstalled=0 or' is not a Windows Update search: expected a criterion .* The default is 'IsInstalled=0'/);
    assert.match(problems[2]!.message, /'-1' must be a whole number of updates installed at a time, from 1 to 1000 \(0: Image Builder's default, 1000\)/);
    assert.deepEqual(problemsOf({ "windows-update-limit": "0" }), [], "0 is Image Builder's own default");
  });
});
