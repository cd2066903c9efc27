/**
 * Issue 11 item 6 end to end: the windows-update-* inputs reach the image template Image Builder gets
 * (the PUT body and the stored template), and a bad one is refused before Azure sees a write.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

type Customizer = { type: string; name: string; searchCriteria?: string; filters?: string[]; updateLimit?: number };

describe("Windows Update options, end to end", () => {
  let s: Scenario;
  before(async () => (s = await startScenario()));
  after(() => s.emu.close());

  it("search criteria, filters and limit are in the template Image Builder builds, and name a new template", async () => {
    const plain = await s.run();
    assert.equal(plain.exitCode, 0, plain.stdout);
    s.emu.resetLog();
    const run = await s.run({
      "windows-update-search-criteria": "IsInstalled=0 and Type='Software'",
      "windows-update-filters": "exclude:$_.Title -like '*Preview*'\nexclude:$_.Title -like '*KB5034441*'\ninclude:$true",
      "windows-update-limit": "25",
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.notEqual(run.outputs["template-name"], plain.outputs["template-name"], "other options, other template (hash)");
    const put = s.emu.writeRequests().find((r) => r.method === "PUT" && r.path.includes("/imageTemplates/"));
    assert.ok(put, "the template was created");
    const expected = {
      type: "WindowsUpdate",
      name: "windows-update",
      searchCriteria: "IsInstalled=0 and Type='Software'",
      filters: ["exclude:$_.Title -like '*Preview*'", "exclude:$_.Title -like '*KB5034441*'", "include:$true"],
      updateLimit: 25,
    };
    const sent = (put.body as { properties: { customize: Customizer[] } }).properties.customize.filter((c) => c.type === "WindowsUpdate");
    assert.deepEqual(sent, [expected]);
    const stored = s.emu.getImageTemplate(s.avd.subscriptionId, s.avd.resourceGroup, run.outputs["template-name"]!)!;
    assert.deepEqual(
      (stored.properties as { customize: Customizer[] }).customize.filter((c) => c.type === "WindowsUpdate"),
      [expected],
    );
  });

  it("a search Windows Update would reject fails the run naming the input, with no write to Azure", async () => {
    s.emu.resetLog();
    const run = await s.run({ "windows-update-search-criteria": "IsInstalled=0 and Type='Software' or" });
    assert.notEqual(run.exitCode, 0);
    assert.match(run.stdout, /Input 'windows-update-search-criteria': 'IsInstalled=0 and Type='Software' or' is not a Windows Update search/);
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
