/**
 * Settings → the Azure VM Image Builder image template of one run, with its identity (hash and name).
 *
 * Pure. Follows the ImageTemplate model of Microsoft.VirtualMachineImages api-version 2025-10-01
 * (imagebuilder.json), in the flattened shape of @azure/arm-imagebuilder 5.x (`source`, `customize`,
 * `distribute` at the top level of the object). AIB refuses to change a template in place except for
 * `distribute`, `vmProfile`, `tags` and `identity` (PATCH), so the template's name carries a hash of every
 * other property: same hash → reuse and PATCH, different hash → a new template.
 */
import { createHash } from "node:crypto";
import type {
  ImageTemplate,
  ImageTemplateCustomizerUnion,
  ImageTemplateSharedImageDistributor,
  ImageTemplateSourceUnion,
  ImageTemplateVmProfile,
} from "@azure/arm-imagebuilder";
import { avdStepCustomizers } from "../avd/customizers.ts";
import { galleryImageId, galleryImageVersionId } from "../resource-id.ts";
import type { Settings } from "../settings/types.ts";
import { TAGS } from "../tags.ts";
import { type Version, formatVersion } from "../versioning.ts";
import { inventoryCustomizer } from "./inventory.ts";
import { safetyCustomizers } from "./safety.ts";
import { type ScriptUpload, repositoryScriptCustomizers } from "./scripts.ts";
import { isDefaultWindowsUpdate, windowsUpdateCustomizer } from "./windows-update.ts";

/**
 * The source with its exact version, as the template gets it: a marketplace `latest` already resolved
 * to e.g. `26100.4349.250607`, a gallery `versions/latest` to the exact version ID.
 */
export type PinnedSource =
  | {
      type: "PlatformImage";
      publisher: string;
      offer: string;
      sku: string;
      version: string;
      /** The marketplace image's purchase plan, when it has one (AIB needs it to deploy the build VM). */
      planInfo?: { planName: string; planProduct: string; planPublisher: string };
    }
  | { type: "SharedImageVersion"; imageVersionId: string }
  | { type: "ManagedImage"; imageId: string };

/** The template one run builds, and how it is known in Azure. */
export interface TemplatePlan {
  /** `<image-definition>-<first 12 hex of hash>`: a valid AIB name (`^[A-Za-z0-9-_.]{1,64}$`). */
  name: string;
  /** SHA-256 (hex) of the canonical JSON of every property AIB cannot PATCH. */
  hash: string;
  /** The template to PUT (create) — its `distribute` and `vmProfile` are also what a reuse PATCHes. */
  template: ImageTemplate;
  /** Resource ID of the gallery image definition the run publishes to. */
  imageDefinitionId: string;
  /** Resource ID of the image version the run publishes. */
  imageVersionId: string;
  /** Name of the run output that reports the new image version (the image definition's name, constant across runs). */
  runOutputName: string;
  /**
   * Repository scripts to upload before the template is created (their blob names carry their SHA-256;
   * an upload whose blob already holds that content is skipped). Absent or empty: nothing to upload.
   */
  uploads?: ScriptUpload[];
}

/** Restart after customization scripts and after Windows Update, as the AVD portal lays them out. */
const RESTART_TIMEOUT = "10m";

/**
 * Builds the image template for publishing `version` from `source`.
 *
 * Customizers, in order (see {@link buildCustomizers}); every PowerShell step runs elevated as SYSTEM.
 * Besides `customize`, the hash covers `optimize` (`optimize-boot`), `validate` (`validation-script`),
 * `errorHandling`, `additionalDataDisks`, `stagingResourceGroup` and `managedResourceTags` — none of
 * which Image Builder can PATCH. `vmProfile` (size, disk, `vnetConfig`) is PATCHed on reuse.
 * The distributor is a SharedImage distributor whose `galleryImageId` ends in `/versions/<X.Y.Z>`
 * (AIB's explicit versioning), replicated to the target regions.
 */
