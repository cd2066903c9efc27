/**
 * A stand-in for the Azure Pipelines agent, for the tests: spawns the bundled task (`node dist/index.js`)
 * the way the agent's Node handler does, and parses what it prints.
 *
 * Environment, as the agent builds it (azure-pipelines-agent, Handler.cs):
 *  - every input of task.json as `INPUT_<NAME>` (name upper-cased, '.' and ' ' → '_'), defaults from
 *    task.json's `defaultValue` for inputs the step does not set;
 *  - each service connection `<id>` as `ENDPOINT_URL_<id>`, `ENDPOINT_AUTH_<id>` (JSON `{parameters, scheme}`),
 *    `ENDPOINT_AUTH_SCHEME_<id>`, `ENDPOINT_AUTH_PARAMETER_<id>_<KEY>`, `ENDPOINT_DATA_<id>` (JSON) and
 *    `ENDPOINT_DATA_<id>_<KEY>`; the job's own connection as `ENDPOINT_*_SYSTEMVSSCONNECTION` with the
 *    OAuth `AccessToken` (System.AccessToken);
 *  - public variables as env (SYSTEM_*, BUILD_*, AGENT_*, `TF_BUILD=True`) and their names in
 *    VSTS_PUBLIC_VARIABLES; secret variables as `SECRET_<NAME>` and VSTS_SECRET_VARIABLES.
 * The agent reads `##vso[...]` commands from stdout: this parses them (task.setvariable, task.settaskvariable,
 * task.complete, task.uploadsummary, task.setprogress, task.logissue/task.issue, task.setsecret).
 *
 * A task runs in up to three executions per step — `prejobexecution`, `execution` (main), `postjobexecution`
 * in task.json — each with the handler target of its section, the same inputs and endpoints, and the task
 * variables the earlier executions set with `task.settaskvariable`, as `VSTS_TASKVARIABLE_<NAME>`
 * (JobExtension.cs, TaskRunner.cs, Handler.cs AddTaskVariablesToEnvironment). `runTask(…, { stage: "postjob",
 * taskVariables })` starts the post-job execution that way; the agent gives it the condition always().
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Path of the committed bundle. */
export const BUNDLE = fileURLToPath(new URL("../dist/index.js", import.meta.url));
/** Path of task.json. */
export const TASK_JSON = fileURLToPath(new URL("../task.json", import.meta.url));
/** The task's folder: handler targets in task.json are relative to it. */
const TASK_DIR = fileURLToPath(new URL("../", import.meta.url));

/** An execution of a task step: the main one (task.json `execution`) or the post-job one (`postjobexecution`). */
export type TaskStage = "main" | "postjob";

/** A service connection as the agent passes it to a task. */
export interface ServiceEndpoint {
  /** Connection id (GUID); the value of the connectedService input. */
  id: string;
  /** `ENDPOINT_URL_<id>`: for Azure Resource Manager connections, the Resource Manager URL. */
  url?: string;
  /** Authorization scheme: WorkloadIdentityFederation, ServicePrincipal, ManagedServiceIdentity… */
  scheme?: string;
  /** Authorization parameters (keys as Azure DevOps spells them: serviceprincipalid, tenantid…). */
  parameters?: Record<string, string>;
  /** Endpoint data (subscriptionId, environment, …). */
  data?: Record<string, string>;
}

/** One `##vso[area.event k=v;…]message` line. */
export interface VsoCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** What a spawned task run left behind. */
export interface TaskRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  commands: VsoCommand[];
  /** Output variables (`task.setvariable` with isOutput=true). */
  outputs: Record<string, string>;
  /** Task variables (`task.settaskvariable`), last value of each: what the agent hands the task's later executions. */
  taskVariables: Record<string, string>;
  /** Uploaded summaries: path and the file's content when the task exited. */
  summaries: { path: string; content: string }[];
  /** `task.setprogress` values and texts, in order. */
  progress: { value: number; text: string }[];
  /** `task.logissue` / `task.issue` lines. */
  issues: { type: string; message: string }[];
  /** The `task.complete` result (last one), if any. */
  result?: { result: string; message: string };
  /** Log lines that are not commands or debug output (what the agent shows). */
  log: string[];
  /** AGENT_TEMPDIRECTORY of the run. */
  tempDirectory: string;
  durationMs: number;
}

/** Agent-style env var name: upper case, '.' and ' ' → '_'. */
export function envName(name: string): string {
  return name.replace(/[. ]/g, "_").toUpperCase();
}

function unescapeData(s: string): string {
  return s
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%AZP25/g, "%");
}

function unescapeProperty(s: string): string {
  return s
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%5D/g, "]")
    .replace(/%3B/g, ";")
    .replace(/%AZP25/g, "%");
}

