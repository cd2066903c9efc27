/**
 * Pins the build's source to an exact version, so the template hash changes exactly when the source does.
 *
 * - Marketplace `latest` → the highest version listed by VirtualMachineImages_List (Microsoft.Compute),
 *   ordered numerically (Azure's `$orderby=name` orders as text).
 * - Gallery image version `…/versions/latest` → the highest version of that definition, numeric order,
 *   leaving out versions excluded from latest and versions not successfully provisioned (what `latest`
 *   means for a VM deployed from a gallery).
 */

import { ActionError } from "../errors.ts";
import { galleryImageVersionId, parseGalleryImageVersionId, splitImageVersionId } from "../resource-id.ts";
import type { ImageSource } from "../settings/types.ts";
import { highestDotted, sortNewestFirst } from "../versioning.ts";
import type { PinnedSource } from "./build.ts";

/** A pinned source, and its exact version in words for outputs and tags. */
export interface ResolvedSource {
  pinned: PinnedSource;
  /** Marketplace version (e.g. `26100.4349.250607`), gallery image version ID, or managed image ID. */
  exactVersion: string;
  /** The source as the user gave it, e.g. `MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest`. */
  display: string;
}

/** Raised when `source` names nothing that exists; the message names the input. */
export class SourceNotFoundError extends ActionError {
  override name = "SourceNotFoundError";
}

/**
 * The two lookups {@link resolveSource} needs, so the pure core names no Azure layer type;
 * `AzureGateway` (src/azure/gateway.ts) provides them: VirtualMachineImages_List (marketplace versions,
 * highest last or in any order) and GalleryImageVersions_ListByGalleryImage (gallery image versions).
 */
export interface SourceLookups {
  listMarketplaceVersions(location: string, publisher: string, offer: string, sku: string): Promise<string[]>;
  listImageVersions(
    subscriptionId: string,
    resourceGroup: string,
    gallery: string,
    image: string,
  ): Promise<readonly { name: string; excludeFromLatest: boolean; provisioningState?: string }[]>;
}

/**
 * Resolves `source` to an exact version.
 * @throws SourceNotFoundError when a `latest` has no version to resolve to.
 * @throws RestError from the SDK when Azure refuses the lookup (e.g. 404 for an unknown marketplace image).
 */
export async function resolveSource(source: ImageSource, location: string, azure: SourceLookups): Promise<ResolvedSource> {
  switch (source.kind) {
    case "marketplace": {
      const display = `${source.publisher}:${source.offer}:${source.sku}:${source.version}`;
      let version = source.version;
      if (version === "latest") {
        const versions = await azure.listMarketplaceVersions(location, source.publisher, source.offer, source.sku);
        const highest = highestDotted(versions);
        if (!highest) {
          throw new SourceNotFoundError(
            `Input 'source': marketplace image ${source.publisher}:${source.offer}:${source.sku} has no versions in ${location}. ` +
              `Check the URN with 'az vm image list --publisher ${source.publisher} --offer ${source.offer} --sku ${source.sku} --location ${location} --all'.`,
          );
        }
        version = highest;
      }
      return {
        pinned: { type: "PlatformImage", publisher: source.publisher, offer: source.offer, sku: source.sku, version },
        exactVersion: version,
        display,
      };
    }
    case "gallery": {
      const ref = parseGalleryImageVersionId(source.imageVersionId)!;
      let id = source.imageVersionId;
      if (ref.version.toLowerCase() === "latest") {
        const versions = await azure.listImageVersions(ref.subscriptionId, ref.resourceGroup, ref.gallery, ref.image);
        const eligible = versions.filter((v) => !v.excludeFromLatest && (v.provisioningState ?? "Succeeded") === "Succeeded");
        const newest = sortNewestFirst(eligible.map((v) => v.name))[0];
        if (!newest) {
          throw new SourceNotFoundError(
            `Input 'source': gallery image ${ref.gallery}/${ref.image} has no version that 'latest' can resolve to ` +
              `(none, or all excluded from latest). Publish a version or name one explicitly.`,
          );
        }
        id = galleryImageVersionId(splitImageVersionId(source.imageVersionId)!.definitionId, newest);
      }
      return { pinned: { type: "SharedImageVersion", imageVersionId: id }, exactVersion: id, display: source.imageVersionId };
    }
    case "managedImage":
      return { pinned: { type: "ManagedImage", imageId: source.imageId }, exactVersion: source.imageId, display: source.imageId };
  }
}
