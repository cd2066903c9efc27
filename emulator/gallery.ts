/**
 * Azure Compute Gallery (Microsoft.Compute/galleries, GalleryRP.json api 2025-12-03): galleries
 * (GET, list, PUT), image definitions (GET, list with paging, PUT) and image versions (GET with
 * `$expand=ReplicationStatus`, list with nextLink paging, PUT/PATCH/DELETE as LROs).
 *
 * LROs follow the Compute RP: 201/202 (PATCH: 200) with both `Azure-AsyncOperation`
 * (…/locations/{loc}/capsOperations/{id}) and `Location` (…&monitor=true) headers, as the
 * GalleryImageVersion_Delete example shows. Response shapes follow the GalleryRP examples; regions in
 * `targetRegions` are display names ("West Europe").
 */
import { ArmError, armTime, clone, isRecord, jsonEqual, key, pageOf, regionDisplayName, regionName, resourceNotFound } from './arm.ts';
import type { HandlerResult, Operation, RequestContext, Route } from './arm.ts';
import type { Core } from './core.ts';

/** api-versions accepted for gallery operations (the SDK sends 2025-12-03). */
export const GALLERY_API_VERSIONS = ['2025-12-03', '2025-03-03', '2024-03-03', '2023-07-03', '2022-08-03', '2022-03-03', '2022-01-03', '2021-10-01', '2021-07-01', '2020-09-30', '2019-12-01'] as const;

interface GalleryRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  description?: string;
  provisioningState: string;
}

interface ImageRecord {
  subscriptionId: string;
  resourceGroup: string;
  gallery: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

interface VersionRecord {
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
  osType?: 'Windows' | 'Linux';
  osState?: 'Generalized' | 'Specialized';
  hyperVGeneration?: 'V1' | 'V2';
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

/** Compute Gallery resource provider. */
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

  private galleryBody(g: GalleryRecord): Record<string, unknown> {
    const properties: Record<string, unknown> = {
      identifier: { uniqueName: `${g.subscriptionId}-${g.name.toUpperCase()}` },
      provisioningState: g.provisioningState,
    };
    if (g.description !== undefined) properties.description = g.description;
    const body: Record<string, unknown> = { id: this.galleryId(g), name: g.name, type: 'Microsoft.Compute/galleries', location: g.location };
    if (Object.keys(g.tags).length) body.tags = g.tags;
    body.properties = properties;
    return body;
  }

  private imageBody(i: ImageRecord): Record<string, unknown> {
    const body: Record<string, unknown> = { id: this.imageId(i), name: i.name, type: 'Microsoft.Compute/galleries/images', location: i.location };
    if (Object.keys(i.tags).length) body.tags = i.tags;
    body.properties = clone(i.properties);
    return body;
  }

