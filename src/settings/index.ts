/**
 * Inputs → one typed, validated `Settings`, the same for the GitHub Action and the Azure DevOps task.
 *
 * The host hands in a function that reads an input by its canonical (action.yml, kebab-case) name.
 * Every bad value is reported — all of them, not just the first — naming the input as the user wrote
 * it and saying how to fix it, before any Azure call is made. The parts:
 * - `inputs.ts`: the input contract (names, required inputs, defaults) and the problems collector;
 * - `types.ts`: `Settings` and the types it is made of;
 * - `formats.ts`: the value and line formats (source, target regions, key=value tags, lists);
 * - `build-vm.ts`: the build VM's network, staging resource group and error handling;
 * - `template-overlay.ts`: the template file laid under the inputs, and the image content.
 *
 * Pure but for `template-file` and `scripts`, which are read through `RepositoryFiles`.
 */
import * as z from "zod/mini";
import { AZURE_CLOUDS, type AzureEnvironmentName, resolveCloud } from "../cloud.ts";
import { ID_SHAPES, isGalleryName, isGuid, isImageDefinitionName, isResourceGroupName, isUserAssignedIdentityId } from "../resource-id.ts";
import { MAX_PATCH_TUESDAY_OFFSET, parseSchedule } from "../schedule.ts";
import type { RepositoryFiles } from "../template/scripts.ts";
import { MAX_UPDATE_LIMIT, WINDOWS_UPDATE_DEFAULTS, parseWindowsUpdateFilters, searchCriteriaProblem } from "../template/windows-update.ts";
import { MAX_VERSION_PART, VERSION_STRATEGIES, type Version, type VersionStrategy, parseVersion } from "../versioning.ts";
import {
  BUILD_TIMEOUT_FIX,
  REGION,
  STORAGE_ACCOUNT_TYPES,
  booleanInput,
  buildTimeout,
  optionalHttpsUrl,
  parseReplicationMode,
  parseScriptUris,
  parseSource,
  parseTags,
  parseTargetRegions,
  wholeNumber,
} from "./formats.ts";
import { type InputCollector, type InputName, type InputReader, SettingsError, collectInputs } from "./inputs.ts";
import { overlayTemplateFile } from "./template-overlay.ts";
import { type AuthSettings, BUILD_LOG_LEVELS, type ImageSource, type Settings } from "./types.ts";

export { BUILD_TIMEOUT_FIX } from "./formats.ts";
export {
  INPUT_DEFAULTS,
  type InputCollector,
  type InputName,
  type InputProblem,
  type InputReader,
  REQUIRED_INPUTS,
  SettingsError,
  collectInputs,
} from "./inputs.ts";
export type { AuthSettings, BuildLogLevel, ImageSource, ReplicationMode, ScriptUri, Settings, StorageAccountType, TargetRegion } from "./types.ts";
export { BUILD_LOG_LEVELS } from "./types.ts";

const ENVIRONMENTS = Object.keys(AZURE_CLOUDS) as AzureEnvironmentName[];

/**
 * Parses and validates every input.
 *
 * @param read reads an input by canonical name ('' when unset; defaults are applied here).
 * @param label how the host names an input to its user (kebab-case on GitHub, camelCase on Azure DevOps).
 * @param repository the repository checkout `template-file` and `scripts` are read from (default: the
 *   workspace on disk, GITHUB_WORKSPACE / BUILD_SOURCESDIRECTORY / the current directory).
 * @throws SettingsError listing every invalid input, each with its fix.
 *
 * With a `template-file`, an input overrides the file's value when the input differs from its default;
 * lists add up (the file's customizers run after the AVD built-in steps and before `script-uris`,
 * `scripts` and `inline-script`; `validation-script` is added after the file's in-VM validations).
 */
export function parseSettings(read: InputReader, label: (input: InputName) => string = (n) => n, repository?: RepositoryFiles): Settings {
  const c = collectInputs(read, label);
  const target = parseTarget(c);
  const content = parseImageInputs(c);
  const distribution = parseDistribution(c);
  const control = parseBuildControl(c);
  const signIn = parseSignIn(c);
  // What goes into the image, and the build VM, with the template file under the inputs.
  const { subscriptionId, resourceGroup, galleryResourceGroup } = target;
  const image = overlayTemplateFile(c, { ...content, subscriptionId, resourceGroup, galleryResourceGroup }, repository);

  if (c.problems.length > 0) throw new SettingsError(c.problems, label);
  return {
    ...target,
    ...content,
    ...distribution,
    ...control,
    auth: signIn.auth!,
    cloud: resolveCloud(signIn.environment!, signIn.armEndpoint, signIn.authorityHost),
    ...image,
    source: image.source!,
    vmSize: image.vmSize!,
    osDiskSizeGb: image.osDiskSizeGb!,
    buildTimeoutMinutes: image.buildTimeoutMinutes!,
  };
}

