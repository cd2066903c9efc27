/**
 * Azure DevOps host, on azure-pipelines-task-lib: task inputs (camelCase twins of the action's
 * kebab-case inputs), output variables (`isOutput=true`), `##vso[task.logissue]` warnings and errors,
 * `##[group]` sections, `task.setprogress`, the summary as a markdown file uploaded with
 * `task.uploadsummary`, and credentials from the AzureRM service connection named by `azureSubscription`.
 *
 * Import this module only under Azure DevOps (TF_BUILD set), and only dynamically: importing the task
 * library moves every INPUT_*, ENDPOINT_AUTH_* and SECRET_* variable out of process.env into its vault
 * and writes a `.taskkey` file (in AGENT_TEMPDIRECTORY, else the working directory).
 *
 * Host state (`saveState`/`getState`) lives in task variables (`task.settaskvariable`), which the agent hands
 * to the task's post-job execution (task.json `postjobexecution`, the same bundle): see `saveState` below.
 *
 * The task result: `setFailed` reports `task.complete result=Failed`; a run that ends with exit code 0
 * and no failure reports `task.complete result=Succeeded` when the process is about to exit. The
 * process exit code itself is set by the entry point (the task library's setResult does not set it).
 */
import { mkdtempSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import * as tl from "azure-pipelines-task-lib/task.js";
import {
  type ConnectionTarget,
  type EndpointReader,
  SERVICE_CONNECTION_INPUT,
  ServiceConnectionError,
  connectionArmEndpoint,
  connectionAuthorityHost,
  connectionSubscription,
  createConnectionCredential,
  effectiveEnvironment,
  environmentProblem,
  readConnectionAuth,
  readConnectionTarget,
} from "../azure/service-connection.ts";
import { INPUTS, camelCase } from "../settings/contract.ts";
import { INPUT_DEFAULTS, type InputName } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";
import { neutralizeCommands } from "./azure-pipelines-log.ts";
import type { Host, Provenance } from "./host.ts";

export { camelCase };

/**
 * Inputs of the GitHub Action that the task does not have (the contract's `host: "github"`): on Azure
 * DevOps the service connection is the identity, and there is no GitHub release. Read as unset.
 */
const GITHUB_ONLY_INPUTS: ReadonlySet<string> = new Set(INPUTS.filter((input) => "host" in input && input.host === "github").map((input) => input.name));

/**
 * The authorization of an endpoint (`ENDPOINT_AUTH_<id>`: `{ scheme, parameters }`). Read whole because the
 * task library's per-parameter getter prints each value in a debug line, secrets included.
 */
function endpointAuthorization(id: string): { scheme?: string; parameters: Record<string, string> } | undefined {
  let auth: ReturnType<typeof tl.getEndpointAuthorization>;
  try {
    auth = tl.getEndpointAuthorization(id, true);
  } catch {
    return undefined; // not JSON: fall back to the per-field variables
  }
  if (!auth) return undefined;
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(auth.parameters ?? {})) parameters[key.toLowerCase()] = value;
  return { scheme: auth.scheme, parameters };
}

/** The service connection fields the agent provides, read through the task library. */
const taskLibEndpoints: EndpointReader = {
  scheme: (id) => endpointAuthorization(id)?.scheme || tl.getEndpointAuthorizationScheme(id, true) || undefined,
  authParameter: (id, key) => {
    const auth = endpointAuthorization(id);
    return (auth ? auth.parameters[key.toLowerCase()] : tl.getEndpointAuthorizationParameter(id, key, true)) || undefined;
  },
  data: (id, key) => tl.getEndpointDataParameter(id, key, true) || undefined,
  url: (id) => tl.getEndpointUrl(id, true) || undefined,
};

