/**
 * Inputs → one typed, validated `Settings`, the same for the GitHub Action and the Azure DevOps task.
 *
 * Pure: the host hands in a function that reads an input by its canonical (action.yml, kebab-case)
 * name. Every bad value is reported — all of them, not just the first — naming the input as the user
 * wrote it and saying how to fix it, before any Azure call is made.
 */
import type {
  ImageTemplateCustomizerUnion,
  ImageTemplatePropertiesOptimize,
  ImageTemplatePropertiesValidate,
  VirtualNetworkConfig,
} from "@azure/arm-imagebuilder";
import * as z from "zod/mini";
import { type AvdStepCall, parseAvdSteps } from "./avd/catalog.ts";
import { isWindowsClientSource } from "./template/safety.ts";
import { type RepositoryFiles, type RepositoryScript, type ScriptsStorage, inlineProblems, parseScriptsStorage, readRepositoryScripts, repositoryOnDisk } from "./template/scripts.ts";
import { VM_SIZE, loadTemplateFile } from "./template/template-file.ts";
import { MAX_UPDATE_LIMIT, WINDOWS_UPDATE_DEFAULTS, type WindowsUpdateOptions, parseWindowsUpdateFilters, searchCriteriaProblem } from "./template/windows-update.ts";
import { type AzureEnvironmentName, type CloudEndpoints, AZURE_CLOUDS, resolveCloud } from "./cloud.ts";
import {
  isGalleryName,
  isGuid,
  isImageDefinitionName,
  isManagedImageId,
  isResourceGroupName,
  isUserAssignedIdentityId,
  parseGalleryImageVersionId,
} from "./resource-id.ts";
import { MAX_PATCH_TUESDAY_OFFSET, type PatchTuesdaySchedule, parseSchedule } from "./schedule.ts";
import { type Version, type VersionStrategy, VERSION_STRATEGIES, MAX_VERSION_PART, parseVersion } from "./versioning.ts";

/** The image the build starts from. */
export type ImageSource =
  /** A marketplace image, `publisher:offer:sku:version`; `version` may be `latest` until pinned. */
  | { kind: "marketplace"; publisher: string; offer: string; sku: string; version: string }
  /** An Azure Compute Gallery image version (its resource ID; the version part may be `latest`). */
  | { kind: "gallery"; imageVersionId: string }
  /** A managed image (its resource ID). */
  | { kind: "managedImage"; imageId: string };

/** A script downloaded by the build VM, with the SHA-256 it must have (hex, lower case) when given. */
export interface ScriptUri {
  uri: string;
  sha256?: string;
}

/**
 * A region the new image version is replicated to, with its replica count (1-100) and, when the
 * `target-regions` line gives one (`region=replicas:Standard_ZRS`), the storage of its replicas
 * (Image Builder `TargetRegion.storageAccountType`; `storage-account-type` otherwise).
 */
export interface TargetRegion {
  name: string;
  replicaCount: number;
  storageAccountType?: StorageAccountType;
}

/**
 * How the gallery replicates the new image version (Image Builder distributor `replicationMode`,
 * Compute `GalleryArtifactPublishingProfileBase.replicationMode`, not updatable): `Full` copies it to
 * every replica; `Shallow` skips the copy, for development and test (Azure Compute Gallery docs,
 * "Shallow replication": ready faster, but not for deploying many VMs at once).
 */
export type ReplicationMode = "Full" | "Shallow";

/** Storage of the image version's replicas (Microsoft.Compute `StorageAccountType`). */
export type StorageAccountType = "Standard_LRS" | "Standard_ZRS" | "Premium_LRS";

/** How the run authenticates to Azure. */
export type AuthSettings =
  /** GitHub OIDC federated credential of an Entra ID app or user-assigned identity. */
  | {
      kind: "oidc";
      clientId: string;
      tenantId: string;
      /** `aud` of the GitHub OIDC token: the `audience` input, or the cloud's token exchange audience. */
      audience: string;
    }
  /** DefaultAzureCredential: environment variables, managed identity, Azure CLI. */
  | { kind: "default" };

