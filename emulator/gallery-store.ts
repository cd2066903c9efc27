/**
 * The records of Azure Compute Gallery (GalleryRP.json api 2025-12-03): galleries, image definitions and
 * image versions, their resource IDs and ARM bodies (response shapes after the GalleryRP examples; regions
 * in `targetRegions` are display names, "West Europe"), lookups, seeding, and the versions Image Builder
 * distributes. The ARM operations on them are gallery.ts.
 */

import type { Operation } from "./arm.ts";
import { armTime, clone, key } from "./arm.ts";
import type { Core } from "./core.ts";
import { regionDisplayName, regionName } from "./regions.ts";

/** A gallery. */
export interface GalleryRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  description?: string;
  provisioningState: string;
}

/** An image definition. */
export interface ImageRecord {
  subscriptionId: string;
  resourceGroup: string;
  gallery: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

/** An image version (`deleteOperation`: the DELETE LRO under way). */
export interface VersionRecord {
  subscriptionId: string;
  resourceGroup: string;
  gallery: string;
  image: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
  deleteOperation?: Operation;
}

/** A target region for seeding: a region name/display name or a full object. */
export type TargetRegionInput = string | { name: string; regionalReplicaCount?: number; storageAccountType?: string; excludeFromLatest?: boolean };

/** Arguments of {@link Gallery.seedImageVersion} (and `emu.seedImageVersion`). */
export interface SeedImageVersion {
  subscriptionId?: string;
  resourceGroup: string;
  gallery: string;
  image: string;
  /** `Major.Minor.Patch`. */
  version: string;
  tags?: Record<string, string>;
  excludeFromLatest?: boolean;
  /** ISO-8601; default now. */
  publishedDate?: string;
  /** ISO-8601. */
  endOfLifeDate?: string;
  /** Default: the gallery's region. */
  targetRegions?: TargetRegionInput[];
  blockDeletionBeforeEndOfLife?: boolean;
  /** Default `Succeeded`. */
  provisioningState?: string;
  /** storageProfile.source.id; default a managed image id in the resource group. */
  sourceId?: string;
  storageAccountType?: string;
}

/** Arguments of {@link Gallery.seedImageDefinition}. */
export interface SeedImageDefinition {
  subscriptionId?: string;
  resourceGroup: string;
  gallery: string;
  name: string;
  location?: string;
  osType?: "Windows" | "Linux";
  osState?: "Generalized" | "Specialized";
  hyperVGeneration?: "V1" | "V2";
  publisher: string;
  offer: string;
  sku: string;
  /** Adds feature SecurityType (e.g. 'TrustedLaunchSupported'); omitted when undefined. */
  securityType?: string;
  tags?: Record<string, string>;
}

/** A version as `emu.listImageVersions` returns it. */
export interface ImageVersionSummary {
  name: string;
  id: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

const VERSION_RE = /^(\d+)\.(\d+)\.(\d+)$/;
const INT32_MAX = 2_147_483_647;

/** Parses `Major.Minor.Patch` (each a non-negative int32) or returns undefined. */
export function parseVersion(v: string): [number, number, number] | undefined {
  const m = VERSION_RE.exec(v);
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  return parts.every((p) => p <= INT32_MAX) ? parts : undefined;
}

/** Numeric comparison of two `Major.Minor.Patch` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [0, 0, 0];
  const pb = parseVersion(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** The galleries, image definitions and image versions the emulator holds. */
export class Gallery {
  private readonly core: () => Core;
  readonly galleries = new Map<string, GalleryRecord>();
  readonly images = new Map<string, ImageRecord>();
  readonly versions = new Map<string, VersionRecord>();

  constructor(core: () => Core) {
    this.core = core;
  }

  // ---------- ids and bodies ----------

  galleryId(g: { subscriptionId: string; resourceGroup: string; name: string }): string {
    return `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}/providers/Microsoft.Compute/galleries/${g.name}`;
  }

  imageId(i: { subscriptionId: string; resourceGroup: string; gallery: string; name: string }): string {
    return `/subscriptions/${i.subscriptionId}/resourceGroups/${i.resourceGroup}/providers/Microsoft.Compute/galleries/${i.gallery}/images/${i.name}`;
  }

  versionId(v: { subscriptionId: string; resourceGroup: string; gallery: string; image: string; name: string }): string {
    return `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.Compute/galleries/${v.gallery}/images/${v.image}/versions/${v.name}`;
  }

  /** The ARM body of a gallery. */
  galleryBody(g: GalleryRecord): Record<string, unknown> {
    const properties: Record<string, unknown> = {
      identifier: { uniqueName: `${g.subscriptionId}-${g.name.toUpperCase()}` },
      provisioningState: g.provisioningState,
    };
    if (g.description !== undefined) properties.description = g.description;
    const body: Record<string, unknown> = { id: this.galleryId(g), name: g.name, type: "Microsoft.Compute/galleries", location: g.location };
    if (Object.keys(g.tags).length) body.tags = g.tags;
    body.properties = properties;
    return body;
  }