// Each section below reads its inputs in a fixed order (the order of the problems reported) and
// returns its fields of `Settings`; a field is undefined only when its problem is recorded in `c`,
// and then `parseSettings` throws before the settings are used.

/** Where the image goes and who builds it: subscription, resource groups, region, gallery, definition, identity. */
function parseTarget(
  c: InputCollector,
): Pick<Settings, "subscriptionId" | "resourceGroup" | "location" | "galleryName" | "imageDefinition" | "galleryResourceGroup" | "identityId"> {
  const { input, fail, required } = c;
  const subscriptionId = required("subscription-id", isGuid, "must be a subscription ID (a GUID such as 00000000-0000-0000-0000-000000000000).");
  const resourceGroup = required("resource-group", isResourceGroupName, "must be a resource group name (1-90 letters, digits, '-', '_', '.', '(', ')').");
  const location = required("location", (v) => REGION.test(v), "must be an Azure region name such as 'westeurope' (lower case, no spaces).");
  const galleryName = required("gallery-name", isGalleryName, "must be an Azure Compute Gallery name (letters, digits, '.', '_').");
  const imageDefinition = required("image-definition", isImageDefinitionName, "must be a gallery image definition name (letters, digits, '-', '.', '_').");
  const galleryResourceGroupInput = input("gallery-resource-group");
  if (galleryResourceGroupInput && !isResourceGroupName(galleryResourceGroupInput)) {
    fail("gallery-resource-group", `'${galleryResourceGroupInput}' must be a resource group name, or empty to use 'resource-group'.`);
  }
  const identityId = required(
    "identity-id",
    isUserAssignedIdentityId,
    `must be the resource ID of a user-assigned managed identity: ${ID_SHAPES.userAssignedIdentity}.`,
  );
  return {
    subscriptionId: subscriptionId!,
    resourceGroup: resourceGroup!,
    location: location!,
    galleryName: galleryName!,
    imageDefinition: imageDefinition!,
    galleryResourceGroup: galleryResourceGroupInput || resourceGroup!,
    identityId: identityId!,
  };
}

/** The source image, the scripts given inline or by URL, Windows Update, and the build VM's size, disk and timeout. */
function parseImageInputs(c: InputCollector): Pick<Settings, "inlineScript" | "scriptUris" | "windowsUpdate" | "windowsUpdateOptions"> & {
  source: ImageSource | undefined;
  vmSize: string | undefined;
  osDiskSizeGb: number | undefined;
  buildTimeoutMinutes: number | undefined;
} {
  const { input, fail, check, raw: read } = c;
  const source = parseSource(input("source"), (m) => fail("source", m));
  const inlineScript = input("inline-script") === "" ? [] : read("inline-script").replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  const scriptUris = parseScriptUris(input("script-uris"), (m) => fail("script-uris", m));
  const windowsUpdate = check("windows-update", booleanInput, "must be 'true' or 'false'.");
  const searchCriteria = input("windows-update-search-criteria");
  const criteriaProblem = searchCriteriaProblem(searchCriteria);
  if (criteriaProblem) {
    fail(
      "windows-update-search-criteria",
      `'${searchCriteria}' is not a Windows Update search: ${criteriaProblem}. The default is '${WINDOWS_UPDATE_DEFAULTS.searchCriteria}'; e.g. "IsInstalled=0 and Type='Software'" leaves drivers out.`,
    );
  }
  const updateFilters = parseWindowsUpdateFilters(input("windows-update-filters"));
  for (const problem of updateFilters.problems) fail("windows-update-filters", problem);
  const updateLimit = check(
    "windows-update-limit",
    wholeNumber(0, MAX_UPDATE_LIMIT),
    `must be a whole number of updates installed at a time, from 1 to ${MAX_UPDATE_LIMIT} (0: Image Builder's default, ${MAX_UPDATE_LIMIT}).`,
  );
  const vmSize = check("vm-size", z.string().check(z.regex(/^(Standard|Basic)_[A-Za-z0-9_-]+$/)), "must be an Azure VM size such as 'Standard_D4s_v5'.");
  const osDiskSizeGb = check("os-disk-size-gb", wholeNumber(0, 4095), "must be a whole number of GB from 0 (the source image's size) to 4095.");
  const buildTimeoutMinutes = check("build-timeout-minutes", buildTimeout, BUILD_TIMEOUT_FIX);
  return {
    source,
    inlineScript,
    scriptUris: scriptUris!,
    windowsUpdate: windowsUpdate!,
    windowsUpdateOptions: { searchCriteria, filters: updateFilters.filters, updateLimit: updateLimit! },
    vmSize,
    osDiskSizeGb,
    buildTimeoutMinutes,
  };
}

