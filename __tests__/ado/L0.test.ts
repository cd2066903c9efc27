/**
 * Azure DevOps L0 test with azure-pipelines-task-lib's own harness, `MockTestRunner`, offline: the task's
 * Node24 target (dist/index.js, the committed bundle) run by a TaskMockRunner script (L0/run-task.ts)
 * with task.json's inputs and a ServicePrincipal (client secret) service connection, against the emulator.
 *
 * Offline: MockTestRunner would download Node 24 (v24.10.0) into `$HOME/azure-pipelines-task-lib/_download`.
 * This test points HOME at a temporary folder whose cache already holds the project's own Node 24 (a link
 * to it, and the `.completed` marker MockTestRunner checks), so MockTestRunner picks the Node version from
 * task.json as always and finds it there. The emulator runs as a separate process (`npm run emulator`):
 * MockTestRunner runs the task with spawnSync, which blocks this process.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { MockTestRunner as MockTestRunnerType } from "azure-pipelines-task-lib/mock-test.js";
import { type ServiceEndpoint, agentEnv, parseVsoCommands } from "../../harness/ado-agent.ts";
import { requiredTaskInputs } from "../../harness/inputs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TASK_JSON = join(ROOT, "task.json");
const RUN_TASK = join(ROOT, "__tests__/ado/L0/run-task.ts");
/** The Node 24 release MockTestRunner 5.x downloads for a Node24 handler (mock-test.js `versions[24]`). */
const MOCK_RUNNER_NODE24 = "v24.10.0";
/** ID of the Azure Resource Manager service connection the task signs in with. */
const CONNECTION_ID = "3e1b4c5d-6f70-4a81-92b3-c4d5e6f7a8b9";
/** The output variables task.json declares: the task sets every one on success. */
const OUTPUTS = (JSON.parse(readFileSync(TASK_JSON, "utf8")) as { outputVariables: { name: string }[] }).outputVariables.map((o) => o.name);

interface EmulatorInfo {
  url: string;
  caFile: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  avd: { resourceGroup: string; location: string; gallery: string; imageDefinition: string; identityId: string };
}

/** Output variables (`task.setvariable … isOutput=true`) the run printed. */
function outputVariables(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of parseVsoCommands(stdout)) if (c.command === "task.setvariable" && c.properties.isoutput === "true") out[c.properties.variable!] = c.message;
  return out;
}

