/**
 * The types of the validated settings: `Settings`, everything one build needs, and the shapes it is
 * made of (image source, target regions, replication, storage, sign-in).
 *
 * Types only (and the list of build-log levels): no parsing here. `parseSettings` (`./index.ts`) makes
 * a `Settings` from the inputs.
 */
import type {
  ImageTemplateCustomizerUnion,
  ImageTemplatePropertiesOptimize,
  ImageTemplatePropertiesValidate,
  KnownReplicationMode,
  KnownSharedImageStorageAccountType,
  VirtualNetworkConfig,
} from "@azure/arm-imagebuilder";
import type { AvdStepCall } from "../avd/catalog.ts";
import type { CloudEndpoints } from "../cloud.ts";
import type { PatchTuesdaySchedule } from "../schedule.ts";
import type { RepositoryScript, ScriptsStorage } from "../template/scripts.ts";
import type { WindowsUpdateOptions } from "../template/windows-update.ts";
import type { Version, VersionStrategy } from "../versioning.ts";

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
 * "Shallow replication": ready faster, but not for deploying many VMs at once). The SDK's
 * `KnownReplicationMode` values as a string union.
 */
export type ReplicationMode = `${KnownReplicationMode}`;

/**
 * Storage of the image version's replicas, as Image Builder takes it (`TargetRegion.storageAccountType`,
 * api-version 2025-10-01): the SDK's `KnownSharedImageStorageAccountType` values as a string union
 * (`Standard_LRS`, `Standard_ZRS`, `Premium_LRS`; the gallery's own `PremiumV2_LRS` is not among them).
 */
export type StorageAccountType = `${KnownSharedImageStorageAccountType}`;

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