  private versionBody(v: VersionRecord, expandReplication = false): Record<string, unknown> {
    const body: Record<string, unknown> = { id: this.versionId(v), name: v.name, type: 'Microsoft.Compute/galleries/images/versions', location: v.location };
    if (Object.keys(v.tags).length) body.tags = v.tags;
    const props = clone(v.properties);
    if (expandReplication) {
      const pp = (props.publishingProfile ?? {}) as Record<string, unknown>;
      const regions = (pp.targetRegions ?? []) as { name: string }[];
      const done = props.provisioningState === 'Succeeded';
      props.replicationStatus = {
        aggregatedState: done ? 'Completed' : props.provisioningState === 'Failed' ? 'Failed' : 'InProgress',
        summary: regions.map((r) => ({ region: r.name, state: done ? 'Completed' : 'Replicating', details: '', progress: done ? 100 : 50 })),
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

  private versionsOf(sub: string, rg: string, gallery: string, image: string): VersionRecord[] {
    const prefix = key(sub, rg, gallery, image) + '/';
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
  seedGallery(g: { subscriptionId?: string; resourceGroup: string; name: string; location?: string; description?: string; tags?: Record<string, string> }): GalleryRecord {
    const c = this.core();
    const sub = g.subscriptionId ?? c.options.subscriptionId;
    const rg = c.resources.getResourceGroup(sub, g.resourceGroup) ?? c.resources.addResourceGroup({ subscriptionId: sub, name: g.resourceGroup, location: g.location });
    const rec: GalleryRecord = { subscriptionId: sub, resourceGroup: rg.name, name: g.name, location: regionName(g.location ?? rg.location), tags: g.tags ?? {}, provisioningState: 'Succeeded' };
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
      hyperVGeneration: d.hyperVGeneration ?? 'V2',
      architecture: 'x64',
      osType: d.osType ?? 'Windows',
      osState: d.osState ?? 'Generalized',
      identifier: { publisher: d.publisher, offer: d.offer, sku: d.sku },
      provisioningState: 'Succeeded',
    };
    if (d.securityType) properties.features = [{ name: 'SecurityType', value: d.securityType }];
    const rec: ImageRecord = { subscriptionId: sub, resourceGroup: g.resourceGroup, gallery: g.name, name: d.name, location: regionName(d.location ?? g.location), tags: d.tags ?? {}, properties };
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
      storageAccountType: s.storageAccountType ?? 'Standard_LRS',
    };
    if (s.endOfLifeDate) publishingProfile.endOfLifeDate = s.endOfLifeDate;
    const properties: Record<string, unknown> = {
      publishingProfile,
      storageProfile: {
        source: { id: s.sourceId ?? `/subscriptions/${sub}/resourceGroups/${img.resourceGroup}/providers/Microsoft.Compute/images/${img.name}-${s.version}` },
        osDiskImage: { sizeInGB: 127, hostCaching: 'ReadWrite' },
      },
      safetyProfile: { allowDeletionOfReplicatedLocations: true, reportedForPolicyViolation: false, blockDeletionBeforeEndOfLife: s.blockDeletionBeforeEndOfLife ?? false },
      provisioningState: s.provisioningState ?? 'Succeeded',
    };
    const rec: VersionRecord = { subscriptionId: sub, resourceGroup: img.resourceGroup, gallery: img.gallery, image: img.name, name: s.version, location: img.location, tags: s.tags ?? {}, properties };
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
          replicationMode: v.replicationMode ?? 'Full',
        },
        storageProfile: { source: { id: v.sourceId }, osDiskImage: { sizeInGB: 127, hostCaching: 'ReadWrite' } },
        safetyProfile: { allowDeletionOfReplicatedLocations: true, reportedForPolicyViolation: false, blockDeletionBeforeEndOfLife: false },
        provisioningState: 'Succeeded',
      },
    };
    this.versions.set(key(img.subscriptionId, img.resourceGroup, img.gallery, img.name, v.version), rec);
    return rec;
  }

  // ---------- routes ----------

  routes(): Route[] {
    const base = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries';
    const r = (method: string, pattern: string, resourceType: string, handler: (ctx: RequestContext) => HandlerResult): Route => ({
      method,
      pattern,
      kind: 'arm',
      apiVersions: GALLERY_API_VERSIONS,
      resourceType,
      resourceGroupScoped: true,
      handler,
    });
    return [
      r('GET', base, 'galleries', (ctx) => this.listGalleries(ctx)),
      r('GET', `${base}/{gallery}`, 'galleries', (ctx) => ({ status: 200, body: this.galleryBody(this.requireGallery(ctx)) })),
      r('PUT', `${base}/{gallery}`, 'galleries', (ctx) => this.putGallery(ctx)),
      r('GET', `${base}/{gallery}/images`, 'galleries/images', (ctx) => this.listImages(ctx)),
      r('GET', `${base}/{gallery}/images/{image}`, 'galleries/images', (ctx) => ({ status: 200, body: this.imageBody(this.requireImage(ctx)) })),
      r('PUT', `${base}/{gallery}/images/{image}`, 'galleries/images', (ctx) => this.putImage(ctx)),
      r('GET', `${base}/{gallery}/images/{image}/versions`, 'galleries/images/versions', (ctx) => this.listVersions(ctx)),
      r('GET', `${base}/{gallery}/images/{image}/versions/{version}`, 'galleries/images/versions', (ctx) => this.getVersionRoute(ctx)),
      r('PUT', `${base}/{gallery}/images/{image}/versions/{version}`, 'galleries/images/versions', (ctx) => this.putVersion(ctx)),
      r('PATCH', `${base}/{gallery}/images/{image}/versions/{version}`, 'galleries/images/versions', (ctx) => this.patchVersion(ctx)),
      r('DELETE', `${base}/{gallery}/images/{image}/versions/{version}`, 'galleries/images/versions', (ctx) => this.deleteVersion(ctx)),
    ];
  }