/** Everything one run needs, validated. Durations in minutes/seconds as named; sizes in GB. */
export interface Settings {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  galleryName: string;
  imageDefinition: string;
  galleryResourceGroup: string;
  /** Resource ID of the user-assigned managed identity Image Builder runs as. */
  identityId: string;
  source: ImageSource;
  /** PowerShell lines run in the build VM, elevated as SYSTEM; empty for none. */
  inlineScript: string[];
  scriptUris: ScriptUri[];
  windowsUpdate: boolean;
  /** What the action's Windows Update customizers search, filter and install at a time (`windows-update-*`). */
  windowsUpdateOptions: WindowsUpdateOptions;
  vmSize: string;
  osDiskSizeGb: number;
  /**
   * AIB `buildTimeoutInMinutes`: 0 (AIB's default, 240 minutes) or 6-960. 1-5 are refused: Image Builder
   * fails them early ("client_jwt will expire within 5 minutes", Image Builder troubleshooting guide).
   */
  buildTimeoutMinutes: number;
  /**
   * Target regions as `target-regions` lists them; empty = the image definition's region with 1 replica
   * (the preflight resolves it: an image version is created in its definition's region, which must be
   * among its target regions).
   */
  targetRegions: TargetRegion[];
  storageAccountType: StorageAccountType;
  /** `replication-mode` (default Full, Image Builder's and Compute's default). */
  replicationMode: ReplicationMode;
  excludeFromLatest: boolean;
  versionStrategy: VersionStrategy;
  /** Explicit version; wins over `versionStrategy` when set. */
  version?: Version;
  /** Tags added to the new image version (beside the provenance tags). */
  tags: Record<string, string>;
  /** Retention count; 0 = never prune. */
  keepVersions: number;
  /** Minimum age in days before retention may delete a version; 0 = no age limit. */
  keepDays: number;
  /** Let retention delete versions this action did not create. */
  pruneForeign: boolean;
  dryRun: boolean;
  /**
   * `github-release: true`: the GitHub token (`github-token`) to publish each version as a release
   * `image/<definition>/<version>` of the repository with it; undefined when off.
   */
  githubRelease?: { token: string };
  auth: AuthSettings;
  cloud: CloudEndpoints;
  /** Seconds between two status reads of a running build. */
  pollIntervalSeconds: number;
  /** Minutes a customizer may print nothing before the build is canceled as stuck; 0 = off (`stall-minutes`). */
  stallMinutes: number;
  /** How much of customization.log the job log shows (`build-log`): every line, a heading per customizer with its warnings and errors, or nothing. */
  buildLog: BuildLogLevel;
  /** Build only on Patch Tuesday + N (UTC), unless the run was started by hand; undefined = always. */
  schedule?: PatchTuesdaySchedule;
  /** Build nothing when the newest version was built from the same template hash. */
  skipIfUnchanged: boolean;
  /** With Windows Update on, an unchanged template is rebuilt once the newest version is this many days old. */
  rebuildAfterDays: number;
  /** Follow the build to its end (false: submit it and return). */
  wait: boolean;
  /** Follow a build a previous step submitted with `wait: false`, and finish it. */
  attach: boolean;
  /** `build` (the default) or `promote`: include a staged version in latest, and write nothing else. */
  mode: "build" | "promote";
  /** `promote`: only a version at least this many days old (0 = any age). */
  promoteAfterDays: number;
  /** Sets each new version's end-of-life date this many days after the build (0 = none). */
  endOfLifeDays: number;
  /** AVD built-in steps (`avd-steps`), checked against the catalog; laid out in the portal's order. */
  avdSteps: AvdStepCall[];
  /** Add the inventory customizer before sysprep (`inventory`): OS build, applications, hotfixes, Appx packages for the manifest and changelog. */
  inventory: boolean;
  /** Add the Windows client safety steps (BitLocker off and decrypted, per-user Appx removed) — `safety-steps`, `auto` resolved. */
  safetySteps: boolean;
  /** Repository scripts and files (`scripts`), read with their SHA-256. */
  repositoryScripts: RepositoryScript[];
  /** Where repository scripts are uploaded; undefined: PowerShell scripts are inlined. */
  scriptsStorage?: ScriptsStorage;
  /** The template file (`template-file`) as the input gave it, when one is used. */
  templateFile?: string;
  /** The template file's own customizers (they run after the AVD built-in steps, before the other scripts). */
  fileCustomizers: ImageTemplateCustomizerUnion[];
  /** Build VM network (`subnet-id`, `proxy-vm-size`, `container-instance-subnet-id`, or the file's `vmProfile.vnetConfig`). */
  vnetConfig?: VirtualNetworkConfig;
  /** Identities of the build VM (`build-vm-identities`, or the file's `vmProfile.userAssignedIdentities`): resource IDs. */
  vmUserAssignedIdentities?: string[];
  /** The input `vmUserAssignedIdentities` came from, for the preflight's errors. */
  vmUserAssignedIdentitiesInput?: "build-vm-identities" | "template-file";
  /** Staging resource group ID (`staging-resource-group`), in the subscription. */
  stagingResourceGroup?: string;
  /** What Image Builder does with the build VM when a customizer or a validation fails (`error-handling`). */
  errorHandling?: { onCustomizerError?: "cleanup" | "abort"; onValidationError?: "cleanup" | "abort" };
  /** `validate` of the template (`validation-script`, the file's `validate`). */
  validate?: ImageTemplatePropertiesValidate;
  /** `optimize` of the template (`optimize-boot`, the file's `optimize`). */
  optimize?: ImageTemplatePropertiesOptimize;
  /** Sizes of additional data disks in GB (`data-disk-sizes`, the file's `additionalDataDisks`). */
  dataDiskSizesGb: number[];
  /** Tags Image Builder puts on the staging resources (the file's `managedResourceTags`, then `managed-resource-tags`). */
  managedResourceTags?: Record<string, string>;
}

/** Levels of the live build log (`build-log`). */
export const BUILD_LOG_LEVELS = ["full", "steps", "off"] as const;
export type BuildLogLevel = (typeof BUILD_LOG_LEVELS)[number];

