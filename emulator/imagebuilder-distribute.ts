/**
 * Image Builder's distribution at the end of a build (runSubState Distributing): for each distributor of
 * the template, publish the image version to its Azure Compute Gallery image definition (SharedImage),
 * or record the managed image / VHD, and set the run outputs (GET imageTemplates/{name}/runOutputs,
 * api-version 2025-10-01). Called by `imagebuilder-build.ts`.
 *
 * Real AIB wordings used (and where they come from):
 *  - The distribution error frame "Failed in distributing 1 images out of total 1: {[Error 0] [Distribute 0]
 *    Error publishing MDI to Azure Compute Gallery:…, Location:…. Error: Error returned from SIG client while
 *    publishing MDI to Azure Compute Gallery for dstImageLocation: …, dstSubscription: …, dstResourceGroupName:
 *    …, dstGalleryName: …, dstGalleryImageName: …. Error: …}" — MicrosoftDocs/azure-docs
 *    articles/virtual-machines/linux/image-builder-troubleshoot.md. The inner error for an existing version is
 *    Compute's PropertyChangeNotAllowed (see gallery.ts); the composition is the emulator's.
 *  - "Error waiting on Azure Compute Gallery future … context deadline exceeded" and "Even though the build
 *    failed, the replication continues" — same troubleshooting guide, "Error waiting on Azure Compute Gallery".
 *  - Source / definition mismatches and target regions without the definition's region — publish-rules.ts
 *    (VM Image Builder overview; Image Builder template reference; hashicorp/packer#8895).
 *  - Zone-redundant replicas only in regions with availability zones — Azure Compute Gallery docs;
 *    Azure/avdaccelerator PR #289. Shallow replication: one replica in the version's region —
 *    packer-plugin-azure PR #383 and its config docs. (Both inner wordings are the emulator's.)
 */
import { isRecord, newGuid } from "./arm.ts";
import type { Core } from "./core.ts";
import type { Gallery, TargetRegionInput } from "./gallery-store.ts";
import { parseVersion } from "./gallery-store.ts";
import type { BuildPlan } from "./imagebuilder-records.ts";
import { GALLERY_IMAGE_ID_RE, type TemplateRecord, storageAccountName, stringRecord } from "./imagebuilder-template.ts";
import type { Marketplace } from "./marketplace.ts";
import { type ImageTraits, sourceMismatch as publishMismatch, regionsMissLocation, securityTypeOf } from "./publish-rules.ts";
import { hasAvailabilityZones, regionName } from "./regions.ts";

/** What distribution reads and writes: the clock and options, the galleries, the marketplace. */
export interface DistributeDeps {
  core: () => Core;
  gallery: Gallery;
  marketplace: Marketplace;
}

/**
 * Why Compute refuses to publish this template's source to a definition, or undefined (publish-rules.ts):
 * a different Hyper-V generation, or a security-type pairing Image Builder does not support. The source's
 * traits are the marketplace image's, or the parent definition's of a gallery image version.
 */
function sourceMismatch(deps: DistributeDeps, t: TemplateRecord, definition: Record<string, unknown>): string | undefined {
  const src = t.input.source as Record<string, unknown>;
  let source: ImageTraits | undefined;
  if (src.type === "PlatformImage") source = deps.marketplace.traits(t.location, String(src.publisher), String(src.offer), String(src.sku));
  if (src.type === "SharedImageVersion") {
    const m = GALLERY_IMAGE_ID_RE.exec(String(src.imageVersionId));
    const parent = m ? deps.gallery.getImage(m[1]!, m[2]!, m[3]!, m[4]!) : undefined;
    if (parent) source = { hyperVGeneration: String(parent.properties.hyperVGeneration ?? "V1"), securityType: securityTypeOf(parent.properties.features) };
  }
  if (!source) return undefined;
  return publishMismatch(source, { hyperVGeneration: String(definition.hyperVGeneration ?? "V1"), securityType: securityTypeOf(definition.features) });
}