/** Parses the `##vso[...]` commands of a task's output. */
export function parseVsoCommands(stdout: string): VsoCommand[] {
  const commands: VsoCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /##vso\[([^\] ]+)(?: ([^\]]*))?\](.*)$/.exec(line);
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const part of (m[2] ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) properties[part.slice(0, eq).trim().toLowerCase()] = unescapeProperty(part.slice(eq + 1));
    }
    commands.push({ command: m[1]!.toLowerCase(), properties, message: unescapeData(m[3] ?? "") });
  }
  return commands;
}

/** The env the agent gives a later execution of the same task (the post-job one): `VSTS_TASKVARIABLE_<NAME>` per task variable. */
export function taskVariableEnv(taskVariables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(taskVariables).map(([name, value]) => [`VSTS_TASKVARIABLE_${envName(name)}`, value]));
}

/**
 * The script the agent runs for `stage`: the target of task.json's Node24 handler (else Node20_1) in the
 * stage's section. Throws when the section has none: the agent would then run no such execution.
 */
export function stageTarget(stage: TaskStage): string {
  const section = stage === "postjob" ? "postjobexecution" : "execution";
  const task = JSON.parse(readFileSync(TASK_JSON, "utf8")) as Record<string, Record<string, { target?: string }> | undefined>;
  const target = task[section]?.Node24?.target ?? task[section]?.Node20_1?.target;
  if (!target) throw new Error(`task.json has no Node24 or Node20_1 handler in '${section}': the agent runs no ${stage} execution of this task`);
  return join(TASK_DIR, target);
}

/** The job an agent runs in: the variables it exposes besides the endpoints and inputs. */
export interface AgentJob {
  /** `System.CollectionUri`, e.g. https://dev.azure.com/contoso/ */
  collectionUri?: string;
  project?: string;
  projectId?: string;
  /** `System.OidcRequestUri` (workload identity federation). */
  oidcRequestUri?: string;
  /** `System.AccessToken`. */
  accessToken?: string;
  buildId?: string;
  /** `Build.Reason`: IndividualCI, Schedule, Manual… */
  buildReason?: string;
  repositoryName?: string;
  sourceVersion?: string;
}

/**
 * The env of one task step: agent variables, endpoints, inputs (with task.json defaults), plus `env`
 * (which wins; a value of undefined removes a variable).
 */
export function agentEnv(
  inputs: Record<string, string>,
  endpoints: ServiceEndpoint[],
  job: AgentJob,
  tempDirectory: string,
  env: Record<string, string | undefined> = {},
): Record<string, string> {
  const collectionUri = job.collectionUri ?? "https://dev.azure.com/contoso/";
  const publicVariables: Record<string, string> = {
    "Agent.TempDirectory": tempDirectory,
    "Agent.WorkFolder": tempDirectory,
    "Agent.Version": "4.266.2",
    "Agent.JobName": "Build AVD image",
    "System.CollectionUri": collectionUri,
    "System.TeamFoundationCollectionUri": collectionUri,
    "System.TeamProject": job.project ?? "avd-images",
    "System.TeamProjectId": job.projectId ?? "00000000-0000-0000-0000-000000000001",
    "System.HostType": "build",
    "System.DefinitionId": "12",
    "System.JobId": "00000000-0000-0000-0000-000000000002",
    "System.PlanId": "00000000-0000-0000-0000-000000000003",
    "Build.BuildId": job.buildId ?? "4711",
    "Build.BuildNumber": "20250610.1",
    "Build.Reason": job.buildReason ?? "Schedule",
    "Build.Repository.Name": job.repositoryName ?? "avd-images",
    "Build.Repository.Provider": "TfsGit",
    "Build.SourceVersion": job.sourceVersion ?? "9c1e5f0a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e",
    "Build.SourceBranch": "refs/heads/main",
  };
  if (job.oidcRequestUri) publicVariables["System.OidcRequestUri"] = job.oidcRequestUri;
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tempDirectory,
    // Node's compile cache, when the test run turned it on (scripts/test-setup.ts): a speed setting, not the CI system's.
    ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
    TF_BUILD: "True",
    AGENT_TEMPDIRECTORY: tempDirectory,
  };
  for (const [name, value] of Object.entries(publicVariables)) base[envName(name)] = value;
  base.VSTS_PUBLIC_VARIABLES = JSON.stringify(Object.keys(publicVariables));
  const secretNames: string[] = [];
  if (job.accessToken) {
    base.SECRET_SYSTEM_ACCESSTOKEN = job.accessToken;
    secretNames.push("System.AccessToken");
  }
  base.VSTS_SECRET_VARIABLES = JSON.stringify(secretNames);

  const system: ServiceEndpoint = {
    id: "SYSTEMVSSCONNECTION",
    url: collectionUri,
    scheme: "OAuth",
    parameters: job.accessToken ? { AccessToken: job.accessToken } : {},
  };
  for (const endpoint of [system, ...endpoints]) {
    const id = endpoint.id;
    if (endpoint.url !== undefined) base[`ENDPOINT_URL_${id}`] = endpoint.url;
    base[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ parameters: endpoint.parameters ?? {}, scheme: endpoint.scheme ?? null });
    if (endpoint.scheme) {
      base[`ENDPOINT_AUTH_SCHEME_${id}`] = endpoint.scheme;
      for (const [key, value] of Object.entries(endpoint.parameters ?? {})) base[`ENDPOINT_AUTH_PARAMETER_${id}_${envName(key)}`] = value;
    }
    if (id !== "SYSTEMVSSCONNECTION") {
      base[`ENDPOINT_DATA_${id}`] = JSON.stringify(endpoint.data ?? {});
      for (const [key, value] of Object.entries(endpoint.data ?? {})) base[`ENDPOINT_DATA_${id}_${envName(key)}`] = value;
    }
  }

  // The agent passes every input of the task: the step's value, else task.json's defaultValue.
  const task = JSON.parse(readFileSync(TASK_JSON, "utf8")) as { inputs: { name: string; defaultValue?: string | boolean }[] };
  const all: Record<string, string> = {};
  for (const input of task.inputs) all[input.name] = input.defaultValue === undefined ? "" : String(input.defaultValue);
  Object.assign(all, inputs);
  for (const [name, value] of Object.entries(all)) base[`INPUT_${envName(name)}`] = value;

  const result: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