/** The default of every optional input, exactly as action.yml (and task.json) declare them. */
export const INPUT_DEFAULTS = {
  "gallery-resource-group": "",
  source: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
  "inline-script": "",
  "script-uris": "",
  "windows-update": "true",
  "windows-update-search-criteria": "IsInstalled=0",
  "windows-update-filters": "exclude:$_.Title -like '*Preview*'\ninclude:$true",
  "windows-update-limit": "40",
  "vm-size": "Standard_D4s_v5",
  "os-disk-size-gb": "127",
  "build-timeout-minutes": "240",
  "target-regions": "",
  "storage-account-type": "Standard_LRS",
  "exclude-from-latest": "false",
  "version-strategy": "patch",
  version: "",
  tags: "",
  "keep-versions": "5",
  "keep-days": "0",
  "prune-foreign": "false",
  "dry-run": "false",
  "github-release": "false",
  // The runner fills in the job's token; the action reads the input as given (never this text).
  "github-token": "${{ github.token }}",
  "client-id": "",
  "tenant-id": "",
  environment: "AzureCloud",
  "arm-endpoint": "",
  "authority-host": "",
  "poll-interval-seconds": "30",
  "stall-minutes": "0",
  "build-log": "steps",
  schedule: "",
  "skip-if-unchanged": "false",
  "rebuild-after-days": "7",
  wait: "true",
  attach: "false",
  mode: "build",
  "promote-after-days": "0",
  "end-of-life-days": "0",
  "avd-steps": "",
  "safety-steps": "auto",
  inventory: "true",
  "template-file": "",
  scripts: "",
  "scripts-storage-account": "",
  "scripts-container": "avd-image-scripts",
  "subnet-id": "",
  "proxy-vm-size": "",
  "container-instance-subnet-id": "",
  "staging-resource-group": "",
  "error-handling": "",
  "validation-script": "",
  "optimize-boot": "false",
  "data-disk-sizes": "",
  audience: "",
  "replication-mode": "Full",
  "managed-resource-tags": "",
  "build-vm-identities": "",
} as const;

/** Inputs with no default: the run cannot start without them. */
export const REQUIRED_INPUTS = [
  "subscription-id",
  "resource-group",
  "location",
  "gallery-name",
  "image-definition",
  "identity-id",
] as const;

/** Canonical (kebab-case) name of every input. */
export type InputName = (typeof REQUIRED_INPUTS)[number] | keyof typeof INPUT_DEFAULTS;

/** Reads an input by canonical name; returns '' when it is not set. */
export type InputReader = (name: InputName) => string;

/** One bad input: the input's canonical name and what is wrong with it and how to fix it. */
export interface InputProblem {
  input: InputName;
  message: string;
}

/** Thrown by `parseSettings` with every problem found; `message` lists them, one a line. */
export class SettingsError extends Error {
  override name = "SettingsError";
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[], label: (input: InputName) => string) {
    super(
      `${problems.length} input${problems.length === 1 ? " is" : "s are"} not valid:\n` +
        problems.map((p) => `- Input '${label(p.input)}': ${p.message}`).join("\n"),
    );
    this.problems = problems;
  }
}