/** Distributes every target; returns AIB's error message when any fails. */
export function distribute(deps: DistributeDeps, t: TemplateRecord, replicationTimeout?: BuildPlan["replicationTimeout"]): string | undefined {
  const dists = t.input.distribute as Record<string, unknown>[];
  const errors: string[] = [];
  dists.forEach((d, i) => {
    const runOutputName = String(d.runOutputName);
    if (d.type === "SharedImage") {
      const m = GALLERY_IMAGE_ID_RE.exec(String(d.galleryImageId));
      const [, sub, rg, gal, img, explicit] = m!;
      const imageIdNoVersion = String(d.galleryImageId).replace(/\/versions\/[^/]+$/i, "");
      const frame = (inner: string) =>
        `[Distribute ${i}] Error publishing MDI to Azure Compute Gallery:${imageIdNoVersion}, Location:${t.location}. Error: Error returned from SIG client while publishing MDI to Azure Compute Gallery for dstImageLocation: ${t.location}, dstSubscription: ${sub}, dstResourceGroupName: ${rg}, dstGalleryName: ${gal}, dstGalleryImageName: ${img}. Error: ${inner}`;
      const image = deps.gallery.getImage(sub!, rg!, gal!, img!);
      if (!image) {
        const what = deps.gallery.getGallery(sub!, rg!, gal!) ? `Microsoft.Compute/galleries/${gal}/images/${img}` : `Microsoft.Compute/galleries/${gal}`;
        errors.push(
          frame(
            `ResourceNotFound: The Resource '${what}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
          ),
        );
        return;
      }
      const mismatch = sourceMismatch(deps, t, image.properties);
      if (mismatch) {
        errors.push(frame(mismatch));
        return;
      }
      const version = explicit ?? autoVersion(deps, t, d, image.subscriptionId, image.resourceGroup, image.gallery, image.name);
      if (deps.gallery.getVersion(image.subscriptionId, image.resourceGroup, image.gallery, image.name, version)) {
        errors.push(frame("PropertyChangeNotAllowed: Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed."));
        return;
      }
      const regions: TargetRegionInput[] =
        Array.isArray(d.targetRegions) && d.targetRegions.length
          ? (d.targetRegions as Record<string, unknown>[]).map((r) => {
              const o: { name: string; regionalReplicaCount?: number; storageAccountType?: string } = { name: String(r.name) };
              if (typeof r.replicaCount === "number") o.regionalReplicaCount = r.replicaCount;
              if (typeof r.storageAccountType === "string") o.storageAccountType = r.storageAccountType;
              return o;
            })
          : Array.isArray(d.replicationRegions) && d.replicationRegions.length
            ? (d.replicationRegions as string[])
            : [t.location];
      // The version is created in its definition's region, which its target regions must hold (publish-rules.ts).
      const missing = regionsMissLocation(
        regions.map((r) => (typeof r === "string" ? r : r.name)),
        image.location,
      );
      if (missing) {
        errors.push(frame(missing));
        return;
      }
      // Zone-redundant replicas need a region with availability zones (Azure Compute Gallery docs: ZRS "in
      // regions that support Availability Zones"; Azure/avdaccelerator PR #289: a build failed so in West US).
      // The inner wording is the emulator's: no public sample of Compute's answer was found.
      const defaultStorage = typeof d.storageAccountType === "string" ? d.storageAccountType : "Standard_LRS";
      const zoneless = regions
        .map((r) =>
          typeof r === "string"
            ? { name: r, storageAccountType: defaultStorage }
            : { name: r.name, storageAccountType: r.storageAccountType ?? defaultStorage },
        )
        .filter((r) => r.storageAccountType === "Standard_ZRS" && !hasAvailabilityZones(r.name));
      if (zoneless.length) {
        errors.push(
          frame(
            `InvalidParameter: The storage account type 'Standard_ZRS' is not supported in region '${regionName(zoneless[0]!.name)}'. Zone-redundant storage is available only in regions with availability zones.`,
          ),
        );
        return;
      }
      // Shallow replication keeps the version where it is created, in one replica (packer-plugin-azure
      // validates the same before calling Compute, PR #383 and its config docs). Wording the emulator's.
      if (d.replicationMode === "Shallow") {
        const extra = regions.find(
          (r) => regionName(typeof r === "string" ? r : r.name) !== regionName(image.location) || (typeof r !== "string" && (r.regionalReplicaCount ?? 1) > 1),
        );
        if (extra || regions.length > 1) {
          errors.push(
            frame(`InvalidParameter: Replication mode 'Shallow' supports only the image version's region '${regionName(image.location)}' with 1 replica.`),
          );
          return;
        }
      }
      const galleryWait = `Error waiting on Azure Compute Gallery future for resource group: ${image.resourceGroup}, gallery name: ${image.gallery}, gallery image name: ${image.name}.Error: Future#WaitForCompletion: context has been cancelled: StatusCode=200 -- Original Error: context deadline exceeded`;
      if (replicationTimeout?.versionCreated === false) {
        errors.push(frame(galleryWait));
        return;
      }
      const created = deps.gallery.createDistributedVersion({
        subscriptionId: image.subscriptionId,
        resourceGroup: image.resourceGroup,
        gallery: image.gallery,
        image: image.name,
        version,
        tags: stringRecord(d.artifactTags),
        targetRegions: regions,
        excludeFromLatest: d.excludeFromLatest === true,
        storageAccountType: defaultStorage,
        ...(typeof d.replicationMode === "string" ? { replicationMode: d.replicationMode } : {}),
        sourceId: `${t.exactStagingResourceGroup}/providers/Microsoft.Compute/images/IntermediateImage_${t.stagingGuid.slice(0, 8)}`,
      });
      // AIB reports the artifact id with lower-case 'resourcegroups' (ids vary in case; compare case-insensitively).
      t.runOutputs.set(runOutputName.toLowerCase(), {
        name: runOutputName,
        artifactId: `/subscriptions/${image.subscriptionId}/resourcegroups/${image.resourceGroup}/providers/Microsoft.Compute/galleries/${image.gallery}/images/${image.name}/versions/${version}`,
      });
      if (replicationTimeout) {
        // Troubleshooting guide, "Error waiting on Azure Compute Gallery": AIB stopped waiting while the
        // version is being added and replicated; "Even though the build failed, the replication continues"
        // and the distribution runOutput holds the version.
        created.properties.provisioningState = "Creating";
        if (replicationTimeout.completeAfterMs !== undefined) {
          deps.core().scheduler.after(replicationTimeout.completeAfterMs, () => {
            if (created.properties.provisioningState === "Creating") created.properties.provisioningState = "Succeeded";
          });
        }
        errors.push(frame(galleryWait));
      }
    } else if (d.type === "ManagedImage") {
      t.runOutputs.set(runOutputName.toLowerCase(), { name: runOutputName, artifactId: String(d.imageId) });
    } else {
      t.runOutputs.set(runOutputName.toLowerCase(), {
        name: runOutputName,
        artifactUri: `https://${storageAccountName(t)}.blob.core.windows.net/vhds/${t.name}_${newGuid().slice(0, 8)}.vhd`,
      });
    }
  });
  if (!errors.length) return undefined;
  return `Failed in distributing ${errors.length} images out of total ${dists.length}: {${errors.map((e, i) => `[Error ${i}] ${e}`).join(", ")}}`;
}

/** AIB's versioners: `Latest` (default; next patch of the highest version with `major`, -1 = any) or `Source`. */
function autoVersion(deps: DistributeDeps, t: TemplateRecord, d: Record<string, unknown>, sub: string, rg: string, gal: string, img: string): string {
  const v = isRecord(d.versioning) ? d.versioning : { scheme: "Latest", major: -1 };
  if (v.scheme === "Source" && t.exactSourceVersion) {
    const parts = t.exactSourceVersion
      .split(".")
      .slice(0, 3)
      .map((x) => Number.parseInt(x, 10) || 0);
    while (parts.length < 3) parts.push(0);
    return parts.join(".");
  }
  const major = typeof v.major === "number" ? v.major : -1;
  const latest = deps.gallery.latestVersion(sub, rg, gal, img, major);
  if (!latest) return major >= 0 ? `${major}.0.0` : "0.0.1";
  const [a, b, c] = parseVersion(latest)!;
  return `${a}.${b}.${c + 1}`;
}
