/**
 * The manifest and the in-image inventory end to end: the emulator's build writes a realistic
 * customization.log (the windows-update provisioner's `Found Windows update` lines, the inventory block
 * the `inventory` customizer prints); the bundle captures both from the live log into a manifest that
 * validates against the committed schema; a second build with one application added and one upgraded
 * shows both in its changelog.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const schema = JSON.parse(readFileSync(new URL("../../schemas/manifest.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

describe("manifest and inventory, end to end", () => {
  let azurite: Azurite;
  let s: Scenario;
  before(async () => {
    azurite = await startAzurite();
    s = await startScenario({ azurite });
  });
  after(async () => {
    await s.emu.close();
    await azurite.stop();
  });

  it("writes a schema-valid manifest in RUNNER_TEMP with the KBs and the applications of the live log", async () => {
    const run = await s.run({ "avd-steps": "language-packs: English (United Kingdom)" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const [log] = s.emu.buildLogs();
    assert.ok(
      log!.lines.some((l) => /azure-arm: Found Windows update \(2025-06-10; 4187\.26 MB\): .*\(KB5060842\)$/.test(l)),
      "the log has the provisioner's lines",
    );
    assert.ok(
      log!.lines.some((l) => l.endsWith("azure-arm: AVD-IMAGE-ACTION INVENTORY BEGIN")),
      "and the inventory block",
    );

    const path = run.outputs["manifest-path"]!;
    assert.match(path, /avd-image-manifest-win11-avd-m365-1\.0\.0\.json$/);
    assert.ok(path.startsWith(run.runnerTemp), `${path} is in RUNNER_TEMP`);
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, any>;
    assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
    assert.equal(manifest.imageVersion, "1.0.0");
    assert.equal(manifest.gallery.name, "galAvd");
    assert.equal(manifest.source.exactVersion, "26100.10000.250610");
    assert.equal(manifest.template.name, run.outputs["template-name"]);
    assert.deepEqual(
      manifest.updates.map((u: { kb: string }) => u.kb),
      ["KB5060842", "KB5056580", "KB890830"],
    );
    assert.deepEqual(manifest.inventory.os, { productName: "Windows 11 Enterprise multi-session", displayVersion: "24H2", build: "26100", ubr: "4349" });
    assert.ok(manifest.inventory.applications.some((a: { name: string }) => a.name === "Microsoft FSLogix Apps"));
    assert.deepEqual(manifest.avdSteps, [{ name: "avdBuiltInScript_installLanguagePacks", parameters: "-LanguageList 'English (United Kingdom)'" }]);
    assert.equal(manifest.customizers.at(-1).name, "avd-image-action-inventory", "the inventory runs last (no admin sysprep here)");
    assert.equal(manifest.provenance.repository, "contoso/avd-images");
    assert.equal(manifest.provenance.commit, "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49");
    assert.match(manifest.provenance.runUrl, /\/actions\/runs\/\d+/);
    assert.ok(manifest.build.start < manifest.build.end);

    // The schema is not a rubber stamp: a manifest without its KB pattern or with an unknown field fails.
    assert.equal(validate({ ...manifest, updates: [{ kb: "5060842", title: "x" }] }), false);
    assert.equal(validate({ ...manifest, extra: true }), false);
  });

  it("a second build with one application added and one upgraded shows both in the changelog", async () => {
    const content = s.emu.imageContent();
    s.emu.setImageContent({
      applications: [
        ...content.applications.map((a) => (a.name === "Microsoft Edge" ? { ...a, version: "138.0.3351.55" } : a)),
        { name: "7-Zip 24.09 (x64)", version: "24.09", publisher: "Igor Pavlov" },
      ],
    });
    const run = await s.run({ "avd-steps": "language-packs: English (United Kingdom)", "inline-script": "Write-Host 'install 7-Zip'" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const changelog = run.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.0$/m);
    assert.match(changelog, /^- Application added: 7-Zip 24\.09 \(x64\) 24\.09 \(Igor Pavlov\)$/m);
    assert.match(changelog, /^- Application upgraded: Microsoft Edge 137\.0\.3296\.68 → 138\.0\.3351\.55$/m);
    assert.doesNotMatch(changelog, /Application removed/);
    const manifest = JSON.parse(readFileSync(run.outputs["manifest-path"]!, "utf8")) as Record<string, any>;
    assert.ok(validate(manifest), JSON.stringify(validate.errors));
    assert.equal(manifest.previousVersion, "1.0.0");
  });
});