const ENVIRONMENTS = Object.keys(AZURE_CLOUDS) as AzureEnvironmentName[];
const STORAGE_ACCOUNT_TYPES: StorageAccountType[] = ["Standard_LRS", "Standard_ZRS", "Premium_LRS"];
const REGION = /^[a-z][a-z0-9]{1,39}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const URN_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

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
  const problems: InputProblem[] = [];
  const input = (name: InputName): string => {
    const value = read(name).trim();
    if (value !== "") return value;
    return name in INPUT_DEFAULTS ? INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS] : "";
  };
  const fail = (name: InputName, message: string): undefined => {
    problems.push({ input: name, message });
    return undefined;
  };
  const check = <T>(name: InputName, schema: z.ZodMiniType<T>, fix: string): T | undefined => {
    const result = schema.safeParse(input(name));
    return result.success ? result.data : fail(name, `'${input(name)}' ${fix}`);
  };
  const required = (name: InputName, valid: (v: string) => boolean, fix: string): string | undefined => {
    const value = input(name);
    if (value === "") return fail(name, `is required. ${fix}`);
    return valid(value) ? value : fail(name, `'${value}' ${fix}`);
  };

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
    "must be the resource ID of a user-assigned managed identity: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.",
  );

  const source = parseSource(input("source"), (m) => fail("source", m));
  const inlineScript = input("inline-script") === "" ? [] : read("inline-script").replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  const scriptUris = parseScriptUris(input("script-uris"), (m) => fail("script-uris", m));
  const windowsUpdate = check("windows-update", booleanInput, "must be 'true' or 'false'.");
  const searchCriteria = input("windows-update-search-criteria");
  const criteriaProblem = searchCriteriaProblem(searchCriteria);
  if (criteriaProblem) {
    fail("windows-update-search-criteria", `'${searchCriteria}' is not a Windows Update search: ${criteriaProblem}. The default is '${WINDOWS_UPDATE_DEFAULTS.searchCriteria}'; e.g. "IsInstalled=0 and Type='Software'" leaves drivers out.`);
  }
  const updateFilters = parseWindowsUpdateFilters(input("windows-update-filters"));
  for (const problem of updateFilters.problems) fail("windows-update-filters", problem);
  const updateLimit = check("windows-update-limit", wholeNumber(0, MAX_UPDATE_LIMIT), `must be a whole number of updates installed at a time, from 1 to ${MAX_UPDATE_LIMIT} (0: Image Builder's default, ${MAX_UPDATE_LIMIT}).`);
  const vmSize = check("vm-size", z.string().check(z.regex(/^(Standard|Basic)_[A-Za-z0-9_-]+$/)), "must be an Azure VM size such as 'Standard_D4s_v5'.");
  const osDiskSizeGb = check("os-disk-size-gb", wholeNumber(0, 4095), "must be a whole number of GB from 0 (the source image's size) to 4095.");
  const buildTimeoutMinutes = check("build-timeout-minutes", buildTimeout, BUILD_TIMEOUT_FIX);
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
  const versionStrategy = check("version-strategy", z.enum(VERSION_STRATEGIES as [VersionStrategy, ...VersionStrategy[]]), `must be one of ${VERSION_STRATEGIES.join(", ")}.`);
  let version: Version | undefined;
  if (input("version") !== "") {
    version = parseVersion(input("version"));
    if (!version) fail("version", `'${input("version")}' must be Major.Minor.Patch with whole numbers from 0 to ${MAX_VERSION_PART} and no leading zeros, e.g. 1.4.0; leave it empty to use 'version-strategy'.`);
  }
  const tags = parseTags(input("tags"), (m) => fail("tags", m));
  const keepVersions = check("keep-versions", wholeNumber(0, 10_000), "must be a whole number of versions to keep (0 = never prune).");
  const keepDays = check("keep-days", wholeNumber(0, 36_500), "must be a whole number of days (0 = no age limit).");
  const pruneForeign = check("prune-foreign", booleanInput, "must be 'true' or 'false'.");
  const dryRun = check("dry-run", booleanInput, "must be 'true' or 'false'.");
  const githubReleaseOn = check("github-release", booleanInput, "must be 'true' (publish each version as a GitHub release with its changelog and manifest) or 'false'.");
  const githubToken = read("github-token").trim();
  if (githubReleaseOn && (githubToken === "" || githubToken.includes("${{"))) {
    fail("github-release", "is true but 'github-token' is empty: give it a token that may write releases ('github-token: ${{ github.token }}' with 'permissions: contents: write').");
  }
  const pollIntervalSeconds = check("poll-interval-seconds", wholeNumber(1, 600), "must be a whole number of seconds from 1 to 600.");
  const buildLog = check("build-log", z.enum(BUILD_LOG_LEVELS), "must be 'full' (every line of customization.log), 'steps' (a heading per customizer, its warnings and errors) or 'off'.");
  const stallMinutes = check("stall-minutes", wholeNumber(0, 960), "must be a whole number of minutes from 1 to 960 a customizer may print nothing before the build is canceled as stuck, or 0 (off).");
  const schedule = input("schedule") === "" ? undefined : parseSchedule(input("schedule"));
  if (input("schedule") !== "" && !schedule) {
    fail("schedule", `'${input("schedule")}' must be 'patch-tuesday' or 'patch-tuesday+N' with N from 0 to ${MAX_PATCH_TUESDAY_OFFSET} days, or empty to build on every run.`);
  }
  const skipIfUnchanged = check("skip-if-unchanged", booleanInput, "must be 'true' or 'false'.");
  const wait = check("wait", booleanInput, "must be 'true' or 'false'.");
  const attach = check("attach", booleanInput, "must be 'true' or 'false'.");
  if (wait === false && attach === true) fail("attach", "cannot be 'true' with 'wait: false': one step submits (wait: false), a later step attaches (attach: true).");
  if (attach === true && input("dry-run") === "true") fail("dry-run", `cannot be 'true' with '${label("attach")}: true': attaching publishes the version the submitted build makes. Plan with a dry run of the submitting step instead.`);
  const mode = check("mode", z.enum(["build", "promote"]), "must be 'build' (build, version, tag, prune) or 'promote' (include a staged version in latest).");
  const promoteAfterDays = check("promote-after-days", wholeNumber(0, 3650), "must be a whole number of days (0 = promote at any age).");
  const endOfLifeDays = check("end-of-life-days", wholeNumber(0, 36_500), "must be a whole number of days after the build (0 = no end-of-life date).");
  const rebuildAfterDays = check("rebuild-after-days", wholeNumber(0, 3650), "must be a whole number of days (0 = always rebuild when Windows Update is on).");

  const clientId = input("client-id");
  const tenantId = input("tenant-id");
  let auth: AuthSettings | undefined = { kind: "default" };
  if (clientId || tenantId) {
    if (!clientId) auth = fail("client-id", "is required when 'tenant-id' is set: give the client ID of the app registration or managed identity with the federated credential.");
    else if (!isGuid(clientId)) auth = fail("client-id", `'${clientId}' must be a client (application) ID, a GUID.`);
    if (!tenantId) auth = fail("tenant-id", "is required when 'client-id' is set: give the Entra ID tenant ID (a GUID).");
    else if (!isGuid(tenantId)) auth = fail("tenant-id", `'${tenantId}' must be a tenant ID, a GUID.`);
    if (auth) auth = { kind: "oidc", clientId, tenantId, audience: "" };
  }
  const environment = check("environment", z.enum(ENVIRONMENTS as [AzureEnvironmentName, ...AzureEnvironmentName[]]), `must be one of ${ENVIRONMENTS.join(", ")}.`);
  const audience = input("audience");
  if (audience !== "" && !/^\S{1,600}$/.test(audience)) {
    fail("audience", `'${audience}' must be the audience of the OIDC token, one word such as api://AzureADTokenExchangeUSGov (leave it empty to follow 'environment').`);
  } else if (audience !== "" && auth?.kind !== "oidc" && clientId === "" && tenantId === "") {
    fail("audience", "is used only to sign in with GitHub OIDC: set 'client-id' and 'tenant-id' too, or leave 'audience' empty.");
  }
  if (auth?.kind === "oidc" && environment) auth.audience = audience || AZURE_CLOUDS[environment].tokenExchangeAudience;
  const armEndpoint = optionalHttpsUrl(input("arm-endpoint"), (m) => fail("arm-endpoint", m));
  const authorityHost = optionalHttpsUrl(input("authority-host"), (m) => fail("authority-host", m));

  // ---- What goes into the image, and the build VM (issue 6) ----
  const given = (name: keyof typeof INPUT_DEFAULTS): boolean => input(name) !== INPUT_DEFAULTS[name];
  let files: RepositoryFiles | undefined;
  const repo = (): RepositoryFiles => (files ??= repository ?? repositoryOnDisk());

  const templateFilePath = input("template-file");
  const file = templateFilePath === "" ? undefined : loadTemplateFile(templateFilePath, repo().workspace, (p) => new TextDecoder().decode(repo().read(p)));
  for (const problem of file?.problems ?? []) fail("template-file", problem);
  const fileContent = file?.content;

  let effectiveSource = source;
  if (fileContent?.sourceText !== undefined && !given("source")) {
    effectiveSource = parseSource(fileContent.sourceText, (m) => fail("template-file", `${templateFilePath}: source: ${m}`));
  }

  const avd = parseAvdSteps(input("avd-steps"));
  for (const problem of avd.problems) fail("avd-steps", problem);

  const safetyInput = check("safety-steps", z.enum(["auto", "true", "false"]), "must be 'auto' (on for Windows client sources), 'true' or 'false'.");
  const safetySteps = safetyInput === "auto" ? (effectiveSource ? isWindowsClientSource(effectiveSource) : true) : safetyInput === "true";

  const storageAccount = input("scripts-storage-account");
  let scriptsStorage: ScriptsStorage | undefined;
  if (storageAccount !== "") {
    const parsed = parseScriptsStorage(storageAccount, input("scripts-container"), input("environment"));
    if (parsed.problem) fail(parsed.problem.input, parsed.problem.message);
    scriptsStorage = parsed.storage;
  }
  let repositoryScripts: RepositoryScript[] = [];
  if (input("scripts") !== "") {
    const scripts = readRepositoryScripts(input("scripts"), repo());
    for (const problem of scripts.problems) fail("scripts", problem);
    if (storageAccount === "") for (const problem of inlineProblems(scripts.scripts)) fail("scripts", problem);
    repositoryScripts = scripts.scripts;
  }

  const fileVm = fileContent?.vmProfile;
  const subnetId = input("subnet-id");
  const containerSubnetId = input("container-instance-subnet-id");
  const proxyVmSize = input("proxy-vm-size");
  let vnetConfig: VirtualNetworkConfig | undefined = fileVm?.vnetConfig;
  if (subnetId !== "" || containerSubnetId !== "" || proxyVmSize !== "") {
    vnetConfig = parseVnet(subnetId, containerSubnetId, proxyVmSize, fail);
  }

  let stagingResourceGroup = fileContent?.stagingResourceGroup;
  const stagingInput = given("staging-resource-group") ? input("staging-resource-group") : fileContent?.stagingResourceGroup ?? "";
  if (stagingInput !== "") {
    const at: InputName = given("staging-resource-group") ? "staging-resource-group" : "template-file";
    const prefix = at === "template-file" ? `${templateFilePath}: stagingResourceGroup: ` : "";
    stagingResourceGroup = parseStagingGroup(stagingInput, subscriptionId, [resourceGroup, galleryResourceGroupInput || resourceGroup], (m) => fail(at, prefix + m));
  }

  const errorHandling = parseErrorHandling(input("error-handling"), fileContent?.errorHandling as Settings["errorHandling"], (m) => fail("error-handling", m));
  const inventory = check("inventory", booleanInput, "must be 'true' (print the image's OS build, applications, hotfixes and Appx packages for the manifest) or 'false'.");
  const optimizeBoot = check("optimize-boot", booleanInput, "must be 'true' (optimize the image for a faster first boot) or 'false'.");
  let optimize = fileContent?.optimize;
  if (optimizeBoot) optimize = { ...optimize, vmBoot: { state: "Enabled" } };

  let validate = fileContent?.validate;
  const validationScript = input("validation-script") === "" ? [] : read("validation-script").replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  if (validationScript.length > 0) {
    validate = {
      ...validate,
      inVMValidations: [
        ...(validate?.inVMValidations ?? []),
        { type: "PowerShell", name: "validation-script", inline: validationScript, runElevated: true, runAsSystem: true },
      ],
    } as ImageTemplatePropertiesValidate;
  }

  let dataDiskSizesGb = (fileContent?.additionalDataDisks ?? []).map((d) => d.sizeGB ?? 0);
  if (given("data-disk-sizes")) {
    const sizes = input("data-disk-sizes").split(/[\s,]+/).filter(Boolean);
    const bad = sizes.filter((v) => !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 32_767);
    if (bad.length) fail("data-disk-sizes", `'${input("data-disk-sizes")}' must be data disk sizes in GB, whole numbers from 1 to 32767, separated by commas (e.g. '64, 128'); not ${bad.map((b) => `'${b}'`).join(", ")}.`);
    else if (sizes.length > 16) fail("data-disk-sizes", `lists ${sizes.length} disks; give at most 16.`);
    else dataDiskSizesGb = sizes.map(Number);
  }

  const managedTagsInput = parseTags(input("managed-resource-tags"), (m) => fail("managed-resource-tags", m));
  const managedResourceTags = fileContent?.managedResourceTags || (managedTagsInput && Object.keys(managedTagsInput).length)
    ? { ...fileContent?.managedResourceTags, ...managedTagsInput }
    : undefined;
  const buildVmIdentities = given("build-vm-identities")
    ? parseIdentityList(input("build-vm-identities"), (m) => fail("build-vm-identities", m))
    : fileVm?.userAssignedIdentities;

  const effectiveVmSize = given("vm-size") || !fileVm?.vmSize ? vmSize : fileVm.vmSize;
  const effectiveOsDisk = given("os-disk-size-gb") || fileVm?.osDiskSizeGB === undefined ? osDiskSizeGb : fileVm.osDiskSizeGB;
  const effectiveTimeout = given("build-timeout-minutes") || fileContent?.buildTimeoutInMinutes === undefined ? buildTimeoutMinutes : fileContent.buildTimeoutInMinutes;

  if (problems.length > 0) throw new SettingsError(problems, label);
  return {
    subscriptionId: subscriptionId!,
    resourceGroup: resourceGroup!,
    location: location!,
    galleryName: galleryName!,
    imageDefinition: imageDefinition!,
    galleryResourceGroup: galleryResourceGroupInput || resourceGroup!,
    identityId: identityId!,
    source: effectiveSource!,
    inlineScript,
    scriptUris: scriptUris!,
    windowsUpdate: windowsUpdate!,
    windowsUpdateOptions: { searchCriteria, filters: updateFilters.filters, updateLimit: updateLimit! },
    vmSize: effectiveVmSize!,
    osDiskSizeGb: effectiveOsDisk!,
    buildTimeoutMinutes: effectiveTimeout!,
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
    dryRun: dryRun!,
    ...(githubReleaseOn && githubToken ? { githubRelease: { token: githubToken } } : {}),
    auth: auth!,
    cloud: resolveCloud(environment!, armEndpoint, authorityHost),
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
    avdSteps: avd.calls,
    safetySteps,
    inventory: inventory!,
    repositoryScripts,
    scriptsStorage,
    templateFile: templateFilePath || undefined,
    fileCustomizers: fileContent?.customize ?? [],
    vnetConfig,
    vmUserAssignedIdentities: buildVmIdentities,
    vmUserAssignedIdentitiesInput: buildVmIdentities?.length ? (given("build-vm-identities") ? "build-vm-identities" : "template-file") : undefined,
    stagingResourceGroup,
    errorHandling,
    validate,
    optimize,
    dataDiskSizesGb,
    managedResourceTags,
  };
}