describe("Azure DevOps L0: MockTestRunner runs the Node24 target against the emulator, offline", { timeout: 180_000 }, () => {
  let work: string;
  let emulator: ChildProcess;
  let info: EmulatorInfo;
  let MockTestRunner: typeof MockTestRunnerType;
  const saved = { ...process.env };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "ado-l0-"));
    // The emulator, in its own process, seeded like `npm run emulator -- --avd`, with short build phases.
    const seed = join(work, "seed.json");
    writeFileSync(
      seed,
      JSON.stringify({ options: { phaseDurationsMs: { Queued: 100, Building: 200, Customizing: 300, Optimizing: 100, Validating: 100, Distributing: 200 } } }),
    );
    emulator = spawn(process.execPath, [join(ROOT, "emulator/cli.ts"), seed, "--avd"], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(createInterface({ input: emulator.stdout! }), "line")) as [string];
    info = JSON.parse(line) as EmulatorInfo;
    emulator.stdout!.resume();

    // Node download cache, pre-filled with this project's Node 24.
    const home = join(work, "home");
    const cache = join(home, "azure-pipelines-task-lib", "_download");
    const bin = join(cache, "node24", `node-${MOCK_RUNNER_NODE24}-linux-x64`, "bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, "node"));
    writeFileSync(join(cache, "node24.completed"), "");
    process.env.HOME = home; // mock-test.js reads HOME when it is loaded
    MockTestRunner = (createRequire(import.meta.url)("azure-pipelines-task-lib/mock-test.js") as { MockTestRunner: typeof MockTestRunnerType }).MockTestRunner;
  });

  after(async () => {
    emulator?.kill("SIGTERM");
    if (emulator && emulator.exitCode === null) await once(emulator, "exit");
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs the task once with these task inputs (camelCase) and returns the runner. */
  async function runTask(inputs: Record<string, string>): Promise<MockTestRunnerType> {
    const connection: ServiceEndpoint = {
      id: CONNECTION_ID,
      url: `${info.url}/`,
      scheme: "ServicePrincipal",
      parameters: { serviceprincipalid: info.clientId, serviceprincipalkey: info.clientSecret, tenantid: info.tenantId, authenticationType: "spnKey" },
      data: {
        subscriptionId: info.subscriptionId,
        subscriptionName: "AVD images",
        environment: "AzureCloud",
        scopeLevel: "Subscription",
        activeDirectoryAuthority: `${info.url}/`,
      },
    };
    const agentTemp = mkdtempSync(join(work, "agent-temp-"));
    // What the agent puts in the task's environment besides the inputs (which run-task.ts sets from task.json).
    const env = agentEnv({}, [connection], { buildId: "4711", buildReason: "Manual", repositoryName: "avd-images" }, agentTemp, {
      NODE_EXTRA_CA_CERTS: info.caFile,
      HOME: process.env.HOME,
    });
    for (const [key, value] of Object.entries(env)) if (!key.startsWith("INPUT_")) process.env[key] = value;
    process.env.L0_INPUTS = JSON.stringify(inputs);

    const tr = new MockTestRunner();
    await tr.LoadAsync(RUN_TASK, TASK_JSON);
    await tr.runAsync();
    return tr;
  }

  const avdInputs = () =>
    requiredTaskInputs(info.avd, CONNECTION_ID, {
      source: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
      inlineScript: "Write-Host 'AVD image'",
      keepVersions: "3",
      pollIntervalSeconds: "1",
    });

  it("publishes 1.0.0: succeeded, every output variable, no error issue; Node 24 from the pre-filled cache, nothing downloaded", async () => {
    const tr = await runTask(avdInputs());
    const context = `${tr.stdout}\n${tr.stderr}`;
    assert.ok(tr.nodePath.startsWith(join(process.env.HOME!, "azure-pipelines-task-lib", "_download", "node24")), tr.nodePath);
    assert.doesNotMatch(context, /Downloading file|ERR_REQUIRE_ASYNC_MODULE/);
    assert.equal(tr.succeeded, true, context);
    assert.match(tr.stdout, /##vso\[task\.complete result=Succeeded;\]Done/);
    assert.deepEqual(tr.errorIssues, [], context);
    // The one warning allowed: the emulator on its own has no storage for the build log.
    assert.deepEqual(
      tr.warningIssues.filter((w) => !/customization\.log/.test(w)),
      [],
      tr.warningIssues.join("\n"),
    );
    const outputs = outputVariables(tr.stdout);
    assert.deepEqual(Object.keys(outputs).sort(), [...OUTPUTS].sort(), "every output variable of task.json");
    assert.ok(OUTPUTS.includes("imageVersion") && OUTPUTS.length >= 8);
    assert.equal(outputs.imageVersion, "1.0.0");
    assert.match(outputs.imageVersionId!, /\/galleries\/galAvd\/images\/win11-avd-m365\/versions\/1\.0\.0$/i);
    assert.equal(outputs.runState, "Succeeded");
    assert.equal(outputs.skipped, "false");
    assert.equal(outputs.templateReused, "false");
    assert.equal(outputs.sourceImageVersion, "26100.10000.250610");
    assert.equal(outputs.prunedVersions, "[]");
  });

  it("a bad input fails the task with an error issue that names the camelCase input, and sets no output", async () => {
    const tr = await runTask({ ...avdInputs(), keepVersions: "three", buildTimeoutMinutes: "5" });
    const context = `${tr.stdout}\n${tr.stderr}`;
    assert.equal(tr.failed, true, context);
    assert.match(tr.stdout, /##vso\[task\.complete result=Failed;\]/);
    assert.equal(tr.errorIssues.length, 1, tr.errorIssues.join("\n"));
    const [issue] = tr.errorIssues;
    assert.match(issue!, /Input 'keepVersions'/);
    assert.match(issue!, /Input 'buildTimeoutMinutes'/);
    assert.doesNotMatch(issue!, /keep-versions|build-timeout-minutes/, "task inputs are named as the pipeline writes them");
    assert.deepEqual(outputVariables(tr.stdout), {});
    assert.doesNotMatch(tr.stdout, /Created win11-avd-m365-/, "nothing was created");
  });
});