/** How the image version is distributed, numbered, tagged and kept: target regions, replication, version, tags, retention. */
function parseDistribution(
  c: InputCollector,
): Pick<
  Settings,
  | "targetRegions"
  | "storageAccountType"
  | "replicationMode"
  | "excludeFromLatest"
  | "versionStrategy"
  | "version"
  | "tags"
  | "keepVersions"
  | "keepDays"
  | "pruneForeign"
> {
  const { input, fail, check } = c;
  const targetRegions = parseTargetRegions(input("target-regions"), (m) => fail("target-regions", m));
  const storageAccountType = check("storage-account-type", z.enum(STORAGE_ACCOUNT_TYPES), `must be one of ${STORAGE_ACCOUNT_TYPES.join(", ")}.`);
  const replicationMode = parseReplicationMode(input("replication-mode"), (m) => fail("replication-mode", m));
  // Shallow replication does not copy the image: the version exists only where it is created, in one
  // replica (packer-plugin-azure, which validates the same before calling Compute: "When using shallow
  // replication the replica count can only be 1"; target regions "Can not contain any region but the
  // build region when using shallow replication", PR #383).
  if (replicationMode === "Shallow" && targetRegions && (targetRegions.length > 1 || targetRegions.some((r) => r.replicaCount > 1))) {
    fail(
      "replication-mode",
      `'Shallow' keeps the image version in one region with one replica, but 'target-regions' lists ${targetRegions.map((r) => `${r.name}=${r.replicaCount}`).join(", ")}. ` +
        "List the image definition's region with 1 replica (or leave 'target-regions' empty), or use 'Full'.",
    );
  }
  const excludeFromLatest = check("exclude-from-latest", booleanInput, "must be 'true' or 'false'.");
  const versionStrategy = check(
    "version-strategy",
    z.enum(VERSION_STRATEGIES as [VersionStrategy, ...VersionStrategy[]]),
    `must be one of ${VERSION_STRATEGIES.join(", ")}.`,
  );
  let version: Version | undefined;
  if (input("version") !== "") {
    version = parseVersion(input("version"));
    if (!version)
      fail(
        "version",
        `'${input("version")}' must be Major.Minor.Patch with whole numbers from 0 to ${MAX_VERSION_PART} and no leading zeros, e.g. 1.4.0; leave it empty to use 'version-strategy'.`,
      );
  }
  const tags = parseTags(input("tags"), (m) => fail("tags", m));
  const keepVersions = check("keep-versions", wholeNumber(0, 10_000), "must be a whole number of versions to keep (0 = never prune).");
  const keepDays = check("keep-days", wholeNumber(0, 36_500), "must be a whole number of days (0 = no age limit).");
  const pruneForeign = check("prune-foreign", booleanInput, "must be 'true' or 'false'.");
  return {
    targetRegions: targetRegions!,
    storageAccountType: storageAccountType!,
    replicationMode: replicationMode!,
    excludeFromLatest: excludeFromLatest!,
    versionStrategy: versionStrategy!,
    version,
    tags: tags!,
    keepVersions: keepVersions!,
    keepDays: keepDays!,
    pruneForeign: pruneForeign!,
  };
}

/** What the build does and when: dry run, GitHub release, polling, build log, schedule, wait/attach, mode, end of life. */
function parseBuildControl(
  c: InputCollector,
): Pick<
  Settings,
  | "dryRun"
  | "githubRelease"
  | "pollIntervalSeconds"
  | "stallMinutes"
  | "buildLog"
  | "schedule"
  | "skipIfUnchanged"
  | "rebuildAfterDays"
  | "wait"
  | "attach"
  | "mode"
  | "promoteAfterDays"
  | "endOfLifeDays"