const SUBNET_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/[^/]+$/i;
const SUBNET_FIX = "must be a subnet resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>.";

/** `subnet-id`, `container-instance-subnet-id`, `proxy-vm-size` → VirtualNetworkConfig (AIB's rules between them). */
function parseVnet(subnetId: string, containerSubnetId: string, proxyVmSize: string, fail: (input: InputName, message: string) => void): VirtualNetworkConfig | undefined {
  let ok = true;
  const no = (input: InputName, message: string) => {
    fail(input, message);
    ok = false;
  };
  if (subnetId === "") {
    if (containerSubnetId !== "") no("container-instance-subnet-id", "needs 'subnet-id' (the build VM's subnet, on the same virtual network).");
    if (proxyVmSize !== "") no("proxy-vm-size", "needs 'subnet-id': the proxy VM exists only for builds in an existing virtual network.");
    return undefined;
  }
  if (!SUBNET_ID.test(subnetId)) no("subnet-id", `'${subnetId}' ${SUBNET_FIX}`);
  if (containerSubnetId !== "") {
    if (!SUBNET_ID.test(containerSubnetId)) no("container-instance-subnet-id", `'${containerSubnetId}' ${SUBNET_FIX}`);
    else if (SUBNET_ID.test(subnetId) && subnetId.replace(/\/subnets\/[^/]+$/, "").toLowerCase() !== containerSubnetId.replace(/\/subnets\/[^/]+$/, "").toLowerCase()) {
      no("container-instance-subnet-id", `'${containerSubnetId}' must be on the virtual network of 'subnet-id'.`);
    } else if (containerSubnetId.toLowerCase() === subnetId.toLowerCase()) {
      no("container-instance-subnet-id", "must be another subnet than 'subnet-id' (delegated to Microsoft.ContainerInstance/containerGroups).");
    }
    if (proxyVmSize !== "") no("proxy-vm-size", "must be empty with 'container-instance-subnet-id': an isolated build deploys no proxy VM.");
  }
  if (proxyVmSize !== "" && !VM_SIZE.test(proxyVmSize)) no("proxy-vm-size", `'${proxyVmSize}' must be an Azure VM size such as 'Standard_A1_v2' (Image Builder's default).`);
  if (!ok) return undefined;
  return { subnetId, ...(containerSubnetId ? { containerInstanceSubnetId: containerSubnetId } : {}), ...(proxyVmSize ? { proxyVmSize } : {}) };
}