/** The job's access token: the agent passes it as the SystemVssConnection endpoint's `AccessToken`. */
function systemAccessToken(env: NodeJS.ProcessEnv): string | undefined {
  return endpointAuthorization("SYSTEMVSSCONNECTION")?.parameters.accesstoken || tl.getVariable("System.AccessToken") || env.SYSTEM_ACCESSTOKEN || undefined;
}

/** Creates the Azure DevOps host; `env` is the process environment (SYSTEM_*, BUILD_*, AGENT_* variables). */
export function createAzurePipelinesHost(env: NodeJS.ProcessEnv = process.env): Host {
  const connectionId = (tl.getInput(SERVICE_CONNECTION_INPUT, false) ?? "").trim();
  const target: ConnectionTarget = connectionId ? readConnectionTarget(connectionId, taskLibEndpoints) : {};
  const rawInput = (name: InputName) => (GITHUB_ONLY_INPUTS.has(name) ? "" : (tl.getInput(camelCase(name), false) ?? ""));
  const environment = () => effectiveEnvironment(rawInput("environment").trim(), INPUT_DEFAULTS.environment, target);

  const getInput = (name: InputName): string => {
    const value = rawInput(name);
    if (value.trim() !== "") return value;
    switch (name) {
      case "subscription-id":
        // No subscription without a usable connection: say which, rather than "subscriptionId is required".
        return connectionSubscription(connectionId, taskLibEndpoints, target);
      case "environment":
        return environment();
      case "arm-endpoint":
        return connectionArmEndpoint(environment(), target);
      case "authority-host":
        return connectionAuthorityHost(environment(), target);
      default:
        return value;
    }
  };

  let completed = false;
  let summaries = 0;
  let summaryDir: string | undefined;
  /** Reports the result of a run that did not fail (setFailed reports its own): Succeeded when the exit code is 0. */
  const complete = (sync: boolean) => {
    if (completed) return;
    completed = true;
    const code = Number(process.exitCode ?? 0);
    if (!sync) tl.setResult(code === 0 ? tl.TaskResult.Succeeded : tl.TaskResult.Failed, code === 0 ? "Done" : `Exit code ${code}`);
    else writeSync(1, `##vso[task.complete result=${code === 0 ? "Succeeded" : "Failed"};]${code === 0 ? "Done" : `Exit code ${code}`}\n`);
  };
  // The entry point sets process.exitCode and lets the event loop drain: report the result then.
  process.once("beforeExit", () => complete(false));
  // After an explicit process.exit() there is no beforeExit, and only synchronous writes get out.
  process.once("exit", () => complete(true));

  return {
    kind: "azure-pipelines",
    getInput,
    inputLabel: (name: InputName) => camelCase(name),
    setOutput: (name, value) => tl.setVariable(camelCase(name), value, false, true),
    // `##[debug]`, which the agent shows only with system.debug on.
    debug: (message) => tl.debug(message),
    info: (message) => process.stdout.write(`${neutralizeCommands(message)}\n`),
    warning: (message) => tl.logIssue(tl.IssueType.Warning, message),
    notice: (message) => tl.logIssue(tl.IssueType.Warning, message),
    error: (message) => tl.logIssue(tl.IssueType.Error, message),
    async group(title, fn) {
      process.stdout.write(`##[group]${title}\n`);
      try {
        return await fn();
      } finally {
        process.stdout.write("##[endgroup]\n");
      }
    },
    setSecret(value) {
      // The agent masks one line per secret (the task library refuses multi-line secrets).
      for (const line of value.split(/\r?\n/)) if (line.trim() !== "") tl.setSecret(line);
    },
    async writeSummary(markdown) {
      summaryDir ??= mkdtempSync(join(env.AGENT_TEMPDIRECTORY || tmpdir(), "avd-image-summary-"));
      summaries += 1;
      // The agent shows an uploaded summary as a section titled by the file's name.
      const file = join(summaryDir, summaries === 1 ? "AVD image.md" : `AVD image (${summaries}).md`);
      writeFileSync(file, markdown);
      tl.uploadSummary(file);
    },
    tempDirectory: () => env.AGENT_TEMPDIRECTORY || tmpdir(),
    attachFile: (path) => tl.uploadFile(path),
    setProgress: (percent, description) => tl.setProgress(Math.max(0, Math.min(100, Math.round(percent))), description),
    manualTrigger: env.BUILD_REASON === "Manual",
    provenance: async () => azurePipelinesProvenance(env),
    createCredential(settings: Settings): TokenCredential {
      const auth = readConnectionAuth(connectionId, taskLibEndpoints);
      const problem = environmentProblem(connectionId, environment(), target);
      if (problem) throw new ServiceConnectionError(problem);
      return createConnectionCredential(connectionId, auth, settings.cloud, {
        oidcRequestUri: env.SYSTEM_OIDCREQUESTURI || undefined,
        accessToken: systemAccessToken(env),
      });
    },
    // State for the post-job execution, kept as task variables. What the agent does with them, read in its source
    // (github.com/microsoft/azure-pipelines-agent, src/Agent.Worker/):
    //  - `##vso[task.settaskvariable variable=<name>]<value>` sets <name> in this task instance's own variables
    //    (TaskCommandExtension.cs, TaskSetTaskVariableCommand → context.TaskVariables.Set); the agent reads the
    //    command from stdout as it is printed, so what a killed execution printed before dying is kept;
    //  - the pre-job, main and post-job executions of one task instance share those variables
    //    (JobExtension.cs InitializeJob: one `taskVariablesMapping[task.Id]` for the three), and every Node
    //    handler passes them to the process as VSTS_TASKVARIABLE_<NAME> (Handler.cs AddTaskVariablesToEnvironment,
    //    NodeHandler.cs), '.' and ' ' → '_', upper-cased, like task-lib's getTaskVariable key;
    //  - the post-job execution (task.json `postjobexecution`) gets the step's inputs and service connections
    //    as the main one does (TaskRunner.cs: same TaskStep, handler picked from PostJobExecution), and runs
    //    with the condition always() (JobExtension.cs: `taskRunner.Condition = ExpressionManager.Always`),
    //    re-evaluated after a job cancel, so it runs after a canceled or failed job — unless the agent itself
    //    is shutting down (StepsRunner.cs). It runs even when the main execution did not run (skipped by its
    //    condition, or the job failed or was canceled before it): then it sees none of these variables, and
    //    nothing else in its environment tells it from a main execution (the handler passes no arguments).
    // task-lib's getTaskVariable trims the value; it is undefined (or '') for a variable unset or set to ''.
    saveState: (name, value) => tl.setTaskVariable(name, value),
    getState: (name) => tl.getTaskVariable(name) ?? "",
    setFailed(message) {
      completed = true;
      tl.setResult(tl.TaskResult.Failed, message);
    },
  };
}

/** Repository, commit and run URL from the BUILD_* and SYSTEM_* variables the agent sets. */
export function azurePipelinesProvenance(env: NodeJS.ProcessEnv): Provenance {
  const project = env.SYSTEM_TEAMPROJECT || undefined;
  const name = env.BUILD_REPOSITORY_NAME || undefined;
  // Azure Repos names a repository without its project; GitHub repositories come as owner/repo.
  const repository = name && project && !name.includes("/") ? `${project}/${name}` : name;
  const collection = env.SYSTEM_COLLECTIONURI ? env.SYSTEM_COLLECTIONURI.replace(/\/*$/, "/") : undefined;
  const runUrl =
    collection && project && env.BUILD_BUILDID ? `${collection}${encodeURIComponent(project)}/_build/results?buildId=${env.BUILD_BUILDID}` : undefined;
  return { repository, commit: env.BUILD_SOURCEVERSION || undefined, runUrl, actor: env.BUILD_REQUESTEDFOR || undefined, event: env.BUILD_REASON || undefined };
}
