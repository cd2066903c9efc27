/**
 * GitHub Actions host, on @actions/core: inputs from `INPUT_*`, outputs to `GITHUB_OUTPUT`, the job
 * summary to `GITHUB_STEP_SUMMARY`, annotations, log groups, and OIDC via `core.getIDToken`.
 */
import { tmpdir } from "node:os";
import * as core from "@actions/core";
import type { TokenCredential } from "@azure/core-auth";
import { createDefaultCredential, createFederatedCredential } from "../azure/credential.ts";
import type { InputName, Settings } from "../settings.ts";
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
    provenance: () => gitHubProvenance(env),
    createCredential(settings: Settings): TokenCredential {
      if (settings.auth.kind === "oidc") {
        if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
          throw new Error(
            "Inputs 'client-id' and 'tenant-id' ask for GitHub OIDC, but this job cannot request an OIDC token. " +
              "Add 'permissions: id-token: write' to the workflow or job (and 'contents: read').",
          );
        }
        const audience = settings.auth.audience || AZURE_OIDC_AUDIENCE;
        return createFederatedCredential(
          settings.auth.tenantId,
          settings.auth.clientId,
          () => core.getIDToken(audience),
          settings.cloud,
        );
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

/** Repository, commit and run URL from the GITHUB_* variables the runner sets. */
export function gitHubProvenance(env: NodeJS.ProcessEnv): Provenance {
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const repository = env.GITHUB_REPOSITORY || undefined;
  const runUrl =
    repository && env.GITHUB_RUN_ID
      ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ""}`
      : undefined;
  return { repository, commit: env.GITHUB_SHA || undefined, runUrl, actor: env.GITHUB_ACTOR || undefined, event: env.GITHUB_EVENT_NAME || undefined };
}
