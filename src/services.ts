/**
 * The outside world a run talks to, and the knobs that shorten it for tests: what `main()` injects into
 * the steps' context. The bundle uses {@link connectServices} (the Azure SDK clients signed in with the
 * host's credential, the GitHub release store) and the environment knobs; an in-process caller (the
 * tests under `__tests__/steps/`, or in-process runs against the emulator) passes its own through
 * {@link MainOptions}.
 */

import { createAzureGateway } from "./azure/gateway.ts";
import { createBuildLogOpener } from "./azure/log-blob.ts";
import { createAzureLookups } from "./azure/lookups.ts";
import { createEarlierLogOpener } from "./azure/previous-log.ts";
import { createScriptContentReader } from "./azure/script-content.ts";
import { createScriptStore } from "./azure/scripts-upload.ts";
import { ActionError } from "./errors.ts";
import { createReleaseStore } from "./github/releases.ts";
import type { Host } from "./hosts/host.ts";
import type { Settings } from "./settings/types.ts";
import type { StepContext } from "./steps/context.ts";
import type { RepositoryFiles } from "./template/scripts.ts";

/** The Azure side (and the GitHub release store) of a run: the parts of the steps' context that do I/O. */
export type Services = Pick<StepContext, "azure" | "lookups" | "buildLog" | "scriptStore" | "scriptContent" | "earlierLog" | "releases">;

/**
 * Makes the services for a run with validated `settings` in `host`; the post step (`stage: "post"`) uses
 * only `azure`. May throw an error that names the input to fix.
 */
export type ServicesFactory = (settings: Settings, host: Host, stage: "main" | "post") => Services | Promise<Services>;

/** What a caller of `main()` may set instead of the defaults (each one optional). */
export interface MainOptions {
  /** The services (default {@link connectServices}: the SDK clients with `host.createCredential(settings)`). */
  services?: ServicesFactory;
  /** The run's clock (default: `AVD_IMAGE_ACTION_CLOCK`, else the system clock), for the schedule guard and promotion. */
  now?: () => Date;
  /** Milliseconds one build-log minute lasts (default: `AVD_IMAGE_ACTION_MINUTE_MS`, else 60000). */
  minuteMs?: number;
  /** Milliseconds between two build status reads (default: the `poll-interval-seconds` input, whose minimum is 1 s). */
  pollIntervalMs?: number;
  /** Budget of the older-template cleanup after the summary, ms (default: `AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS`, else 5 minutes). */
  cleanupTimeoutMs?: number;
  /** Which step runs (default: `post` when the host state or `AVD_IMAGE_ACTION_STAGE` says so, else `main`). */
  stage?: "main" | "post";
  /**
   * The repository checkout `template-file` and `scripts` are read from (default: GITHUB_WORKSPACE,
   * BUILD_SOURCESDIRECTORY, else the current directory; template/scripts.ts `repositoryOnDisk`).
   */
  repository?: RepositoryFiles;
}

/**
 * The bundle's services: Image Builder, Compute, Resources, MSI and Storage SDK clients signed in with the
 * host's credential for `settings.cloud` (throttled answers logged to `host.info`, each ARM call to `host.debug`;
 * clients are made lazily),
 * and for the main step with `github-release: true` on GitHub the repository's release store.
 * @throws ActionError naming `github-release` when the repository is not known.
 */
export async function connectServices(settings: Settings, host: Host, stage: "main" | "post" = "main"): Promise<Services> {
  const credential = host.createCredential(settings);
  return {
    azure: createAzureGateway(credential, settings.subscriptionId, settings.cloud, host),
    lookups: createAzureLookups(credential, settings.cloud, host),
    buildLog: createBuildLogOpener(credential, settings.cloud, (m) => host.debug(m)),
    scriptStore: settings.scriptsStorage ? createScriptStore(credential) : undefined,
    scriptContent: createScriptContentReader(credential, settings.scriptsStorage ? [settings.scriptsStorage.blobEndpoint] : []),
    earlierLog: createEarlierLogOpener(credential, settings.cloud, (m) => host.debug(m)),
    releases: stage === "main" ? await releaseStoreOf(host, settings) : undefined,
  };
}

/**
 * The GitHub release store of `github-release: true` (GitHub only), for the repository the workflow runs in.
 * @throws ActionError naming the input when the repository is not known.
 */
async function releaseStoreOf(host: Host, settings: Settings): Promise<Services["releases"]> {
  if (!settings.githubRelease || host.kind !== "github") return undefined;
  const repository = (await host.provenance()).repository;
  if (!repository)
    throw new ActionError(
      "Input 'github-release' is true, but the repository is not known (GITHUB_REPOSITORY is not set): run it in a GitHub workflow, or set 'github-release: false'.",
    );
  return createReleaseStore({ token: settings.githubRelease.token, repository });
}
