/**
 * The one narrow layer that talks to Azure, through the Azure SDK clients only.
 *
 * - Image templates: @azure/arm-imagebuilder 5.x, Microsoft.VirtualMachineImages api-version 2025-10-01
 *   (VirtualMachineImageTemplates_Get/CreateOrUpdate/Update/Delete/Run/Cancel/GetRunOutput/ListByResourceGroup).
 * - Gallery image versions: @azure/arm-compute 25.x, Microsoft.Compute galleries api-version 2025-12-03
 *   (GalleryImageVersions_ListByGalleryImage/Get/Update/Delete).
 * - Marketplace image versions: @azure/arm-compute VirtualMachineImages_List (a bare array of versions).
 *
 * Long-running operations go through the SDK's own pollers (which honour `Retry-After`); retries of
 * 429/5xx and dropped connections are the SDK pipeline's, with `ARM_RETRY` (arm-options.ts): every call,
 * LRO polls included, rides out a throttling storm. Clients are made per subscription, lazily.
 */

import type { ComputeManagementClient, GalleryProvisioningState } from "@azure/arm-compute";
import { ImageBuilderClient, type ImageTemplate, type ImageTemplateUpdateParameters, type RunOutput } from "@azure/arm-imagebuilder";
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import type { CloudEndpoints } from "../cloud.ts";
import { type ArmLogs, modularClientOptions } from "./arm-options.ts";

/** An image version as the action needs it (from GalleryImageVersion, api-version 2025-12-03). */
export interface ImageVersionInfo {
  /** `X.Y.Z`. */
  name: string;
  /** Resource ID, as Azure returned it. */
  id: string;
  tags: Record<string, string>;
  excludeFromLatest: boolean;
  /** When the version was published (UTC), if Azure reports it. */
  publishedDate?: Date;
  /** `publishingProfile.endOfLifeDate`, if set. */
  endOfLifeDate?: Date;
  /** `safetyProfile.blockDeletionBeforeEndOfLife`. */
  blockDeletionBeforeEndOfLife: boolean;
  /** `provisioningState` (`KnownGalleryProvisioningState`: `Creating`, `Updating`, `Failed`, `Succeeded`, `Deleting`, `Migrating`). */
  provisioningState?: GalleryProvisioningState;
  /** Replication per region, when read with `replicationStatus: true` (`$expand=ReplicationStatus`). */
  replication?: { aggregatedState?: string; regions: { region: string; state?: string; progress?: number; details?: string }[] };
  /** Target region names as Azure returns them (display names, e.g. `West Europe`). */
  regions: string[];
}

/** What `updateImageVersion` may change. */
export interface ImageVersionUpdate {
  tags?: Record<string, string>;
  excludeFromLatest?: boolean;
  endOfLifeDate?: Date;
}

/** Options every gateway call takes. */
export interface CallOptions {
  /** Aborts waiting (not the operation in Azure). */
  abortSignal?: AbortSignal;
}

