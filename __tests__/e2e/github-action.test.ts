/**
 * The main job end to end: the committed bundle spawned as the GitHub runner spawns it, against the
 * emulator, authenticating through the fake Entra ID with a GitHub OIDC token exchange.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BAD_INPUTS } from "../helpers/inputs.ts";
import { LRO_IN_PROGRESS, type Scenario, seedManagedVersions, startScenario, versionNames } from "../helpers/scenario.ts";

const TAG = "avd-image-action";

describe("GitHub Action, end to end against the emulator", () => {
  describe("build, reuse, rebuild", () => {
    let s: Scenario;
    // Template and gallery writes still InProgress at core-lro's first poll: the Retry-After wait is on this path.
    before(async () => (s = await startScenario(LRO_IN_PROGRESS)));
    after(() => s.emu.close());

    it("a first run creates the template and version 1.0.0 with provenance tags, through a real OIDC token exchange", async () => {
      s.emu.nextBuild({ phaseDurationsMs: { Customizing: 1500 } });
      // RUNNER_DEBUG: what "Re-run with debug logging" (or the ACTIONS_STEP_DEBUG secret) sets; the runner then shows `::debug::` lines.
      const run = await s.spawn({ tags: "owner=avd-team\nimage=win11" }, { RUNNER_DEBUG: "1" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs["image-version"], "1.0.0");
      assert.equal(run.outputs["template-reused"], "false");
      // Debug lines: the parsed settings once, and each ARM call with its status, duration and request IDs.
      const debug = run.stdout.split("\n").filter((l) => l.startsWith("::debug::"));
      const settingsLines = debug.filter((l) => l.startsWith("::debug::Settings: "));
      assert.equal(settingsLines.length, 1, "the settings are logged once");
      assert.equal((JSON.parse(settingsLines[0]!.slice("::debug::Settings: ".length)) as { imageDefinition: string }).imageDefinition, s.avd.imageDefinition);
      const templatePut =
        /^::debug::Azure PUT \/subscriptions\/[^?]+\/imageTemplates\/[^/?]+\?api-version=[\d-]+(-preview)? → 20[01] in \d+ ms \(x-ms-request-id: [^,]+, x-ms-correlation-request-id: [^)]+\)$/;
      assert.ok(
        debug.some((l) => templatePut.test(l)),
        debug.join("\n"),
      );
      assert.ok(debug.filter((l) => l.startsWith("::debug::Azure GET ")).length >= 3, "reads (preflight, versions, polls) are logged too");
      assert.ok(
        debug.some((l) => /^::debug::Azure GET \/subscriptions\/[^?]+\/providers\/Microsoft\.Storage\/storageAccounts\?api-version=[\d-]+ → 200 /.test(l)),
        "the live log's storage account list too",
      );
      assert.equal(run.outputs["run-state"], "Succeeded");
      assert.equal(run.outputs["source-image-version"], "26100.10000.250610", "latest pinned numerically, not by text order");
      assert.match(run.outputs["image-version-id"]!, /\/galleries\/galAvd\/images\/win11-avd-m365\/versions\/1\.0\.0$/i);
      assert.ok(s.emu.githubOidcCalls >= 1 && s.emu.accessTokensIssued >= 1, "token came from the fake Entra ID via GitHub OIDC");

      const [version] = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
      assert.equal(version!.name, "1.0.0");
      const tags = version!.tags;
      assert.equal(tags.owner, "avd-team");
      assert.equal(tags.image, "win11");
      assert.equal(tags[`${TAG}.managed`], "true");
      assert.equal(tags[`${TAG}.repository`], "contoso/avd-images");
      assert.equal(tags[`${TAG}.commit`], "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49");
      assert.equal(tags[`${TAG}.run-url`], "https://github.com/contoso/avd-images/actions/runs/9876543210/attempts/1");
      assert.equal(tags[`${TAG}.template`], run.outputs["template-name"]);
      assert.match(tags[`${TAG}.template-hash`]!, /^[0-9a-f]{64}$/);
      assert.equal(tags[`${TAG}.source-version`], "26100.10000.250610");
      assert.ok(Date.parse(tags[`${TAG}.build-start`]!) <= Date.parse(tags[`${TAG}.build-end`]!));

      const put = s.emu.writeRequests().find((r) => r.method === "PUT" && /imageTemplates/i.test(r.path));
      const body = put!.body as { properties: { distribute: { galleryImageId: string }[]; source: { version: string } } };
      assert.match(body.properties.distribute[0]!.galleryImageId, /\/versions\/1\.0\.0$/, "explicit versioning in the distributor");
      assert.equal(body.properties.source.version, "26100.10000.250610");
      assert.match(run.summary, /\| Version \| `1\.0\.0` — .patch. after no existing version \|/);
      assert.match(run.summary, /^## 1\.0\.0 is now latest in galAvd\/win11-avd-m365$/m, "the headline comes first");
      assert.equal(run.summary.split("\n")[0], "## 1.0.0 is now latest in galAvd/win11-avd-m365");
      assert.match(run.summary, /<details><summary>Preflight: all \d+ checks passed<\/summary>/, "an all-green preflight is collapsed");
      assert.match(run.summary, /### What went into the image \(\d+ customizers?\)\n\n- Scripts: `inline-script`/);
      assert.match(run.stdout, /Build phase: Customizing/);
    });

    it("a second identical run reuses the template (PATCH, no PUT) and makes 1.0.1", async () => {
      s.emu.resetLog();
      const run = await s.spawn({ tags: "owner=avd-team\nimage=win11" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs["image-version"], "1.0.1");
      assert.equal(run.outputs["template-reused"], "true");
      const templateWrites = s.emu.writeRequests().filter((r) => /imageTemplates\/[^/]+$/i.test(r.path));
      assert.deepEqual(
        templateWrites.map((r) => r.method),
        ["PATCH"],
      );
      assert.deepEqual(versionNames(s), ["1.0.0", "1.0.1"]);
    });

    it("a changed inline-script creates a new template and removes the old one", async () => {
      const before = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).map((t) => t.name);
      assert.equal(before.length, 1);
      const run = await s.spawn({ "inline-script": "Write-Host 'changed'", tags: "owner=avd-team" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs["template-reused"], "false");
      assert.notEqual(run.outputs["template-name"], before[0]);
      const now = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).map((t) => t.name);
      assert.deepEqual(now, [run.outputs["template-name"]]);
      assert.equal(run.outputs["image-version"], "1.0.2");
    });
  });

  describe("versions and retention", () => {
    let s: Scenario;
    before(async () => (s = await startScenario(LRO_IN_PROGRESS)));
    after(() => s.emu.close());

    it("with 1.9.0, 1.10.0 and 1.2.0, patch makes 1.10.1 and keep-versions 2 deletes exactly 1.2.0 and 1.9.0", async () => {
      seedManagedVersions(s, ["1.9.0", "1.10.0", "1.2.0"]);
      const run = await s.spawn({ "keep-versions": "2" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs["image-version"], "1.10.1");
      assert.deepEqual(JSON.parse(run.outputs["pruned-versions"]!).sort(), ["1.2.0", "1.9.0"]);
      assert.deepEqual(versionNames(s), ["1.10.0", "1.10.1"]);
      const deletes = s.emu.writeRequests().filter((r) => r.method === "DELETE" && /\/versions\//i.test(r.path));
      assert.deepEqual(deletes.map((r) => r.path.split("/").pop()).sort(), ["1.2.0", "1.9.0"]);
      assert.match(run.summary, /\| 1\.9\.0 \| deleted \|/);
    });
  });

  describe("a failed build", () => {
    let s: Scenario;
    before(async () => (s = await startScenario()));
    after(() => s.emu.close());

    it("exits non-zero with AIB's message, creates no version and deletes nothing", async () => {
      seedManagedVersions(s, ["1.0.0", "1.0.1", "1.0.2"]);
      s.emu.failNextBuild({ phase: "Customizing", customizerName: "inline-script" });
      s.emu.resetLog();
      const run = await s.spawn({ "keep-versions": "1" });
      assert.notEqual(run.exitCode, 0);
      assert.match(run.stdout, /::error::Image Builder run of template win11-avd-m365-[0-9a-f]{12} ended Failed: .*(packer|Packer)/);
      assert.match(run.stdout, /customization\.log/);
      assert.deepEqual(versionNames(s), ["1.0.0", "1.0.1", "1.0.2"]);
      assert.equal(s.emu.writeRequests().filter((r) => r.method === "DELETE").length, 0);
      assert.equal(run.outputs["image-version"], undefined);
    });
  });

  describe("transient faults", () => {
    let s: Scenario;
    before(async () => (s = await startScenario()));
    after(() => s.emu.close());

    it("429s with Retry-After and 500s on reads and on LRO polls do not fail the run", async () => {
      const faults = [
        s.emu.injectFault({ method: "GET", path: /\/versions\?|\/versions$/i, kind: "throttle", times: 2, retryAfterSeconds: 1 }),
        s.emu.injectFault({ method: "GET", path: /\/operations\//i, kind: "error500", times: 2 }),
        s.emu.injectFault({ method: "GET", path: /\/operations\//i, kind: "throttle", times: 1, retryAfterSeconds: 0 }),
        s.emu.injectFault({ method: "GET", path: /imageTemplates\/[^/?]+(\?|$)/i, kind: "error500", times: 2 }),
        s.emu.injectFault({ method: "GET", path: /imageTemplates\/[^/?]+(\?|$)/i, kind: "drop", times: 1 }),
      ];
      const run = await s.spawn();
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs["image-version"], "1.0.0");
      for (const fault of faults) assert.equal(fault.hits, fault.spec.times, `fault ${fault.spec.kind} ${fault.spec.path} was hit`);
    });
  });

  describe("dry run", () => {
    let s: Scenario;
    before(async () => (s = await startScenario()));
    after(() => s.emu.close());

    it("makes zero write requests and still prints the whole plan", async () => {
      seedManagedVersions(s, ["1.9.0", "1.10.0", "1.2.0"]);
      s.emu.resetLog();
      const run = await s.spawn({ "dry-run": "true", "keep-versions": "2" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.deepEqual(s.emu.writeRequests(), []);
      assert.ok(
        s.emu.requests.some((r) => r.method === "GET"),
        "the plan was made from Azure's state",
      );
      assert.match(run.stdout, /Image template: win11-avd-m365-[0-9a-f]{12} — would create/);
      assert.match(run.stdout, /Image version: would create 1\.10\.1/);
      assert.match(run.stdout, /would delete +1\.9\.0/);
      assert.match(run.stdout, /would delete +1\.2\.0/);
      assert.match(run.stdout, /would keep +1\.10\.0/);
      assert.doesNotMatch(run.stdout + run.summary, /\((created|deleted)\)|\| deleted \|/, "a dry run never says it did");
      assert.equal(run.outputs["run-state"], "DryRun");
      assert.equal(run.outputs["pruned-versions"], "[]", "nothing was deleted");
      assert.deepEqual(JSON.parse(run.outputs["planned-deletions"]!).sort(), ["1.2.0", "1.9.0"]);
      assert.match(run.summary, /would create/);
      assert.match(run.summary, /\| 1\.9\.0 \| would delete \|/);
      assert.deepEqual(versionNames(s), ["1.10.0", "1.2.0", "1.9.0"]);
    });
  });

  describe("bad inputs", () => {
    let s: Scenario;
    before(async () => (s = await startScenario()));
    after(() => s.emu.close());

    it(`each of ${BAD_INPUTS.length} bad inputs exits non-zero naming the input, and Azure sees no write`, async () => {
      s.emu.resetLog();
      // The first through the bundle, the rest in-process (main() is the same code; 25 spawns cost ~6 s of CPU).
      const runs = await Promise.all(
        BAD_INPUTS.map((bad, index) =>
          (index === 0 ? s.spawn : s.run)({ [bad.input]: bad.value, ...(bad.input === "client-id" ? { "tenant-id": s.emu.defaults.tenantId } : {}) }),
        ),
      );
      runs.forEach((run, index) => {
        const bad = BAD_INPUTS[index]!;
        assert.equal(run.exitCode, 1, `${bad.input}=${bad.value}`);
        assert.match(run.stdout, new RegExp(`::error::.*Input '${bad.input}'`), `${bad.input}=${bad.value}: ${run.stdout}`);
        assert.match(run.stdout, bad.expect);
        assert.match(
          run.summary,
          new RegExp(`^## AVD image: inputs not valid, nothing done\\n\\n[\\s\\S]*- Input '${bad.input}'`),
          `a job summary for ${bad.input}=${bad.value}: ${run.summary}`,
        );
      });
      assert.deepEqual(s.emu.writeRequests(), []);
      assert.deepEqual(s.emu.requests, [], "settings are validated before any request at all");
    });
  });
});