/** A resource group name or ID → its ID in `subscriptionId`; refuses another subscription and the template's own groups. */
function parseStagingGroup(value: string, subscriptionId: string | undefined, taken: (string | undefined)[], fail: (message: string) => void): string | undefined {
  const id = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(value);
  const name = id ? id[2]! : value;
  if (!isResourceGroupName(name) || (id && !isGuid(id[1]!))) {
    fail(`'${value}' must be a resource group name or ID (/subscriptions/<id>/resourceGroups/<name>).`);
    return undefined;
  }
  if (id && subscriptionId && id[1]!.toLowerCase() !== subscriptionId.toLowerCase()) {
    fail(`'${value}' must be in subscription ${subscriptionId} (Image Builder's staging resource group is in the template's subscription).`);
    return undefined;
  }
  if (taken.some((t) => t && t.toLowerCase() === name.toLowerCase())) {
    fail(`'${name}' holds the image template or the gallery; the staging resource group must be empty or not exist yet: give a group of its own, e.g. 'rg-aib-staging'.`);
    return undefined;
  }
  return `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
}

const ON_ERROR = ["cleanup", "abort"] as const;

/**
 * `error-handling`: `cleanup` or `abort` for both, or `customizer=abort, validation=cleanup` (either one);
 * empty keeps the file's `errorHandling` (or Image Builder's default, cleanup).
 */
function parseErrorHandling(value: string, file: Settings["errorHandling"] | undefined, fail: (message: string) => void): Settings["errorHandling"] {
  if (value === "") return file && Object.keys(file).length ? file : undefined;
  const fix = `'${value}' must be 'cleanup' (delete the build VM when a step fails; Image Builder's default), 'abort' (keep it to inspect it), or per phase 'customizer=abort, validation=cleanup'.`;
  const lower = value.toLowerCase();
  if ((ON_ERROR as readonly string[]).includes(lower)) return { onCustomizerError: lower as "cleanup" | "abort", onValidationError: lower as "cleanup" | "abort" };
  const result: NonNullable<Settings["errorHandling"]> = { ...file };
  for (const part of lower.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(customizer|validation)=(cleanup|abort)$/.exec(part);
    if (!m) {
      fail(fix);
      return undefined;
    }
    if (m[1] === "customizer") result.onCustomizerError = m[2] as "cleanup" | "abort";
    else result.onValidationError = m[2] as "cleanup" | "abort";
  }
  return result;
}

/**
 * `build-timeout-minutes`: 0 or 6-960. Image Builder fails 1-5 minutes early in the build: "client_jwt will
 * expire within 5 minutes, please use a JWT that is valid for at least 5 minutes" (Image Builder
 * troubleshooting guide, "JWT errors appear in the log early in the build"); 960 is the API's maximum.
 */
const buildTimeout = z.pipe(wholeNumber(0, 960), z.number().check(z.refine((n) => n === 0 || n >= 6)));
export const BUILD_TIMEOUT_FIX =
  "must be 0 (Image Builder's default, 240 minutes) or a whole number of minutes from 6 to 960: Image Builder fails 1-5 early in the build ('client_jwt will expire within 5 minutes').";

const booleanInput = z.pipe(
  z.string().check(z.regex(/^(true|false)$/i)),
  z.transform((v: string) => v.toLowerCase() === "true"),
);

function wholeNumber(min: number, max: number): z.ZodMiniType<number> {
  return z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)), z.int().check(z.minimum(min), z.maximum(max)));
}