/** Reads a run's output into a {@link TaskRun}. */
function collect(stdout: string, stderr: string, exitCode: number | null, signal: NodeJS.Signals | null, tempDirectory: string, durationMs: number): TaskRun {
  const commands = parseVsoCommands(stdout);
  const outputs: Record<string, string> = {};
  const taskVariables: Record<string, string> = {};
  const summaries: TaskRun["summaries"] = [];
  const progress: TaskRun["progress"] = [];
  const issues: TaskRun["issues"] = [];
  let result: TaskRun["result"];
  for (const c of commands) {
    if (c.command === "task.setvariable" && c.properties.isoutput === "true") outputs[c.properties.variable!] = c.message;
    else if (c.command === "task.settaskvariable" && c.properties.variable) taskVariables[c.properties.variable] = c.message;
    else if (c.command === "task.uploadsummary") summaries.push({ path: c.message, content: existsSync(c.message) ? readFileSync(c.message, "utf8") : "" });
    else if (c.command === "task.setprogress") progress.push({ value: Number(c.properties.value), text: c.message });
    else if (c.command === "task.logissue" || c.command === "task.issue") issues.push({ type: c.properties.type ?? "", message: c.message });
    else if (c.command === "task.complete") result = { result: c.properties.result ?? "", message: c.message };
  }
  const log = stdout.split(/\r?\n/).filter((line) => line !== "" && !line.startsWith("##vso["));
  return { exitCode, signal, stdout, stderr, commands, outputs, taskVariables, summaries, progress, issues, result, log, tempDirectory, durationMs };
}

/**
 * Runs the bundle as an agent runs the task; resolves when it exits (killed after `timeoutMs`, default
 * 60 s). The working directory is a fresh directory, like the agent's sources directory. `stage` picks
 * the execution (the handler target of task.json's section, unless `bundle` is given); `taskVariables`
 * are those the task's earlier executions set (a main run's `taskVariables`), passed as the agent does.
 */
export async function runTask(
  inputs: Record<string, string>,
  endpoints: ServiceEndpoint[],
  job: AgentJob,
  options: {
    env?: Record<string, string | undefined>;
    stage?: TaskStage;
    taskVariables?: Record<string, string>;
    timeoutMs?: number;
    bundle?: string;
    node?: string;
    echo?: boolean;
    onSpawn?: (child: ChildProcess) => void;
    onStdout?: (chunk: string) => void;
  } = {},
): Promise<TaskRun> {
  const tempDirectory = mkdtempSync(join(tmpdir(), "ado-agent-temp-"));
  const cwd = mkdtempSync(join(tmpdir(), "ado-agent-sources-"));
  const env = agentEnv(inputs, endpoints, job, tempDirectory, { ...taskVariableEnv(options.taskVariables ?? {}), ...options.env });
  const script = options.bundle ?? stageTarget(options.stage ?? "main");
  const started = Date.now();
  const child = spawn(options.node ?? process.execPath, [script], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(chunk.toString());
    if (options.echo) process.stdout.write(chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.echo) process.stderr.write(chunk);
  });
  options.onSpawn?.(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (code, sig) => resolve([code, sig])));
  clearTimeout(timer);
  return collect(stdout, stderr, exitCode, signal, tempDirectory, Date.now() - started);
}
