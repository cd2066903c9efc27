/**
 * The Azure DevOps task end to end: the committed bundle spawned as the agent spawns it (INPUT_* with
 * task.json's names and defaults, ENDPOINT_*, SYSTEM_*, AGENT_TEMPDIRECTORY, TF_BUILD=True), against the
 * emulator, once per kind of Azure Resource Manager service connection; the `##vso[` commands it prints
 * are what the agent acts on.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RUN_SUB_STATES } from "../../emulator/index.ts";
import type { TaskRun } from "../../harness/ado-agent.ts";
import { buildRunning, cancelRequests, templateDeletes } from "../helpers/builds.ts";
import { seedManagedVersions, versionNames } from "../helpers/scenario.ts";
import { type AdoScenario, findNode, startAdoScenario } from "./scenario.ts";

const TAG = "avd-image-action";
const OUTPUTS = [
  "imageVersion",
  "imageVersionId",
  "templateName",
  "templateReused",
  "sourceImageVersion",
  "runState",
  "skipped",
  "prunedVersions",
  "plannedDeletions",
  "changelog",
  "manifestPath",
];

/** What every successful run must show the agent. */
function assertSucceeded(run: TaskRun, version: string): void {
  const context = run.stdout + run.stderr;
  assert.equal(run.exitCode, 0, context);
  assert.deepEqual(run.result, { result: "Succeeded", message: "Done" });
  assert.equal(run.commands.filter((c) => c.command === "task.complete").length, 1, "one task.complete");
  assert.deepEqual(Object.keys(run.outputs).sort(), [...OUTPUTS].sort(), "every output variable, isOutput=true");
  assert.equal(run.outputs.imageVersion, version);
  assert.equal(run.outputs.runState, "Succeeded");
  assert.equal(run.outputs.skipped, "false");
  assert.match(run.outputs.imageVersionId!, new RegExp(`/galleries/galAvd/images/win11-avd-m365/versions/${version.replace(/\./g, "\\.")}$`, "i"));
  assert.match(run.outputs.templateName!, /^win11-avd-m365-[0-9a-f]{12}$/);
  assert.equal(run.outputs.sourceImageVersion, "26100.10000.250610");
  // The changelog: multi-line Markdown in one output variable (the agent unescapes %0A).
  assert.match(run.outputs.changelog!, /^### (What changed since \d+\.\d+\.\d+|What is in \d+\.\d+\.\d+)\n\n- /);
  // The manifest: in Agent.TempDirectory, attached to the run (task.uploadfile) once.
  const manifestPath = run.outputs.manifestPath!;
  assert.ok(!relative(run.tempDirectory, manifestPath).startsWith(".."), `${manifestPath} is in AGENT_TEMPDIRECTORY`);
  assert.deepEqual(
    run.commands.filter((c) => c.command === "task.uploadfile").map((c) => c.message),
    [manifestPath],
  );
  assert.equal((JSON.parse(readFileSync(manifestPath, "utf8")) as { imageVersion: string; provenance: { host: string } }).imageVersion, version);
  // The summary: a markdown file in AGENT_TEMPDIRECTORY, uploaded once.
  assert.equal(run.summaries.length, 1);
  const [summary] = run.summaries;
  assert.ok(!relative(run.tempDirectory, summary!.path).startsWith(".."), `${summary!.path} is in AGENT_TEMPDIRECTORY`);
  assert.match(summary!.path, /\.md$/);
  assert.match(summary!.content, new RegExp(`^## ${version.replace(/\./g, "\\.")} is now latest in galAvd/win11-avd-m365$`, "m"));
  assert.match(summary!.content, new RegExp(`\\| Version \\| \`${version.replace(/\./g, "\\.")}\` — .+ \\|`));
  // Progress follows the build phases, forward only, within 1-100.
  assert.ok(run.progress.length >= 1, "task.setprogress during the build");
  for (const [i, p] of run.progress.entries()) {
    assert.ok((RUN_SUB_STATES as readonly string[]).includes(p.text), `progress text '${p.text}' is a build phase`);
    assert.ok(p.value >= 1 && p.value <= 100);
    if (i > 0) assert.ok(p.value > run.progress[i - 1]!.value, "progress only goes forward");
  }
  // Log groups are balanced, and no GitHub workflow commands leak out.
  assert.equal(run.log.filter((l) => l.startsWith("##[group]")).length, run.log.filter((l) => l === "##[endgroup]").length);
  assert.ok(run.log.some((l) => /^##\[group\]Build: win11-avd-m365-/.test(l)));
  assert.doesNotMatch(run.stdout, /^::(set-output|error|warning|group)/m);
}

describe("Azure DevOps task, end to end against the emulator", { concurrency: true }, () => {
  // One emulator per kind of connection, so the four runs go in parallel; each is a first build (1.0.0).
  describe("the whole job with workload identity federation (subscription from the connection)", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("exchanges the job's OIDC token (System.OidcRequestUri) for one Entra token; provenance tags from BUILD_*/SYSTEM_*", async () => {
      const connection = await s.connection("workloadIdentity", "sc-avd-images");
      s.emu.nextBuild({ phaseDurationsMs: { Customizing: 1500, Distributing: 1200 } });
      const run = await s.runTask(connection, { tags: "owner=avd-team" });
      assertSucceeded(run, "1.0.0");
      assert.equal(run.outputs.templateReused, "false");
      assert.ok(run.progress.length >= 2, `several phases reported: ${JSON.stringify(run.progress)}`);
      assert.ok(s.emu.adoOidcCalls >= 1 && s.emu.adoOidcCalls <= 2, `OIDC token requests: ${s.emu.adoOidcCalls} (one per access token; MSAL asks twice)`);
      assert.equal(s.emu.accessTokensIssued, 1, "one access token, shared by every SDK client of the run");
      assert.equal(s.emu.managedIdentityTokensIssued, 0);
      assert.doesNotMatch(run.stdout, new RegExp(s.job.accessToken!), "the job's access token is never printed");

      const [version] = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
      assert.equal(version!.tags.owner, "avd-team");
      assert.equal(version!.tags[`${TAG}.managed`], "true");
      assert.equal(version!.tags[`${TAG}.repository`], "avd-images/avd-images");
      assert.equal(version!.tags[`${TAG}.commit`], "9c1e5f0a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e");
      assert.equal(version!.tags[`${TAG}.run-url`], "https://dev.azure.com/contoso/avd-images/_build/results?buildId=4711");
      assert.deepEqual(versionNames(s), ["1.0.0"]);
    });
  });

  describe("the whole job with a service principal and a secret", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("authenticates with the secret (never printed), no OIDC request", async () => {
      const connection = await s.connection("secret");
      const run = await s.runTask(connection);
      assertSucceeded(run, "1.0.0");
      assert.equal(s.emu.accessTokensIssued, 1);
      assert.equal(s.emu.adoOidcCalls, 0, "no OIDC token requested");
      assert.doesNotMatch(run.stdout, new RegExp(connection.parameters!.serviceprincipalkey!));
      // Debug lines (the agent shows them with system.debug: true): the settings once, and each ARM call with its request IDs.
      const debug = run.commands.filter((c) => c.command === "task.debug").map((c) => c.message);
      assert.equal(debug.filter((m) => m.startsWith("Settings: {")).length, 1, "the settings once, at debug level");
      assert.ok(
        debug.some((m) => /^Azure PUT \/subscriptions\/[^?]+\/imageTemplates\/[^/?]+\?api-version=[\d-]+ → 20[01] in \d+ ms \(x-ms-request-id: /.test(m)),
        "the template PUT at debug level",
      );
    });
  });

  describe("the whole job with a service principal and a certificate", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("signs the client assertion with the connection's PEM (the key never printed)", async () => {
      const connection = await s.connection("certificate");
      const run = await s.runTask(connection);
      assertSucceeded(run, "1.0.0");
      assert.equal(s.emu.accessTokensIssued, 1);
      assert.doesNotMatch(run.stdout, /PRIVATE KEY/);
    });
  });

  describe("the whole job with the managed identity of the agent's VM", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("gets its token from the (emulated) Instance Metadata Service for the connection's msiclientId", async () => {
      const connection = await s.connection("managedIdentity");
      const run = await s.runTask(connection);
      assertSucceeded(run, "1.0.0");
      assert.equal(s.emu.managedIdentityTokensIssued, 1, "the token came from the IMDS endpoint");
      const imds = s.emu.requests.filter((r) => /^\/metadata\/identity\/oauth2\/token\/?$/.test(r.path));
      assert.equal(imds.length, 1);
      assert.equal(imds[0]!.query.client_id, connection.data!.msiclientId);
    });

    it("uses the VM's system-assigned identity when the connection names no client ID", async () => {
      const connection = await s.connection("managedIdentity");
      delete connection.data!.msiclientId;
      s.emu.resetLog();
      const run = await s.runTask(connection, { dryRun: "true" });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs.runState, "DryRun");
      const imds = s.emu.requests.filter((r) => /^\/metadata\/identity\/oauth2\/token\/?$/.test(r.path));
      assert.equal(imds.length, 1);
      assert.equal(imds[0]!.query.client_id, undefined, "no client_id: system-assigned");
    });
  });

  describe("the Node20_1 handler (agents without Node 24)", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());
    const node20 = findNode(20);

    it("the bundle authenticates and plans a run on Node 20", { skip: node20 ? false : "no Node 20 on the PATH" }, async () => {
      const run = await s.runTask(await s.connection("workloadIdentity"), { dryRun: "true" }, { node: node20 });
      // A Node 22+ API in the bundle fails at load: show the error line, not the minified source around it.
      const why =
        run.stderr.split("\n").find((l) => /^\w*Error\b/.test(l.trim())) ??
        run.stdout
          .split("\n")
          .filter((l) => !l.includes("task.debug"))
          .join("\n");
      assert.equal(run.exitCode, 0, `on ${node20}: ${why}`);
      assert.equal(run.result?.result, "Succeeded");
      assert.equal(run.outputs.runState, "DryRun");
      assert.equal(run.outputs.imageVersion, "1.0.0");
      assert.ok(s.emu.adoOidcCalls >= 1);
    });
  });

  describe("a failed build", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("ends with task.complete result=Failed, Image Builder's message as an error issue, and a non-zero exit", async () => {
      seedManagedVersions(s, ["1.0.0", "1.0.1"]);
      s.emu.failNextBuild({ phase: "Customizing", customizerName: "inline-script" });
      s.emu.resetLog();
      const run = await s.runTask(await s.connection("workloadIdentity"), { keepVersions: "1" });
      assert.notEqual(run.exitCode, 0);
      assert.equal(run.exitCode, 1);
      assert.equal(run.result?.result, "Failed");
      assert.equal(run.commands.filter((c) => c.command === "task.complete").length, 1, "one task.complete");
      assert.match(run.result!.message, /Image Builder run of template win11-avd-m365-[0-9a-f]{12} ended Failed: .*(packer|Packer)/);
      assert.ok(
        run.issues.some((i) => i.type === "error" && /ended Failed/.test(i.message)),
        "an error issue for the timeline",
      );
      assert.equal(run.outputs.imageVersion, undefined, "no output variables for a failed build");
      assert.equal(run.summaries.length, 1);
      assert.match(run.summaries[0]!.content, /failed/);
      assert.match(run.summaries[0]!.content, /customization\.log/);
      assert.deepEqual(versionNames(s), ["1.0.0", "1.0.1"]);
      assert.equal(s.emu.writeRequests().filter((r) => r.method === "DELETE").length, 0);
    });
  });

  describe("cancellation (the agent sends SIGINT, then SIGTERM)", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario({ phaseDurationsMs: { Customizing: 60_000 } })));
    after(() => s.emu.close());

    it("SIGINT mid-build sends exactly one cancel, deletes no template, and exits non-zero within 5 s", async () => {
      const connection = await s.connection("workloadIdentity");
      let signalled = 0;
      const run = await s.runTask(
        connection,
        {},
        {
          onSpawn: (child) => {
            void buildRunning(s).then(async () => {
              signalled = Date.now();
              child.kill("SIGINT");
              await sleep(300);
              child.kill("SIGTERM");
            });
          },
        },
      );
      const exitedAfter = Date.now() - signalled;
      assert.ok(signalled > 0, "the test signalled the task");
      assert.notEqual(run.exitCode, 0);
      assert.ok(exitedAfter < 5000, `exited ${exitedAfter} ms after SIGINT`);
      assert.equal(cancelRequests(s).length, 1);
      assert.deepEqual(templateDeletes(s), []);
      assert.equal(run.result?.result, "Failed");
      assert.equal(run.commands.filter((c) => c.command === "task.complete").length, 1, "one task.complete, no unhandled error after the cancel");
      assert.match(run.result!.message, /Canceled/);
      assert.ok(run.issues.some((i) => i.type === "warning" && /Asked Image Builder to cancel the build of win11-avd-m365-/.test(i.message)));
      assert.equal(s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).length, 1, "template kept");
      assert.deepEqual(versionNames(s), []);
    });
  });

  describe("service connections that cannot be used fail before any Azure call, naming the connection and the field", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    const failsBeforeAzure = (run: TaskRun, ...patterns: RegExp[]) => {
      assert.equal(run.exitCode, 1, run.stdout);
      assert.equal(run.result?.result, "Failed");
      assert.equal(run.commands.filter((c) => c.command === "task.complete").length, 1);
      for (const p of patterns) assert.match(run.result!.message, p);
      assert.deepEqual(s.emu.requests, [], "no request at all: not ARM, not Entra, not the OIDC endpoint");
    };

    it("workload identity federation without a tenant ID", async () => {
      const connection = await s.connection("workloadIdentity");
      delete connection.parameters!.tenantid;
      s.emu.resetLog();
      failsBeforeAzure(await s.runTask(connection), new RegExp(`Service connection '${connection.id}'`), /authorization parameter 'tenantid'/);
    });

    it("a service principal without its secret", async () => {
      const connection = await s.connection("secret");
      delete connection.parameters!.serviceprincipalkey;
      s.emu.resetLog();
      failsBeforeAzure(await s.runTask(connection), new RegExp(`Service connection '${connection.id}'`), /authorization parameter 'serviceprincipalkey'/);
    });

    it("a certificate connection whose PEM has no private key", async () => {
      const connection = await s.connection("certificate");
      const pem = connection.parameters!.servicePrincipalCertificate!;
      connection.parameters!.servicePrincipalCertificate = pem.slice(
        0,
        pem.indexOf("-----BEGIN") + pem.slice(pem.indexOf("-----BEGIN")).indexOf("-----END CERTIFICATE-----") + 25,
      );
      s.emu.resetLog();
      failsBeforeAzure(await s.runTask(connection), new RegExp(`Service connection '${connection.id}'`), /no private key/);
    });

    it("workload identity federation in a job without System.OidcRequestUri", async () => {
      const connection = await s.connection("workloadIdentity");
      s.emu.resetLog();
      failsBeforeAzure(
        await s.runTask(connection, {}, { env: { SYSTEM_OIDCREQUESTURI: undefined } }),
        new RegExp(`Service connection '${connection.id}'`),
        /System\.OidcRequestUri/,
      );
    });

    it("a connection the job did not receive", async () => {
      const connection = await s.connection("secret");
      s.emu.resetLog();
      failsBeforeAzure(
        await s.runTask(connection, { azureSubscription: "99999999-8888-4777-8666-555555555555" }),
        /Service connection '99999999-8888-4777-8666-555555555555'.*was not passed to this job/,
      );
    });

    it("a management-group connection (no subscription) and no subscriptionId input", async () => {
      const connection = await s.connection("secret");
      delete connection.data!.subscriptionId;
      connection.data!.scopeLevel = "ManagementGroup";
      s.emu.resetLog();
      failsBeforeAzure(
        await s.runTask(connection),
        new RegExp(`Service connection '${connection.id}'.* has no subscription ID`),
        /set the task input 'subscriptionId'/,
      );
    });

    it("an environment input that contradicts the connection's cloud", async () => {
      const connection = await s.connection("secret");
      s.emu.resetLog();
      failsBeforeAzure(
        await s.runTask(connection, { environment: "AzureChinaCloud" }),
        /Input 'environment' is 'AzureChinaCloud'/,
        new RegExp(`Service connection '${connection.id}'.* is for 'AzureCloud'`),
      );
    });

    it("bad inputs are named with the task's camelCase names", async () => {
      const connection = await s.connection("secret");
      s.emu.resetLog();
      failsBeforeAzure(await s.runTask(connection, { keepVersions: "-1", versionStrategy: "nightly" }), /Input 'keepVersions'/, /Input 'versionStrategy'/);
    });
  });

  describe("triggers and inputs", { concurrency: false }, () => {
    let s: AdoScenario;
    before(async () => (s = await startAdoScenario()));
    after(() => s.emu.close());

    it("a scheduled run in a covered Patch Tuesday cycle builds nothing and warns (no notices in Azure DevOps); a run queued by hand (Build.Reason Manual) does", async () => {
      const connection = await s.connection("secret");
      s.emu.seedImageVersion({
        resourceGroup: s.avd.resourceGroup,
        gallery: s.avd.gallery,
        image: s.avd.imageDefinition,
        version: "3.0.0",
        publishedDate: "2027-03-10T07:00:00Z",
      });
      const clock = { AVD_IMAGE_ACTION_CLOCK: "2027-03-13T06:00:00Z" };
      s.emu.resetLog();
      const scheduled = await s.runTask(connection, { schedule: "patch-tuesday+1" }, { env: { ...clock, BUILD_REASON: "Schedule" } });
      assert.equal(scheduled.exitCode, 0, scheduled.stdout);
      assert.equal(scheduled.outputs.skipped, "true");
      assert.equal(scheduled.outputs.runState, "Skipped");
      assert.equal(scheduled.result?.result, "Succeeded");
      assert.match(
        scheduled.stdout,
        /##vso\[task\.logissue type=warning[^\]]*\]Skipped: Patch Tuesday cycle 2027-03 .* is covered by image version 3\.0\.0.*Next build day: 2027-04-14/,
      );
      assert.deepEqual(s.emu.writeRequests(), []);

      const manual = await s.runTask(connection, { schedule: "patch-tuesday+1", dryRun: "true" }, { env: { ...clock, BUILD_REASON: "Manual" } });
      assert.equal(manual.exitCode, 0, manual.stdout);
      assert.equal(manual.outputs.skipped, "false");
      assert.equal(manual.outputs.runState, "DryRun");
      assert.deepEqual(s.emu.writeRequests(), [], "a dry run writes nothing");
    });

    it("the GitHub-only inputs are not read, and an explicit subscriptionId wins over the connection's", async () => {
      const connection = await s.connection("secret");
      connection.data!.subscriptionId = "00000000-0000-4000-8000-000000000000"; // a subscription the identity cannot see
      s.emu.resetLog();
      const run = await s.runTask(
        connection,
        { subscriptionId: s.avd.subscriptionId, dryRun: "true" },
        { env: { INPUT_CLIENTID: "not-a-guid", INPUT_TENANTID: "nope" } },
      );
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.outputs.runState, "DryRun");
      assert.ok(s.emu.requests.some((r) => r.path.startsWith(`/subscriptions/${s.avd.subscriptionId}/`)));
      assert.ok(!s.emu.requests.some((r) => r.path.startsWith("/subscriptions/00000000-0000-4000-8000-000000000000")));
    });
  });
});