> {
  const { input, fail, check, label, raw: read } = c;
  const dryRun = check("dry-run", booleanInput, "must be 'true' or 'false'.");
  const githubReleaseOn = check(
    "github-release",
    booleanInput,
    "must be 'true' (publish each version as a GitHub release with its changelog and manifest) or 'false'.",
  );
  const githubToken = read("github-token").trim();
  if (githubReleaseOn && (githubToken === "" || githubToken.includes("${{"))) {
    fail(
      "github-release",
      "is true but 'github-token' is empty: give it a token that may write releases ('github-token: ${{ github.token }}' with 'permissions: contents: write').",
    );
  }
  const pollIntervalSeconds = check("poll-interval-seconds", wholeNumber(1, 600), "must be a whole number of seconds from 1 to 600.");
  const buildLog = check(
    "build-log",
    z.enum(BUILD_LOG_LEVELS),
    "must be 'full' (every line of customization.log), 'steps' (a heading per customizer, its warnings and errors) or 'off'.",
  );
  const stallMinutes = check(
    "stall-minutes",
    wholeNumber(0, 960),
    "must be a whole number of minutes from 1 to 960 a customizer may print nothing before the build is canceled as stuck, or 0 (off).",
  );
  const schedule = input("schedule") === "" ? undefined : parseSchedule(input("schedule"));
  if (input("schedule") !== "" && !schedule) {
    fail(
      "schedule",
      `'${input("schedule")}' must be 'patch-tuesday' or 'patch-tuesday+N' with N from 0 to ${MAX_PATCH_TUESDAY_OFFSET} days, or empty to build on every run.`,
    );
  }
  const skipIfUnchanged = check("skip-if-unchanged", booleanInput, "must be 'true' or 'false'.");
  const wait = check("wait", booleanInput, "must be 'true' or 'false'.");
  const attach = check("attach", booleanInput, "must be 'true' or 'false'.");
  if (wait === false && attach === true)
    fail("attach", "cannot be 'true' with 'wait: false': one step submits (wait: false), a later step attaches (attach: true).");
  if (attach === true && input("dry-run") === "true")
    fail(
      "dry-run",
      `cannot be 'true' with '${label("attach")}: true': attaching publishes the version the submitted build makes. Plan with a dry run of the submitting step instead.`,
    );
  const mode = check("mode", z.enum(["build", "promote"]), "must be 'build' (build, version, tag, prune) or 'promote' (include a staged version in latest).");
  const promoteAfterDays = check("promote-after-days", wholeNumber(0, 3650), "must be a whole number of days (0 = promote at any age).");
  const endOfLifeDays = check("end-of-life-days", wholeNumber(0, 36_500), "must be a whole number of days after the build (0 = no end-of-life date).");
  const rebuildAfterDays = check("rebuild-after-days", wholeNumber(0, 3650), "must be a whole number of days (0 = always rebuild when Windows Update is on).");
  return {
    dryRun: dryRun!,
    ...(githubReleaseOn && githubToken ? { githubRelease: { token: githubToken } } : {}),
    pollIntervalSeconds: pollIntervalSeconds!,
    stallMinutes: stallMinutes!,
    buildLog: buildLog!,
    schedule,
    skipIfUnchanged: skipIfUnchanged!,
    rebuildAfterDays: rebuildAfterDays!,
    wait: wait!,
    attach: attach!,
    mode: mode!,
    promoteAfterDays: promoteAfterDays!,
    endOfLifeDays: endOfLifeDays!,
  };
}

/** How the build signs in to Azure (GitHub OIDC or DefaultAzureCredential) and which cloud it talks to. */
function parseSignIn(c: InputCollector): {
  auth: AuthSettings | undefined;
  environment: AzureEnvironmentName | undefined;
  armEndpoint: string | undefined;
  authorityHost: string | undefined;
} {
  const { input, fail, check } = c;
  const clientId = input("client-id");
  const tenantId = input("tenant-id");
  let auth: AuthSettings | undefined = { kind: "default" };
  if (clientId || tenantId) {
    if (!clientId)
      auth = fail(
        "client-id",
        "is required when 'tenant-id' is set: give the client ID of the app registration or managed identity with the federated credential.",
      );
    else if (!isGuid(clientId)) auth = fail("client-id", `'${clientId}' must be a client (application) ID, a GUID.`);
    if (!tenantId) auth = fail("tenant-id", "is required when 'client-id' is set: give the Entra ID tenant ID (a GUID).");
    else if (!isGuid(tenantId)) auth = fail("tenant-id", `'${tenantId}' must be a tenant ID, a GUID.`);
    if (auth) auth = { kind: "oidc", clientId, tenantId, audience: "" };
  }
  const environment = check(
    "environment",
    z.enum(ENVIRONMENTS as [AzureEnvironmentName, ...AzureEnvironmentName[]]),
    `must be one of ${ENVIRONMENTS.join(", ")}.`,
  );
  const audience = input("audience");
  if (audience !== "" && !/^\S{1,600}$/.test(audience)) {
    fail(
      "audience",
      `'${audience}' must be the audience of the OIDC token, one word such as api://AzureADTokenExchangeUSGov (leave it empty to follow 'environment').`,
    );
  } else if (audience !== "" && auth?.kind !== "oidc" && clientId === "" && tenantId === "") {
    fail("audience", "is used only to sign in with GitHub OIDC: set 'client-id' and 'tenant-id' too, or leave 'audience' empty.");
  }
  if (auth?.kind === "oidc" && environment) auth.audience = audience || AZURE_CLOUDS[environment].tokenExchangeAudience;
  const armEndpoint = optionalHttpsUrl(input("arm-endpoint"), (m) => fail("arm-endpoint", m));
  const authorityHost = optionalHttpsUrl(input("authority-host"), (m) => fail("authority-host", m));
  return { auth, environment, armEndpoint, authorityHost };
}