/** What the pipeline asks of Azure. Every method throws the SDK's `RestError` on failure (status code, ARM code). */
export interface AzureGateway {
  /** Marketplace versions of `publisher:offer:sku` in `location` (unsorted names). */
  listMarketplaceVersions(location: string, publisher: string, offer: string, sku: string): Promise<string[]>;
  /** All image versions of a gallery image definition (every page). */
  listImageVersions(subscriptionId: string, resourceGroup: string, gallery: string, image: string): Promise<ImageVersionInfo[]>;
  /** One image version, or undefined when it does not exist (404); with its replication status when `replicationStatus` is set (GalleryImageVersions_Get `$expand=ReplicationStatus`). */
  getImageVersion(
    resourceGroup: string,
    gallery: string,
    image: string,
    version: string,
    options?: { replicationStatus?: boolean },
  ): Promise<ImageVersionInfo | undefined>;
  /**
   * PATCHes an image version (waits for the LRO): its tags (replaced whole when given), and in
   * `publishingProfile` its exclude-from-latest flag and end-of-life date (merged by Azure). A change
   * to `publishingProfile` first GETs the version and sends its `storageProfile` back, as
   * GalleryImageVersionUpdate requires (GalleryRP 2025-12-03, GalleryImageVersions_Get + _Update).
   */
  updateImageVersion(resourceGroup: string, gallery: string, image: string, version: string, update: ImageVersionUpdate): Promise<void>;
  /** Deletes an image version (DELETE, waits for the LRO). */
  deleteImageVersion(resourceGroup: string, gallery: string, image: string, version: string): Promise<void>;
  /** An image template, or undefined when it does not exist (404). */
  getTemplate(resourceGroup: string, name: string, options?: CallOptions): Promise<ImageTemplate | undefined>;
  /** All image templates of a resource group (every page). */
  listTemplates(resourceGroup: string): Promise<ImageTemplate[]>;
  /** Creates an image template (PUT, waits for the LRO). */
  createTemplate(resourceGroup: string, name: string, template: ImageTemplate): Promise<ImageTemplate>;
  /** PATCHes `distribute`/`vmProfile`/`tags`/`identity` of an image template (waits for the LRO). */
  updateTemplate(resourceGroup: string, name: string, update: ImageTemplateUpdateParameters): Promise<ImageTemplate>;
  /** Deletes an image template and its staging resources (DELETE, waits for the LRO; `abortSignal` stops the wait, not the deletion). */
  deleteTemplate(resourceGroup: string, name: string, options?: CallOptions): Promise<void>;
  /** Starts a build (POST run) and returns once Azure accepted it (202), without waiting for the build. */
  startRun(resourceGroup: string, name: string): Promise<void>;
  /** Asks Azure to cancel a running build (POST cancel) and returns once accepted. */
  cancelRun(resourceGroup: string, name: string, options?: CallOptions): Promise<void>;
  /** A run output, or undefined when it does not exist (404). */
  getRunOutput(resourceGroup: string, name: string, runOutputName: string): Promise<RunOutput | undefined>;
}

/** How LRO pollers wait between polls when Azure sends no Retry-After, in milliseconds. */
const LRO_INTERVAL_MS = 2000;

/** True when `error` is an HTTP 404 from Azure. */
export function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Makes the gateway for `subscriptionId`, talking to `cloud.armEndpoint` with `credential`.
 * @param log where each throttled answer is logged (with its wait), e.g. the host's info log, and, given a
 *   `debug` channel too (e.g. the host itself), every HTTP attempt at debug level (arm-options.ts `ArmLogs`).
 */