  private requireGallery(ctx: RequestContext): GalleryRecord {
    const p = ctx.params;
    const g = this.getGallery(p.sub!, p.rg!, p.gallery!);
    if (!g) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}`, p.rg!);
    return g;
  }

  private requireImage(ctx: RequestContext): ImageRecord {
    const p = ctx.params;
    this.requireGallery(ctx);
    const i = this.getImage(p.sub!, p.rg!, p.gallery!, p.image!);
    if (!i) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}/images/${p.image}`, p.rg!);
    return i;
  }

  private requireVersion(ctx: RequestContext): VersionRecord {
    const p = ctx.params;
    this.requireImage(ctx);
    const v = this.getVersion(p.sub!, p.rg!, p.gallery!, p.image!, p.version!);
    if (!v) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}/images/${p.image}/versions/${p.version}`, p.rg!);
    return v;
  }

  private lro(ctx: RequestContext, location: string, final: () => HandlerResult): Operation {
    return this.core().operations.create({
      subscriptionId: ctx.params.sub!,
      namespace: 'Microsoft.Compute',
      segment: 'capsOperations',
      location,
      apiVersion: ctx.apiVersion!,
      final,
    });
  }

  private lroHeaders(op: Operation): Record<string, string> {
    return this.core().operations.lroHeaders(op, { asyncOperation: true, location: true }, this.core().options.lroRetryAfterSeconds);
  }

  private listGalleries(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    const prefix = key(p.sub!, p.rg!) + '/';
    const items = [...this.galleries.entries()].filter(([k]) => k.startsWith(prefix)).map(([, g]) => this.galleryBody(g));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private putGallery(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const existing = this.getGallery(p.sub!, p.rg!, p.gallery!);
    const rg = this.core().resources.requireResourceGroup(p.sub!, p.rg!);
    const props = isRecord(body.properties) ? body.properties : {};
    const rec: GalleryRecord = existing ?? { subscriptionId: p.sub!, resourceGroup: rg.name, name: p.gallery!, location: regionName(location), tags: {}, provisioningState: 'Creating' };
    rec.tags = stringRecord(body.tags);
    if (typeof props.description === 'string') rec.description = props.description;
    rec.provisioningState = existing ? 'Updating' : 'Creating';
    this.galleries.set(key(p.sub!, rg.name, p.gallery!), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.galleryBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.provisioningState = 'Succeeded';
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.galleryBody(rec), headers: this.lroHeaders(op) };
  }

  private listImages(ctx: RequestContext): HandlerResult {
    const g = this.requireGallery(ctx);
    const prefix = key(g.subscriptionId, g.resourceGroup, g.name) + '/';
    const items = [...this.images.entries()].filter(([k]) => k.startsWith(prefix)).map(([, i]) => this.imageBody(i));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private putImage(ctx: RequestContext): HandlerResult {
    const g = this.requireGallery(ctx);
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const props = isRecord(body.properties) ? clone(body.properties) : {};
    for (const f of ['osType', 'osState', 'identifier'] as const) {
      if (props[f] === undefined) {
        throw new ArmError(400, 'InvalidParameter', `Required parameter 'galleryImage.properties.${f}' is missing (null).`, { target: `galleryImage.properties.${f}` });
      }
    }
    const existing = this.getImage(g.subscriptionId, g.resourceGroup, g.name, ctx.params.image!);
    props.provisioningState = existing ? 'Updating' : 'Creating';
    const rec: ImageRecord = { subscriptionId: g.subscriptionId, resourceGroup: g.resourceGroup, gallery: g.name, name: existing?.name ?? ctx.params.image!, location: regionName(location), tags: stringRecord(body.tags), properties: props };
    this.images.set(key(g.subscriptionId, g.resourceGroup, g.name, rec.name), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.imageBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.properties.provisioningState = 'Succeeded';
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.imageBody(rec), headers: this.lroHeaders(op) };
  }

  private listVersions(ctx: RequestContext): HandlerResult {
    const i = this.requireImage(ctx);
    const items = this.versionsOf(i.subscriptionId, i.resourceGroup, i.gallery, i.name).map((v) => this.versionBody(v));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private getVersionRoute(ctx: RequestContext): HandlerResult {
    const v = this.requireVersion(ctx);
    const expand = (ctx.query['$expand'] ?? '').toLowerCase();
    return { status: 200, body: this.versionBody(v, expand === 'replicationstatus') };
  }

  private putVersion(ctx: RequestContext): HandlerResult {
    const img = this.requireImage(ctx);
    const name = ctx.params.version!;
    if (!parseVersion(name)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The gallery image version name '${name}' is invalid. The version name must follow the Major(int32).Minor(int32).Patch(int32) format.`,
        { target: 'galleryImageVersionName' },
      );
    }
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const props = isRecord(body.properties) ? clone(body.properties) : {};
    const storage = isRecord(props.storageProfile) ? props.storageProfile : undefined;
    const sourceId = isRecord(storage?.source) ? storage.source.id : undefined;
    if (!storage || (!storage.source && !storage.osDiskImage)) {
      throw new ArmError(400, 'InvalidParameter', "Required parameter 'galleryImageVersion.properties.storageProfile' is missing (null).", {
        target: 'galleryImageVersion.properties.storageProfile',
      });
    }
    const existing = this.getVersion(img.subscriptionId, img.resourceGroup, img.gallery, img.name, name);
    if (existing) {
      const oldSource = ((existing.properties.storageProfile as Record<string, unknown>)?.source as Record<string, unknown> | undefined)?.id;
      if (sourceId !== undefined && oldSource !== undefined && String(sourceId).toLowerCase() !== String(oldSource).toLowerCase()) {
        throw propertyChangeNotAllowed();
      }
    }
    const pp = isRecord(props.publishingProfile) ? props.publishingProfile : {};
    const storageAccountType = typeof pp.storageAccountType === 'string' ? pp.storageAccountType : 'Standard_LRS';
    const excludeFromLatest = pp.excludeFromLatest === true;
    const regions = Array.isArray(pp.targetRegions) && pp.targetRegions.length ? (pp.targetRegions as TargetRegionInput[]) : [location];
    const publishingProfile: Record<string, unknown> = {
      ...pp,
      targetRegions: regions.map((r) => targetRegion(r, storageAccountType, excludeFromLatest)),
      replicaCount: typeof pp.replicaCount === 'number' ? pp.replicaCount : 1,
      excludeFromLatest,
      publishedDate: (existing?.properties.publishingProfile as Record<string, unknown> | undefined)?.publishedDate ?? armTime(),
      storageAccountType,
    };
    const properties: Record<string, unknown> = {
      publishingProfile,
      storageProfile: storage,
      safetyProfile: { allowDeletionOfReplicatedLocations: true, reportedForPolicyViolation: false, blockDeletionBeforeEndOfLife: false, ...(isRecord(props.safetyProfile) ? props.safetyProfile : {}) },
      provisioningState: existing ? 'Updating' : 'Creating',
    };
    const rec: VersionRecord = { subscriptionId: img.subscriptionId, resourceGroup: img.resourceGroup, gallery: img.gallery, image: img.name, name, location: regionName(location), tags: stringRecord(body.tags), properties };
    this.versions.set(key(img.subscriptionId, img.resourceGroup, img.gallery, img.name, name), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.versionBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.properties.provisioningState = 'Succeeded';
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.versionBody(rec), headers: this.lroHeaders(op) };
  }

  /** PATCH (GalleryImageVersionUpdate): tags, publishingProfile (excludeFromLatest, endOfLifeDate, targetRegions…), safetyProfile. */
  private patchVersion(ctx: RequestContext): HandlerResult {
    const v = this.requireVersion(ctx);
    if (v.deleteOperation) throw conflictDeleting(v.name);
    const body = requireBody(ctx);
    const props = isRecord(body.properties) ? body.properties : {};
    const storage = isRecord(props.storageProfile) ? props.storageProfile : undefined;
    const newSource = isRecord(storage?.source) ? storage.source.id : undefined;
    const oldSource = ((v.properties.storageProfile as Record<string, unknown>)?.source as Record<string, unknown> | undefined)?.id;
    if (newSource !== undefined && String(newSource).toLowerCase() !== String(oldSource ?? '').toLowerCase()) throw propertyChangeNotAllowed();
    const before = clone(v);
    if (body.tags !== undefined) v.tags = stringRecord(body.tags);
    const pp = (v.properties.publishingProfile ?? {}) as Record<string, unknown>;
    if (isRecord(props.publishingProfile)) {
      const np = props.publishingProfile;
      for (const f of ['excludeFromLatest', 'endOfLifeDate', 'replicaCount', 'storageAccountType', 'replicationMode'] as const) {
        if (np[f] !== undefined) pp[f] = np[f];
      }
      if (Array.isArray(np.targetRegions) && np.targetRegions.length) {
        pp.targetRegions = (np.targetRegions as TargetRegionInput[]).map((r) => targetRegion(r, String(pp.storageAccountType ?? 'Standard_LRS'), pp.excludeFromLatest === true));
      } else if (np.excludeFromLatest !== undefined && Array.isArray(pp.targetRegions)) {
        for (const r of pp.targetRegions as Record<string, unknown>[]) r.excludeFromLatest = np.excludeFromLatest;
      }
    }
    v.properties.publishingProfile = pp;
    if (isRecord(props.safetyProfile)) v.properties.safetyProfile = { ...((v.properties.safetyProfile as Record<string, unknown>) ?? {}), ...props.safetyProfile };
    const changed = !jsonEqual(before, v);
    // A version still being created (replicating) stays Creating: the update does not end the replication.
    if (v.properties.provisioningState !== 'Creating') v.properties.provisioningState = 'Updating';
    const op = this.lro(ctx, v.location, () => ({ status: 200, body: this.versionBody(v) }));
    this.core().scheduler.after(changed ? this.core().options.galleryWriteMs : 0, () => {
      if (v.properties.provisioningState === 'Updating') v.properties.provisioningState = 'Succeeded';
      this.core().operations.succeed(op);
    });
    return { status: 200, body: this.versionBody(v), headers: this.lroHeaders(op) };
  }

  private deleteVersion(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    this.requireImage(ctx);
    const v = this.getVersion(p.sub!, p.rg!, p.gallery!, p.image!, p.version!);
    if (!v) return { status: 204 };
    if (v.deleteOperation) return { status: 202, headers: this.lroHeaders(v.deleteOperation) };
    const safety = (v.properties.safetyProfile ?? {}) as Record<string, unknown>;
    const eol = (v.properties.publishingProfile as Record<string, unknown> | undefined)?.endOfLifeDate;
    if (safety.blockDeletionBeforeEndOfLife === true && typeof eol === 'string' && Date.parse(eol) > Date.now()) {
      // Wording not found in public sources; modelled on Compute's OperationNotAllowed errors.
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Gallery image version '${v.name}' cannot be deleted before its end of life date '${eol}' because 'safetyProfile.blockDeletionBeforeEndOfLife' is set to true.`,
      );
    }
    const op = this.lro(ctx, v.location, () => ({ status: 204 }));
    v.deleteOperation = op;
    v.properties.provisioningState = 'Deleting';
    this.core().scheduler.after(this.core().options.versionDeleteMs, () => {
      this.versions.delete(key(v.subscriptionId, v.resourceGroup, v.gallery, v.image, v.name));
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.lroHeaders(op) };
  }
}

/** Normalises a target region to the Compute response shape (display name, replica count, storage type). */
export function targetRegion(r: TargetRegionInput, storageAccountType = 'Standard_LRS', excludeFromLatest = false): Record<string, unknown> {
  const o: { name: string; regionalReplicaCount?: number; storageAccountType?: string; excludeFromLatest?: boolean } = typeof r === 'string' ? { name: r } : r;
  return {
    ...(typeof r === 'string' ? {} : r),
    name: regionDisplayName(o.name),
    regionalReplicaCount: o.regionalReplicaCount ?? 1,
    storageAccountType: o.storageAccountType ?? storageAccountType,
    excludeFromLatest: o.excludeFromLatest ?? excludeFromLatest,
  };
}

/**
 * 409 PropertyChangeNotAllowed — Compute's wording as quoted in the packer-plugin-azure output
 * ("Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed.") and the
 * Compute Gallery troubleshooting doc.
 */
export function propertyChangeNotAllowed(): ArmError {
  return new ArmError(409, 'PropertyChangeNotAllowed', "Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed.", {
    target: 'galleryImageVersion.properties.storageProfile.source.id',
  });
}

function conflictDeleting(name: string): ArmError {
  return new ArmError(409, 'OperationNotAllowed', `Operation 'Update' is not allowed on gallery image version '${name}' since it is marked for deletion.`);
}

function requireBody(ctx: RequestContext): Record<string, unknown> {
  if (!isRecord(ctx.body)) throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  return ctx.body;
}

function requireLocation(body: Record<string, unknown>): string {
  if (typeof body.location !== 'string' || !body.location) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  return body.location;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