export function buildTemplatePlan(settings: Settings, source: PinnedSource, version: Version): TemplatePlan {
  const imageDefinitionId = galleryImageId(settings.subscriptionId, settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition);
  const versionText = formatVersion(version);
  const imageVersionId = galleryImageVersionId(imageDefinitionId, versionText);
  // Constant per template: a PATCH may not remove a distribution target (AIB matches them by run output
  // name), and each run overwrites the run output with the version it published.
  const runOutputName = settings.imageDefinition.slice(0, 64);

  const { customize, uploads } = buildCustomizers(settings);
  const unpatchable = {
    location: settings.location,
    identity: {
      type: "UserAssigned" as const,
      userAssignedIdentities: { [settings.identityId]: {} },
    },
    source: source as ImageTemplateSourceUnion,
    customize,
    buildTimeoutInMinutes: settings.buildTimeoutMinutes,
    // Optional properties only when set, so a template without them keeps its hash.
    ...(settings.optimize ? { optimize: settings.optimize } : {}),
    ...(settings.validate ? { validate: settings.validate } : {}),
    ...(settings.errorHandling ? { errorHandling: settings.errorHandling } : {}),
    ...(settings.dataDiskSizesGb.length ? { additionalDataDisks: settings.dataDiskSizesGb.map((sizeGB) => ({ sizeGB })) } : {}),
    ...(settings.stagingResourceGroup ? { stagingResourceGroup: settings.stagingResourceGroup } : {}),
    ...(settings.managedResourceTags ? { managedResourceTags: settings.managedResourceTags } : {}),
  };
  const hash = hashOf(unpatchable);
  const name = templateName(settings.imageDefinition, hash);

  const template: ImageTemplate = {
    ...unpatchable,
    tags: {
      [TAGS.managed]: "true",
      [TAGS.imageDefinition]: imageDefinitionId.toLowerCase(),
      [TAGS.templateHash]: hash,
    },
    distribute: [buildDistributor(settings, imageVersionId, runOutputName)],
    vmProfile: buildVmProfile(settings),
  };
  return { name, hash, template, imageDefinitionId, imageVersionId, runOutputName, uploads };
}

/**
 * The SharedImage distributor publishing exactly `imageVersionId` (PATCHable on a reused template, so
 * target regions, their storage types and the replication mode are not part of the template hash), to
 * `settings.targetRegions` — which the pipeline resolves in the preflight (empty input: the image
 * definition's region); when they are still empty here, `location` with 1 replica.
 */
export function buildDistributor(settings: Settings, imageVersionId: string, runOutputName: string): ImageTemplateSharedImageDistributor {
  const regions = settings.targetRegions.length > 0 ? settings.targetRegions : [{ name: settings.location, replicaCount: 1 }];
  return {
    type: "SharedImage",
    galleryImageId: imageVersionId,
    runOutputName,
    excludeFromLatest: settings.excludeFromLatest,
    // Each region's own storage type (`region=replicas:Standard_ZRS`), else `storage-account-type`.
    targetRegions: regions.map((region) => ({
      name: region.name,
      replicaCount: region.replicaCount,
      storageAccountType: region.storageAccountType ?? settings.storageAccountType,
    })),
    // imagebuilder.json 2025-10-01 ImageTemplateSharedImageDistributor.replicationMode: "Omit to use the
    // default (Full)", so a Full template keeps the body it always had.
    ...(settings.replicationMode === "Full" ? {} : { replicationMode: settings.replicationMode }),
  };
}

/**
 * The build VM's size, OS disk, network and identities (`build-vm-identities`). PATCHable on a reused
 * template (imagebuilder.json 2025-10-01 `ImageTemplateUpdateParameters.properties.vmProfile`), so none of
 * it is in the template hash: changing the build VM's identities reuses the template and PATCHes them.
 */
export function buildVmProfile(settings: Settings): ImageTemplateVmProfile {
  return {
    vmSize: settings.vmSize,
    osDiskSizeGB: settings.osDiskSizeGb,
    ...(settings.vnetConfig ? { vnetConfig: settings.vnetConfig } : {}),
    ...(settings.vmUserAssignedIdentities?.length ? { userAssignedIdentities: settings.vmUserAssignedIdentities } : {}),
  };
}