export function createAzureGateway(credential: TokenCredential, subscriptionId: string, cloud: CloudEndpoints, log?: ArmLogs): AzureGateway {
  const clientOptions = modularClientOptions(cloud, log);
  const compute = new Map<string, Promise<ComputeManagementClient>>();
  // @azure/arm-compute is imported on first use (its own bundle chunk): its evaluation then overlaps the
  // first ARM request's token exchange instead of delaying the process start.
  const computeFor = (subscription: string): Promise<ComputeManagementClient> => {
    let client = compute.get(subscription.toLowerCase());
    if (!client) {
      client = import("@azure/arm-compute").then(({ ComputeManagementClient }) => new ComputeManagementClient(credential, subscription, clientOptions));
      compute.set(subscription.toLowerCase(), client);
    }
    return client;
  };
  const images = new ImageBuilderClient(credential, subscriptionId, clientOptions);
  const templates = images.virtualMachineImageTemplates;
  const lro = { updateIntervalInMs: LRO_INTERVAL_MS };

  return {
    async listMarketplaceVersions(location, publisher, offer, sku) {
      const versions = await (await computeFor(subscriptionId)).virtualMachineImages.list(location, publisher, offer, sku);
      return versions.map((version) => version.name);
    },
    async listImageVersions(subscription, resourceGroup, gallery, image) {
      const result: ImageVersionInfo[] = [];
      for await (const version of (await computeFor(subscription)).galleryImageVersions.listByGalleryImage(resourceGroup, gallery, image)) {
        result.push(toImageVersionInfo(version));
      }
      return result;
    },
    async getImageVersion(resourceGroup, gallery, image, version, options) {
      const expand = options?.replicationStatus ? { expand: "ReplicationStatus" as const } : {};
      const found = await orUndefined((await computeFor(subscriptionId)).galleryImageVersions.get(resourceGroup, gallery, image, version, expand));
      return found && toImageVersionInfo(found);
    },
    async updateImageVersion(resourceGroup, gallery, image, version, update) {
      const versions = (await computeFor(subscriptionId)).galleryImageVersions;
      if (update.excludeFromLatest === undefined && update.endOfLifeDate === undefined) {
        // Tags only: a GalleryImageVersionUpdate without `properties` is spec-valid.
        await versions.update(resourceGroup, gallery, image, version, { tags: update.tags }, lro);
        return;
      }
      // GalleryImageVersionUpdate requires properties.storageProfile once `properties` is sent
      // (GalleryRP 2025-12-03; the GalleryImageVersion_Update example sends it). Like
      // `az sig image-version update`, read the version first and send its storage profile back unchanged.
      const current = await versions.get(resourceGroup, gallery, image, version);
      if (!current.storageProfile) throw new Error(`Image version ${gallery}/${image}/${version} has no storageProfile; Azure returned an incomplete version.`);
      const publishingProfile = { excludeFromLatest: update.excludeFromLatest, endOfLifeDate: update.endOfLifeDate };
      await versions.update(resourceGroup, gallery, image, version, { tags: update.tags, publishingProfile, storageProfile: current.storageProfile }, lro);
    },
    async deleteImageVersion(resourceGroup, gallery, image, version) {
      await (await computeFor(subscriptionId)).galleryImageVersions.delete(resourceGroup, gallery, image, version, lro);
    },
    getTemplate(resourceGroup, name, options) {
      return orUndefined(templates.get(resourceGroup, name, { abortSignal: options?.abortSignal }));
    },
    async listTemplates(resourceGroup) {
      const result: ImageTemplate[] = [];
      for await (const template of templates.listByResourceGroup(resourceGroup)) result.push(template);
      return result;
    },
    async createTemplate(resourceGroup, name, template) {
      return templates.createOrUpdate(resourceGroup, name, template, lro);
    },
    async updateTemplate(resourceGroup, name, update) {
      return templates.update(resourceGroup, name, update, lro);
    },
    async deleteTemplate(resourceGroup, name, options) {
      await templates.delete(resourceGroup, name, { ...lro, abortSignal: options?.abortSignal });
    },
    async startRun(resourceGroup, name) {
      await templates.run(resourceGroup, name, lro).submitted();
    },
    async cancelRun(resourceGroup, name, options) {
      await templates.cancel(resourceGroup, name, { ...lro, abortSignal: options?.abortSignal }).submitted();
    },
    getRunOutput(resourceGroup, name, runOutputName) {
      return orUndefined(templates.getRunOutput(resourceGroup, name, runOutputName));
    },
  };
}

type SdkImageVersion = Awaited<ReturnType<ComputeManagementClient["galleryImageVersions"]["get"]>>;

function toImageVersionInfo(version: SdkImageVersion): ImageVersionInfo {
  const profile = version.publishingProfile;
  return {
    name: version.name ?? "",
    id: version.id ?? "",
    tags: { ...(version.tags ?? {}) },
    excludeFromLatest: profile?.excludeFromLatest ?? false,
    publishedDate: profile?.publishedDate,
    endOfLifeDate: profile?.endOfLifeDate,
    blockDeletionBeforeEndOfLife: version.safetyProfile?.blockDeletionBeforeEndOfLife ?? false,
    provisioningState: version.provisioningState,
    regions: (profile?.targetRegions ?? []).map((region) => region.name),
    ...(version.replicationStatus
      ? {
          replication: {
            aggregatedState: version.replicationStatus.aggregatedState,
            regions: (version.replicationStatus.summary ?? []).map((r) => ({
              region: r.region ?? "",
              state: r.state,
              progress: r.progress,
              details: r.details,
            })),
          },
        }
      : {}),
  };
}
