/**
 * GitHub Actions host, on @actions/core: inputs from `INPUT_*`, outputs to `GITHUB_OUTPUT`, the job
 * summary to `GITHUB_STEP_SUMMARY`, annotations, log groups, and OIDC via `core.getIDToken`.
 */
import { tmpdir } from "node:os";
import * as core from "@actions/core";
import type { TokenCredential } from "@azure/core-auth";
import { createDefaultCredential, createFederatedCredential } from "../azure/credential.ts";
import { ActionError } from "../errors.ts";
import type { InputName } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";
import type { Host, Provenance } from "./host.ts";

/**
 * Default audience of GitHub OIDC tokens exchanged with Entra ID in the Azure public cloud (azure/login's
 * `audience` default). The token a run asks for carries `settings.auth.audience`: the `audience` input, or
 * the audience of `environment`'s cloud (src/cloud.ts).
 */
export const AZURE_OIDC_AUDIENCE = "api://AzureADTokenExchange";

/** Creates the GitHub Actions host; `env` is the process environment (GITHUB_* variables). */
export function createGitHubHost(env: NodeJS.ProcessEnv = process.env): Host {
  return {
    kind: "github",
    getInput: (name: InputName) => core.getInput(name),
    inputLabel: (name: InputName) => name,
    setOutput: (name, value) => core.setOutput(name, value),
    // `::debug::`, which the runner shows only with debug logging on.
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    notice: (message) => core.notice(message),
    error: (message) => core.error(message),
    group: (title, fn) => core.group(title, fn),
    setSecret: (value) => core.setSecret(value),
    async writeSummary(markdown) {
      if (!env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    setProgress: () => {
      // GitHub has no progress indicator; phase changes are logged by the pipeline.
    },
    manualTrigger: env.GITHUB_EVENT_NAME === "workflow_dispatch",
    async provenance() {
      const { context } = await import("@actions/github");
      return gitHubProvenance(context);
    },
    createCredential(settings: Settings): TokenCredential {
      if (settings.auth.kind === "oidc") {
        if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
          throw new ActionError(
            "Inputs 'client-id' and 'tenant-id' ask for GitHub OIDC, but this job cannot request an OIDC token. " +
              "Add 'permissions: id-token: write' to the workflow or job (and 'contents: read').",
          );
        }
        const audience = settings.auth.audience || AZURE_OIDC_AUDIENCE;
        return createFederatedCredential(settings.auth.tenantId, settings.auth.clientId, () => core.getIDToken(audience), settings.cloud);
      }
      return createDefaultCredential(settings.cloud);
    },
    tempDirectory: () => env.RUNNER_TEMP || tmpdir(),
    // GitHub has no command that attaches a file to a run: the workflow uploads it (actions/upload-artifact).
    attachFile: () => undefined,
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    setFailed: (message) => core.setFailed(message),
  };
}

/** What provenance reads of @actions/github's `context` (which reads the GITHUB_* variables the runner sets). */
export type GitHubContext = Pick<typeof import("@actions/github")["context"], "sha" | "runId" | "runAttempt" | "serverUrl" | "actor" | "eventName">;

/** Repository, commit, run URL, actor and event from @actions/github's `context`; absent parts left out. */
export function gitHubProvenance(context: GitHubContext, repository: string | undefined = process.env.GITHUB_REPOSITORY || undefined): Provenance {
  // `context.repo` throws without GITHUB_REPOSITORY: the repository is read beside it.
  const runUrl =
    repository && context.runId
      ? `${context.serverUrl}/${repository}/actions/runs/${context.runId}${context.runAttempt ? `/attempts/${context.runAttempt}` : ""}`
      : undefined;
  const provenance: Provenance = {
    repository,
    commit: context.sha || undefined,
    runUrl,
    actor: context.actor || undefined,
    event: context.eventName || undefined,
  };
  return Object.fromEntries(Object.entries(provenance).filter(([, v]) => v !== undefined)) as Provenance;
}