  /** The ARM body of an image definition. */
  imageBody(i: ImageRecord): Record<string, unknown> {
    const body: Record<string, unknown> = { id: this.imageId(i), name: i.name, type: "Microsoft.Compute/galleries/images", location: i.location };
    if (Object.keys(i.tags).length) body.tags = i.tags;
    body.properties = clone(i.properties);
    return body;
  }

  /** The ARM body of an image version (`expandReplication`: `$expand=ReplicationStatus`). */
  versionBody(v: VersionRecord, expandReplication = false): Record<string, unknown> {
    const body: Record<string, unknown> = { id: this.versionId(v), name: v.name, type: "Microsoft.Compute/galleries/images/versions", location: v.location };
    if (Object.keys(v.tags).length) body.tags = v.tags;
    const props = clone(v.properties);
    if (expandReplication) {
      const pp = (props.publishingProfile ?? {}) as Record<string, unknown>;
      const regions = (pp.targetRegions ?? []) as { name: string }[];
      const done = props.provisioningState === "Succeeded";
      props.replicationStatus = {
        aggregatedState: done ? "Completed" : props.provisioningState === "Failed" ? "Failed" : "InProgress",
        summary: regions.map((r) => ({ region: r.name, state: done ? "Completed" : "Replicating", details: "", progress: done ? 100 : 50 })),
      };
    }
    body.properties = props;
    return body;
  }

  // ---------- lookups ----------

  getGallery(sub: string, rg: string, name: string): GalleryRecord | undefined {
    return this.galleries.get(key(sub, rg, name));
  }

  getImage(sub: string, rg: string, gallery: string, name: string): ImageRecord | undefined {
    return this.images.get(key(sub, rg, gallery, name));
  }

  getVersion(sub: string, rg: string, gallery: string, image: string, name: string): VersionRecord | undefined {
    return this.versions.get(key(sub, rg, gallery, image, name));
  }