/**
 * The customizers, in this order:
 * 1. safety: BitLocker off and `PreventDeviceEncryption` (when `safety-steps` is on);
 * 2. the AVD built-in steps (`avd-steps`), in the portal's order, with the portal's Windows Update and
 *    restart after language packs, default language and Windows optimizations;
 * 3. the template file's own customizers;
 * 4. each `script-uris` script, each repository script (`scripts`), the `inline-script`, then a restart
 *    when any of these ran;
 * 5. Windows Update (`windows-update-search-criteria`, `-filters`, `-limit`; by default everything not
 *    installed but previews, 40 at a time) and a restart (`windows-update`);
 * 6. safety: wait until BitLocker decryption is done, remove per-user Appx packages;
 * 7. the inventory (`inventory`, src/template/inventory.ts): prints what the image holds;
 * 8. admin sysprep (`avd-steps: admin-sysprep`), last.
 * @returns the customizers and the repository script uploads they need.
 */
export function buildCustomizers(settings: Settings): { customize: ImageTemplateCustomizerUnion[]; uploads: ScriptUpload[] } {
  const safety = settings.safetySteps ? safetyCustomizers() : { first: [], beforeSysprep: [] };
  // The portal's own Windows Update steps (updateLimit 0) stay as the portal makes them, unless the
  // windows-update-* inputs say otherwise: a filter that keeps a bad update out keeps it out of every run.
  const updateOptions = isDefaultWindowsUpdate(settings.windowsUpdateOptions) ? undefined : settings.windowsUpdateOptions;
  const avd = avdStepCustomizers(settings.avdSteps, { windowsUpdate: settings.windowsUpdate, windowsUpdateOptions: updateOptions });
  const repository = repositoryScriptCustomizers(settings.repositoryScripts, settings.scriptsStorage);
  const steps: ImageTemplateCustomizerUnion[] = [...safety.first, ...avd.steps, ...settings.fileCustomizers];
  const userSteps = steps.length;
  settings.scriptUris.forEach((script, index) => {
    steps.push({
      type: "PowerShell",
      name: `script-${index + 1}-${scriptFileName(script.uri)}`,
      scriptUri: script.uri,
      ...(script.sha256 ? { sha256Checksum: script.sha256 } : {}),
      runElevated: true,
      runAsSystem: true,
    });
  });
  steps.push(...repository.customizers);
  if (settings.inlineScript.length > 0) {
    steps.push({ type: "PowerShell", name: "inline-script", inline: settings.inlineScript, runElevated: true, runAsSystem: true });
  }
  if (steps.length > userSteps) {
    steps.push({ type: "WindowsRestart", name: "restart-after-scripts", restartTimeout: RESTART_TIMEOUT });
  }
  if (settings.windowsUpdate) {
    steps.push(windowsUpdateCustomizer("windows-update", settings.windowsUpdateOptions));
    steps.push({ type: "WindowsRestart", name: "restart-after-windows-update", restartTimeout: RESTART_TIMEOUT });
  }
  steps.push(...safety.beforeSysprep, ...(settings.inventory ? [inventoryCustomizer()] : []), ...avd.last);
  return { customize: steps, uploads: repository.uploads };
}

function scriptFileName(uri: string): string {
  const last = new URL(uri).pathname.split("/").filter(Boolean).pop() ?? "script";
  return last.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 60);
}

/** SHA-256 (hex) of the canonical JSON (object keys sorted, recursively) of `value`. */
export function hashOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** JSON with object keys sorted at every level and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== "object" || Array.isArray(member)) return member;
    return Object.fromEntries(Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/**
 * `<image-definition>-<12 hex>`, the definition cut to keep the name within AIB's 64 characters; from
 * `attempt` 2 on, `-<attempt>` follows (the same content under a new name, when the first is stuck in Canceling).
 */
export function templateName(imageDefinition: string, hash: string, attempt = 1): string {
  const suffix = attempt > 1 ? `-${attempt}` : "";
  return `${imageDefinition.slice(0, 51 - suffix.length)}-${hash.slice(0, 12)}${suffix}`;
}
