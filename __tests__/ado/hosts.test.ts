/**
 * One bundle, two hosts: the task library is loaded only under Azure DevOps (TF_BUILD), because loading
 * it moves INPUT_* variables out of process.env and writes a `.taskkey` file. These tests pin the facts
 * about azure-pipelines-task-lib the Azure DevOps host is built on, and show the GitHub side untouched.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BUNDLE, parseVsoCommands } from "../../harness/ado-agent.ts";
import { parseOutputFile, runnerEnv } from "../../harness/github-runner.ts";
import { neutralizeCommands } from "../../src/hosts/azure-pipelines-log.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Every `.taskkey` under `dir` (one level deep is where the task library writes it). */
function taskKeys(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith(".taskkey"))
          .map((f) => join(dir, f))
      : [],
  );
}

/** Runs a small ESM script with node 24 in `cwd` and `env` (nothing inherited but PATH). */
function script(source: string, env: Record<string, string>, cwd: string) {
  const file = join(cwd, "probe.mjs");
  writeFileSync(file, source);
  return spawnSync(process.execPath, [file], { cwd, env: { PATH: process.env.PATH ?? "", NODE_PATH: join(root, "node_modules"), ...env }, encoding: "utf8" });
}

describe("azure-pipelines-task-lib, as measured", () => {
  const taskLib = JSON.stringify(join(root, "node_modules/azure-pipelines-task-lib/task.js"));

  it("importing it moves INPUT_*/ENDPOINT_AUTH_*/SECRET_* out of process.env into its vault and writes .taskkey in AGENT_TEMPDIRECTORY", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklib-"));
    const temp = mkdtempSync(join(tmpdir(), "tasklib-temp-"));
    const result = script(
      `import { createRequire } from "node:module";
       const before = { input: process.env.INPUT_SUBSCRIPTIONID, endpoint: process.env.ENDPOINT_AUTH_X, data: process.env.ENDPOINT_DATA_X_SUBSCRIPTIONID };
       const tl = createRequire(import.meta.url)(${taskLib});
       console.log(JSON.stringify({ before, after: { input: process.env.INPUT_SUBSCRIPTIONID ?? null, endpoint: process.env.ENDPOINT_AUTH_X ?? null, data: process.env.ENDPOINT_DATA_X_SUBSCRIPTIONID ?? null, secret: process.env.SECRET_SYSTEM_ACCESSTOKEN ?? null },
         read: { input: tl.getInput("subscriptionId"), endpoint: tl.getEndpointAuthorization("X", true).scheme, token: tl.getVariable("System.AccessToken") } }));`,
      {
        AGENT_TEMPDIRECTORY: temp,
        INPUT_SUBSCRIPTIONID: "sub-1",
        ENDPOINT_AUTH_X: JSON.stringify({ parameters: {}, scheme: "OAuth" }),
        ENDPOINT_DATA_X_SUBSCRIPTIONID: "sub-2",
        SECRET_SYSTEM_ACCESSTOKEN: "tok",
        VSTS_SECRET_VARIABLES: JSON.stringify(["System.AccessToken"]),
      },
      dir,
    );
    assert.equal(result.status, 0, result.stderr);
    const facts = JSON.parse(result.stdout.split("\n").find((l) => l.startsWith("{"))!) as Record<string, Record<string, unknown>>;
    assert.deepEqual(
      facts.after,
      { input: null, endpoint: null, data: "sub-2", secret: null },
      "INPUT_, ENDPOINT_AUTH_ and SECRET_ are gone; ENDPOINT_DATA_ stays",
    );
    assert.deepEqual(facts.read, { input: "sub-1", endpoint: "OAuth", token: "tok" }, "… and readable only through the library");
    assert.deepEqual(taskKeys(temp), [join(temp, ".taskkey")]);
    assert.deepEqual(taskKeys(dir), [], "not in the working directory when AGENT_TEMPDIRECTORY is set");
  });

  it("without AGENT_TEMPDIRECTORY it writes .taskkey into the working directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklib-"));
    const result = script(`import { createRequire } from "node:module"; createRequire(import.meta.url)(${taskLib});`, {}, dir);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(taskKeys(dir), [join(dir, ".taskkey")]);
  });

  it("setResult(Failed) prints task.complete result=Failed but leaves the exit code 0: the entry point must set it", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklib-"));
    const result = script(
      `import { createRequire } from "node:module"; const tl = createRequire(import.meta.url)(${taskLib}); tl.setResult(tl.TaskResult.Failed, "it broke");`,
      { AGENT_TEMPDIRECTORY: dir },
      dir,
    );
    assert.equal(result.status, 0);
    const complete = parseVsoCommands(result.stdout).filter((c) => c.command === "task.complete");
    assert.deepEqual(
      complete.map((c) => [c.properties.result, c.message]),
      [["Failed", "it broke"]],
    );
  });
});

describe("the bundle under GitHub Actions never loads the task library", () => {
  let s: Scenario;
  before(async () => (s = await startScenario()));
  after(() => s.emu.close());

  /** Spawns the bundle in a fresh working directory with a runner's env (plus `extra`); async, the emulator runs in this process. */
  async function runInFreshDir(extra: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "gh-runner-"));
    const cwd = mkdtempSync(join(tmpdir(), "gh-workspace-"));
    const env = runnerEnv(s.inputs({ "dry-run": "true" }), { ...s.env(), GITHUB_WORKSPACE: cwd, ...extra }, dir);
    const child = spawn(process.execPath, [BUNDLE], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { result: { status, stdout, stderr }, dir, cwd, outputs: parseOutputFile(readFileSync(env.GITHUB_OUTPUT!, "utf8")) };
  }

  it("reads its INPUT_* variables, prints no ##vso command and writes no .taskkey", async () => {
    const { result, dir, cwd, outputs } = await runInFreshDir();
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.equal(outputs["run-state"], "DryRun", "the inputs were read: a dry run of the configured image");
    assert.equal(outputs["image-version"], "1.0.0");
    assert.doesNotMatch(result.stdout, /##vso\[/);
    assert.deepEqual(taskKeys(cwd, dir), []);
  });

  it("the same run with TF_BUILD set is an Azure DevOps run: the library loads and writes its .taskkey (so the check above can fail)", async () => {
    const { result, cwd } = await runInFreshDir({ TF_BUILD: "True" });
    assert.match(result.stdout, /##vso\[task\.complete result=Failed;\]/, "inputs are read under their camelCase names there, so this one fails");
    assert.deepEqual(taskKeys(cwd), [join(cwd, ".taskkey")]);
  });
});

describe("Azure DevOps log lines", () => {
  it("text relayed from Azure cannot issue logging commands", () => {
    const hostile =
      "Customizer failed: ##vso[task.setvariable variable=imageVersion;isOutput=true]9.9.9\n##[group]fake\nok ##VSO[task.complete result=Succeeded]";
    const safe = neutralizeCommands(hostile);
    assert.deepEqual(parseVsoCommands(safe), []);
    assert.doesNotMatch(safe, /^##\[/m);
    assert.equal(safe.replace(/\u200b/g, ""), hostile, "only zero-width spaces added");
    assert.equal(neutralizeCommands("Build phase: Customizing (3.0 min elapsed)"), "Build phase: Customizing (3.0 min elapsed)");
  });
});