  versionsOf(sub: string, rg: string, gallery: string, image: string): VersionRecord[] {
    const prefix = `${key(sub, rg, gallery, image)}/`;
    return [...this.versions.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  /** Versions of an image definition (insertion order) as plain summaries. */
  listImageVersions(sub: string, rg: string, gallery: string, image: string): ImageVersionSummary[] {
    return this.versionsOf(sub, rg, gallery, image).map((v) => ({ name: v.name, id: this.versionId(v), tags: { ...v.tags }, properties: clone(v.properties) }));
  }

  /** Highest existing version (numeric) whose major matches (`major` < 0: any), or undefined. */
  latestVersion(sub: string, rg: string, gallery: string, image: string, major = -1): string | undefined {
    const names = this.versionsOf(sub, rg, gallery, image)
      .map((v) => v.name)
      .filter((n) => parseVersion(n) && (major < 0 || parseVersion(n)![0] === major));
    names.sort(compareVersions);
    return names.at(-1);
  }

  // ---------- seeding / programmatic creation ----------

  /** Creates a gallery (resource group must exist or is created in `location`). */
  seedGallery(g: {
    subscriptionId?: string;
    resourceGroup: string;
    name: string;
    location?: string;
    description?: string;
    tags?: Record<string, string>;
  }): GalleryRecord {
    const c = this.core();
    const sub = g.subscriptionId ?? c.options.subscriptionId;
    const rg =
      c.resources.getResourceGroup(sub, g.resourceGroup) ?? c.resources.addResourceGroup({ subscriptionId: sub, name: g.resourceGroup, location: g.location });
    const rec: GalleryRecord = {
      subscriptionId: sub,
      resourceGroup: rg.name,
      name: g.name,
      location: regionName(g.location ?? rg.location),
      tags: g.tags ?? {},
      provisioningState: "Succeeded",
    };
    if (g.description !== undefined) rec.description = g.description;
    this.galleries.set(key(sub, rg.name, g.name), rec);
    return rec;
  }

  /** Creates an image definition in an existing gallery. */
  seedImageDefinition(d: SeedImageDefinition): ImageRecord {
    const c = this.core();
    const sub = d.subscriptionId ?? c.options.subscriptionId;
    const g = this.getGallery(sub, d.resourceGroup, d.gallery);
    if (!g) throw new Error(`seedImageDefinition: gallery ${d.resourceGroup}/${d.gallery} does not exist; seed it first`);
    const properties: Record<string, unknown> = {
      hyperVGeneration: d.hyperVGeneration ?? "V2",
      architecture: "x64",
      osType: d.osType ?? "Windows",
      osState: d.osState ?? "Generalized",
      identifier: { publisher: d.publisher, offer: d.offer, sku: d.sku },
      provisioningState: "Succeeded",
    };
    if (d.securityType) properties.features = [{ name: "SecurityType", value: d.securityType }];
    const rec: ImageRecord = {
      subscriptionId: sub,
      resourceGroup: g.resourceGroup,
      gallery: g.name,
      name: d.name,
      location: regionName(d.location ?? g.location),
      tags: d.tags ?? {},
      properties,
    };
    this.images.set(key(sub, g.resourceGroup, g.name, d.name), rec);
    return rec;
  }

  /** Creates an image version in an existing image definition (Succeeded unless told otherwise). */
  seedImageVersion(s: SeedImageVersion): ImageVersionSummary {
    const c = this.core();
    const sub = s.subscriptionId ?? c.options.subscriptionId;
    const img = this.getImage(sub, s.resourceGroup, s.gallery, s.image);
    if (!img) throw new Error(`seedImageVersion: image definition ${s.resourceGroup}/${s.gallery}/${s.image} does not exist; seed it first`);
    if (!parseVersion(s.version)) throw new Error(`seedImageVersion: '${s.version}' is not Major.Minor.Patch`);
    const regions = (s.targetRegions ?? [img.location]).map((r) => targetRegion(r, s.storageAccountType, s.excludeFromLatest));
    const publishingProfile: Record<string, unknown> = {
      targetRegions: regions,
      replicaCount: 1,
      excludeFromLatest: s.excludeFromLatest ?? false,
      publishedDate: s.publishedDate ?? armTime(),
      storageAccountType: s.storageAccountType ?? "Standard_LRS",
    };
    if (s.endOfLifeDate) publishingProfile.endOfLifeDate = s.endOfLifeDate;
    const properties: Record<string, unknown> = {
      publishingProfile,
      storageProfile: {
        source: { id: s.sourceId ?? `/subscriptions/${sub}/resourceGroups/${img.resourceGroup}/providers/Microsoft.Compute/images/${img.name}-${s.version}` },
        osDiskImage: { sizeInGB: 127, hostCaching: "ReadWrite" },
      },
      safetyProfile: {
        allowDeletionOfReplicatedLocations: true,
        reportedForPolicyViolation: false,
        blockDeletionBeforeEndOfLife: s.blockDeletionBeforeEndOfLife ?? false,
      },
      provisioningState: s.provisioningState ?? "Succeeded",
    };
    const rec: VersionRecord = {
      subscriptionId: sub,
      resourceGroup: img.resourceGroup,
      gallery: img.gallery,
      image: img.name,
      name: s.version,
      location: img.location,
      tags: s.tags ?? {},
      properties,
    };
    this.versions.set(key(sub, img.resourceGroup, img.gallery, img.name, s.version), rec);
    return { name: rec.name, id: this.versionId(rec), tags: { ...rec.tags }, properties: clone(rec.properties) };
  }

  /** Creates (Succeeded) the version an Image Builder distribution produced. */
  createDistributedVersion(v: {
    subscriptionId: string;
    resourceGroup: string;
    gallery: string;
    image: string;
    version: string;
    tags: Record<string, string>;
    targetRegions: TargetRegionInput[];
    excludeFromLatest: boolean;
    storageAccountType: string;
    /** Image Builder's distributor `replicationMode` (Full | Shallow); the version's is Compute's default (Full) without it. */
    replicationMode?: string;
    sourceId: string;
  }): VersionRecord {
    const img = this.getImage(v.subscriptionId, v.resourceGroup, v.gallery, v.image)!;
    const rec: VersionRecord = {
      subscriptionId: img.subscriptionId,
      resourceGroup: img.resourceGroup,
      gallery: img.gallery,
      image: img.name,
      name: v.version,
      location: img.location,
      tags: { ...v.tags },
      properties: {
        publishingProfile: {
          targetRegions: v.targetRegions.map((r) => targetRegion(r, v.storageAccountType, v.excludeFromLatest)),
          replicaCount: 1,
          excludeFromLatest: v.excludeFromLatest,
          publishedDate: armTime(),
          storageAccountType: v.storageAccountType,
          // GalleryArtifactPublishingProfileBase.replicationMode (GalleryRP 2025-12-03), not updatable.
          replicationMode: v.replicationMode ?? "Full",
        },
        storageProfile: { source: { id: v.sourceId }, osDiskImage: { sizeInGB: 127, hostCaching: "ReadWrite" } },
        safetyProfile: { allowDeletionOfReplicatedLocations: true, reportedForPolicyViolation: false, blockDeletionBeforeEndOfLife: false },
        provisioningState: "Succeeded",
      },
    };
    this.versions.set(key(img.subscriptionId, img.resourceGroup, img.gallery, img.name, v.version), rec);
    return rec;
  }
}

/** Normalises a target region to the Compute response shape (display name, replica count, storage type). */
export function targetRegion(r: TargetRegionInput, storageAccountType = "Standard_LRS", excludeFromLatest = false): Record<string, unknown> {
  const o: { name: string; regionalReplicaCount?: number; storageAccountType?: string; excludeFromLatest?: boolean } = typeof r === "string" ? { name: r } : r;
  return {
    ...(typeof r === "string" ? {} : r),
    name: regionDisplayName(o.name),
    regionalReplicaCount: o.regionalReplicaCount ?? 1,
    storageAccountType: o.storageAccountType ?? storageAccountType,
    excludeFromLatest: o.excludeFromLatest ?? excludeFromLatest,
  };
}