/** `publisher:offer:sku:version`, a gallery image version ID, or a managed image ID. */
function parseSource(value: string, fail: (message: string) => void): ImageSource | undefined {
  if (value.startsWith("/")) {
    const gallery = parseGalleryImageVersionId(value);
    if (gallery) {
      if (gallery.version.toLowerCase() !== "latest" && !parseVersion(gallery.version)) {
        fail(`the gallery image version '${gallery.version}' must be X.Y.Z or 'latest'.`);
        return undefined;
      }
      return { kind: "gallery", imageVersionId: value };
    }
    if (isManagedImageId(value)) return { kind: "managedImage", imageId: value };
    fail(
      `'${value}' is not a gallery image version ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<definition>/versions/<X.Y.Z|latest>) ` +
        `nor a managed image ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>).`,
    );
    return undefined;
  }
  const parts = value.split(":");
  const [publisher, offer, sku, version] = parts;
  const versionOk = version !== undefined && (version.toLowerCase() === "latest" || /^\d+(\.\d+){2,3}$/.test(version));
  if (parts.length !== 4 || ![publisher, offer, sku].every((p) => p !== undefined && URN_PART.test(p)) || !versionOk) {
    fail(
      `'${value}' must be a marketplace image URN 'publisher:offer:sku:version' (version 'latest' or e.g. 26100.2894.250113), ` +
        `such as ${INPUT_DEFAULTS.source}, or the resource ID of a gallery image version or managed image.`,
    );
    return undefined;
  }
  return { kind: "marketplace", publisher: publisher!, offer: offer!, sku: sku!, version: version!.toLowerCase() === "latest" ? "latest" : version! };
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** One `https://... [sha256]` a line. */
function parseScriptUris(value: string, fail: (message: string) => void): ScriptUri[] | undefined {
  const result: ScriptUri[] = [];
  let ok = true;
  for (const line of lines(value)) {
    const [uri, sha256, extra] = line.split(/\s+/);
    let url: URL | undefined;
    try {
      url = new URL(uri!);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:") {
      fail(`line '${line}': '${uri}' must be an https:// URL (the build VM downloads it; http and other schemes are refused).`);
      ok = false;
    } else if (extra !== undefined || (sha256 !== undefined && !SHA256.test(sha256))) {
      fail(`line '${line}': after the URL give nothing or its SHA-256 checksum (64 hex characters).`);
      ok = false;
    } else {
      result.push(sha256 ? { uri: uri!, sha256: sha256.toLowerCase() } : { uri: uri! });
    }
  }
  return ok ? result : undefined;
}

/**
 * One `region`, `region=replicas` or `region=replicas:StorageType` a line (StorageType Standard_LRS,
 * Standard_ZRS or Premium_LRS, any case: Image Builder's `TargetRegion.storageAccountType`); empty when none
 * is given (the preflight then takes the image definition's region).
 */
function parseTargetRegions(value: string, fail: (message: string) => void): TargetRegion[] | undefined {
  const entries = lines(value);
  if (entries.length === 0) return [];
  const result: TargetRegion[] = [];
  let ok = true;
  for (const line of entries) {
    const match = /^([A-Za-z0-9 ]+?)\s*(?:=\s*(\d+)(?:\s*:\s*([A-Za-z_]+))?)?$/.exec(line);
    const name = match?.[1]?.replace(/\s+/g, "").toLowerCase();
    const replicas = match?.[2] === undefined ? 1 : Number(match[2]);
    const storage = match?.[3] === undefined ? undefined : STORAGE_ACCOUNT_TYPES.find((t) => t.toLowerCase() === match[3]!.toLowerCase());
    if (!match || !name || !REGION.test(name)) {
      fail(`line '${line}' must be 'region', 'region=replicas' or 'region=replicas:StorageType', e.g. 'westeurope=2' or 'westeurope=2:Standard_ZRS'.`);
      ok = false;
    } else if (match[3] !== undefined && !storage) {
      fail(`line '${line}': the storage type '${match[3]}' must be one of ${STORAGE_ACCOUNT_TYPES.join(", ")}, e.g. '${name}=${replicas}:Standard_ZRS'.`);
      ok = false;
    } else if (!Number.isInteger(replicas) || replicas < 1 || replicas > 100) {
      fail(`line '${line}': the replica count must be a whole number from 1 to 100.`);
      ok = false;
    } else if (result.some((r) => r.name === name)) {
      fail(`line '${line}': region '${name}' is listed twice; list each region once.`);
      ok = false;
    } else {
      result.push(storage ? { name, replicaCount: replicas, storageAccountType: storage } : { name, replicaCount: replicas });
    }
  }
  return ok ? result : undefined;
}

const REPLICATION_MODES: ReplicationMode[] = ["Full", "Shallow"];

/** `Full` or `Shallow` (any case). */
function parseReplicationMode(value: string, fail: (message: string) => void): ReplicationMode | undefined {
  const mode = REPLICATION_MODES.find((m) => m.toLowerCase() === value.toLowerCase());
  if (!mode) fail(`'${value}' must be 'Full' (copy the image version to every replica) or 'Shallow' (no copy: for development and validation host pools).`);
  return mode;
}

/** One user-assigned managed identity resource ID a line (`build-vm-identities`), each once. */
function parseIdentityList(value: string, fail: (message: string) => void): string[] | undefined {
  const result: string[] = [];
  let ok = true;
  for (const line of lines(value)) {
    if (!isUserAssignedIdentityId(line)) {
      fail(`line '${line}' must be the resource ID of a user-assigned managed identity: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.`);
      ok = false;
    } else if (result.some((id) => id.toLowerCase() === line.toLowerCase())) {
      fail(`line '${line}' lists the same identity twice; list each identity once.`);
      ok = false;
    } else {
      result.push(line);
    }
  }
  return ok ? result : undefined;
}

/** One `key=value` a line, with Azure's tag rules (name ≤ 512 chars without <>%&\?/, value ≤ 256). */
function parseTags(value: string, fail: (message: string) => void): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  let ok = true;
  for (const line of lines(value)) {
    const index = line.indexOf("=");
    const key = index > 0 ? line.slice(0, index).trim() : "";
    const tagValue = index > 0 ? line.slice(index + 1).trim() : "";
    if (!key) {
      fail(`line '${line}' must be 'key=value'.`);
      ok = false;
    } else if (key.length > 512 || TAG_NAME_FORBIDDEN.test(key)) {
      fail(`line '${line}': a tag name has at most 512 characters and none of < > % & \\ ? /.`);
      ok = false;
    } else if (tagValue.length > 256) {
      fail(`line '${line}': a tag value has at most 256 characters.`);
      ok = false;
    } else {
      result[key] = tagValue;
    }
  }
  return ok ? result : undefined;
}

function optionalHttpsUrl(value: string, fail: (message: string) => void): string | undefined {
  if (value === "") return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" && !url.search && !url.hash) return value;
  } catch {
    // reported below
  }
  fail(`'${value}' must be an https:// URL with no query, e.g. https://management.azure.com (leave it empty to use 'environment').`);
  return undefined;
}
