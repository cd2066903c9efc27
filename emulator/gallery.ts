/**
 * Azure Compute Gallery's ARM operations (Microsoft.Compute/galleries, GalleryRP.json api 2025-12-03): galleries
 * (GET, list, PUT), image definitions (GET, list with paging, PUT) and image versions (GET with
 * `$expand=ReplicationStatus`, list with nextLink paging, PUT/PATCH/DELETE as LROs).
 *
 * LROs follow the Compute RP: 201/202 (PATCH: 200) with both `Azure-AsyncOperation`
 * (…/locations/{loc}/capsOperations/{id}) and `Location` (…&monitor=true) headers, as the
 * GalleryImageVersion_Delete example shows. Response shapes follow the GalleryRP examples; regions in
 * `targetRegions` are display names ("West Europe"). The records and bodies are gallery-store.ts.
 */

import type { HandlerResult, Operation, RequestContext, Route } from "./arm.ts";
import { ArmError, armTime, clone, isRecord, jsonEqual, key, pageOf, resourceNotFound } from "./arm.ts";
import type { Core } from "./core.ts";
import { type Gallery, type GalleryRecord, type ImageRecord, type TargetRegionInput, type VersionRecord, parseVersion, targetRegion } from "./gallery-store.ts";
import { regionName } from "./regions.ts";

/** api-versions accepted for gallery operations (the SDK sends 2025-12-03). */
export const GALLERY_API_VERSIONS = [
  "2025-12-03",
  "2025-03-03",
  "2024-03-03",
  "2023-07-03",
  "2022-08-03",
  "2022-03-03",
  "2022-01-03",
  "2021-10-01",
  "2021-07-01",
  "2020-09-30",
  "2019-12-01",
] as const;

/** The Compute Gallery resource provider: the ARM routes over a {@link Gallery}. */
export class GalleryProvider {
  private readonly core: () => Core;
  private readonly store: Gallery;

  constructor(core: () => Core, store: Gallery) {
    this.core = core;
    this.store = store;
  }

  routes(): Route[] {
    const base = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries";
    const r = (method: string, pattern: string, resourceType: string, handler: (ctx: RequestContext) => HandlerResult): Route => ({
      method,
      pattern,
      kind: "arm",
      apiVersions: GALLERY_API_VERSIONS,
      resourceType,
      resourceGroupScoped: true,
      handler,
    });
    return [
      r("GET", base, "galleries", (ctx) => this.listGalleries(ctx)),
      r("GET", `${base}/{gallery}`, "galleries", (ctx) => ({ status: 200, body: this.store.galleryBody(this.requireGallery(ctx)) })),
      r("PUT", `${base}/{gallery}`, "galleries", (ctx) => this.putGallery(ctx)),
      r("GET", `${base}/{gallery}/images`, "galleries/images", (ctx) => this.listImages(ctx)),
      r("GET", `${base}/{gallery}/images/{image}`, "galleries/images", (ctx) => ({ status: 200, body: this.store.imageBody(this.requireImage(ctx)) })),
      r("PUT", `${base}/{gallery}/images/{image}`, "galleries/images", (ctx) => this.putImage(ctx)),
      r("GET", `${base}/{gallery}/images/{image}/versions`, "galleries/images/versions", (ctx) => this.listVersions(ctx)),
      r("GET", `${base}/{gallery}/images/{image}/versions/{version}`, "galleries/images/versions", (ctx) => this.getVersionRoute(ctx)),
      r("PUT", `${base}/{gallery}/images/{image}/versions/{version}`, "galleries/images/versions", (ctx) => this.putVersion(ctx)),
      r("PATCH", `${base}/{gallery}/images/{image}/versions/{version}`, "galleries/images/versions", (ctx) => this.patchVersion(ctx)),
      r("DELETE", `${base}/{gallery}/images/{image}/versions/{version}`, "galleries/images/versions", (ctx) => this.deleteVersion(ctx)),
    ];
  }

  private requireGallery(ctx: RequestContext): GalleryRecord {
    const p = ctx.params;
    const g = this.store.getGallery(p.sub!, p.rg!, p.gallery!);
    if (!g) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}`, p.rg!);
    return g;
  }

  private requireImage(ctx: RequestContext): ImageRecord {
    const p = ctx.params;
    this.requireGallery(ctx);
    const i = this.store.getImage(p.sub!, p.rg!, p.gallery!, p.image!);
    if (!i) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}/images/${p.image}`, p.rg!);
    return i;
  }

  private requireVersion(ctx: RequestContext): VersionRecord {
    const p = ctx.params;
    this.requireImage(ctx);
    const v = this.store.getVersion(p.sub!, p.rg!, p.gallery!, p.image!, p.version!);
    if (!v) throw resourceNotFound(`Microsoft.Compute/galleries/${p.gallery}/images/${p.image}/versions/${p.version}`, p.rg!);
    return v;
  }

  private lro(ctx: RequestContext, location: string, final: () => HandlerResult): Operation {
    return this.core().operations.create({
      subscriptionId: ctx.params.sub!,
      namespace: "Microsoft.Compute",
      segment: "capsOperations",
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
    const prefix = `${key(p.sub!, p.rg!)}/`;
    const items = [...this.store.galleries.entries()].filter(([k]) => k.startsWith(prefix)).map(([, g]) => this.store.galleryBody(g));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private putGallery(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const existing = this.store.getGallery(p.sub!, p.rg!, p.gallery!);
    const rg = this.core().resources.requireResourceGroup(p.sub!, p.rg!);
    const props = isRecord(body.properties) ? body.properties : {};
    const rec: GalleryRecord = existing ?? {
      subscriptionId: p.sub!,
      resourceGroup: rg.name,
      name: p.gallery!,
      location: regionName(location),
      tags: {},
      provisioningState: "Creating",
    };
    rec.tags = stringRecord(body.tags);
    if (typeof props.description === "string") rec.description = props.description;
    rec.provisioningState = existing ? "Updating" : "Creating";
    this.store.galleries.set(key(p.sub!, rg.name, p.gallery!), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.store.galleryBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.provisioningState = "Succeeded";
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.store.galleryBody(rec), headers: this.lroHeaders(op) };
  }

  private listImages(ctx: RequestContext): HandlerResult {
    const g = this.requireGallery(ctx);
    const prefix = `${key(g.subscriptionId, g.resourceGroup, g.name)}/`;
    const items = [...this.store.images.entries()].filter(([k]) => k.startsWith(prefix)).map(([, i]) => this.store.imageBody(i));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private putImage(ctx: RequestContext): HandlerResult {
    const g = this.requireGallery(ctx);
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const props = isRecord(body.properties) ? clone(body.properties) : {};
    for (const f of ["osType", "osState", "identifier"] as const) {
      if (props[f] === undefined) {
        throw new ArmError(400, "InvalidParameter", `Required parameter 'galleryImage.properties.${f}' is missing (null).`, {
          target: `galleryImage.properties.${f}`,
        });
      }
    }
    const existing = this.store.getImage(g.subscriptionId, g.resourceGroup, g.name, ctx.params.image!);
    props.provisioningState = existing ? "Updating" : "Creating";
    const rec: ImageRecord = {
      subscriptionId: g.subscriptionId,
      resourceGroup: g.resourceGroup,
      gallery: g.name,
      name: existing?.name ?? ctx.params.image!,
      location: regionName(location),
      tags: stringRecord(body.tags),
      properties: props,
    };
    this.store.images.set(key(g.subscriptionId, g.resourceGroup, g.name, rec.name), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.store.imageBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.properties.provisioningState = "Succeeded";
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.store.imageBody(rec), headers: this.lroHeaders(op) };
  }

  private listVersions(ctx: RequestContext): HandlerResult {
    const i = this.requireImage(ctx);
    const items = this.store.versionsOf(i.subscriptionId, i.resourceGroup, i.gallery, i.name).map((v) => this.store.versionBody(v));
    return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
  }

  private getVersionRoute(ctx: RequestContext): HandlerResult {
    const v = this.requireVersion(ctx);
    const expand = (ctx.query["$expand"] ?? "").toLowerCase();
    return { status: 200, body: this.store.versionBody(v, expand === "replicationstatus") };
  }

  private putVersion(ctx: RequestContext): HandlerResult {
    const img = this.requireImage(ctx);
    const name = ctx.params.version!;
    if (!parseVersion(name)) {
      throw new ArmError(
        400,
        "InvalidParameter",
        `The gallery image version name '${name}' is invalid. The version name must follow the Major(int32).Minor(int32).Patch(int32) format.`,
        { target: "galleryImageVersionName" },
      );
    }
    const body = requireBody(ctx);
    const location = requireLocation(body);
    const props = isRecord(body.properties) ? clone(body.properties) : {};
    const storage = isRecord(props.storageProfile) ? props.storageProfile : undefined;
    const sourceId = isRecord(storage?.source) ? storage.source.id : undefined;
    if (!storage || (!storage.source && !storage.osDiskImage)) {
      throw new ArmError(400, "InvalidParameter", "Required parameter 'galleryImageVersion.properties.storageProfile' is missing (null).", {
        target: "galleryImageVersion.properties.storageProfile",
      });
    }
    const existing = this.store.getVersion(img.subscriptionId, img.resourceGroup, img.gallery, img.name, name);
    if (existing) {
      const oldSource = ((existing.properties.storageProfile as Record<string, unknown>)?.source as Record<string, unknown> | undefined)?.id;
      if (sourceId !== undefined && oldSource !== undefined && String(sourceId).toLowerCase() !== String(oldSource).toLowerCase()) {
        throw propertyChangeNotAllowed();
      }
    }
    const pp = isRecord(props.publishingProfile) ? props.publishingProfile : {};
    const storageAccountType = typeof pp.storageAccountType === "string" ? pp.storageAccountType : "Standard_LRS";
    const excludeFromLatest = pp.excludeFromLatest === true;
    const regions = Array.isArray(pp.targetRegions) && pp.targetRegions.length ? (pp.targetRegions as TargetRegionInput[]) : [location];
    const publishingProfile: Record<string, unknown> = {
      ...pp,
      targetRegions: regions.map((r) => targetRegion(r, storageAccountType, excludeFromLatest)),
      replicaCount: typeof pp.replicaCount === "number" ? pp.replicaCount : 1,
      excludeFromLatest,
      publishedDate: (existing?.properties.publishingProfile as Record<string, unknown> | undefined)?.publishedDate ?? armTime(),
      storageAccountType,
    };
    const properties: Record<string, unknown> = {
      publishingProfile,
      storageProfile: storage,
      safetyProfile: {
        allowDeletionOfReplicatedLocations: true,
        reportedForPolicyViolation: false,
        blockDeletionBeforeEndOfLife: false,
        ...(isRecord(props.safetyProfile) ? props.safetyProfile : {}),
      },
      provisioningState: existing ? "Updating" : "Creating",
    };
    const rec: VersionRecord = {
      subscriptionId: img.subscriptionId,
      resourceGroup: img.resourceGroup,
      gallery: img.gallery,
      image: img.name,
      name,
      location: regionName(location),
      tags: stringRecord(body.tags),
      properties,
    };
    this.store.versions.set(key(img.subscriptionId, img.resourceGroup, img.gallery, img.name, name), rec);
    const op = this.lro(ctx, rec.location, () => ({ status: 200, body: this.store.versionBody(rec) }));
    this.core().scheduler.after(this.core().options.galleryWriteMs, () => {
      rec.properties.provisioningState = "Succeeded";
      this.core().operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: this.store.versionBody(rec), headers: this.lroHeaders(op) };
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
    if (newSource !== undefined && String(newSource).toLowerCase() !== String(oldSource ?? "").toLowerCase()) throw propertyChangeNotAllowed();
    const before = clone(v);
    if (body.tags !== undefined) v.tags = stringRecord(body.tags);
    const pp = (v.properties.publishingProfile ?? {}) as Record<string, unknown>;
    if (isRecord(props.publishingProfile)) {
      const np = props.publishingProfile;
      for (const f of ["excludeFromLatest", "endOfLifeDate", "replicaCount", "storageAccountType", "replicationMode"] as const) {
        if (np[f] !== undefined) pp[f] = np[f];
      }
      if (Array.isArray(np.targetRegions) && np.targetRegions.length) {
        pp.targetRegions = (np.targetRegions as TargetRegionInput[]).map((r) =>
          targetRegion(r, String(pp.storageAccountType ?? "Standard_LRS"), pp.excludeFromLatest === true),
        );
      } else if (np.excludeFromLatest !== undefined && Array.isArray(pp.targetRegions)) {
        for (const r of pp.targetRegions as Record<string, unknown>[]) r.excludeFromLatest = np.excludeFromLatest;
      }
    }
    v.properties.publishingProfile = pp;
    if (isRecord(props.safetyProfile))
      v.properties.safetyProfile = { ...((v.properties.safetyProfile as Record<string, unknown>) ?? {}), ...props.safetyProfile };
    const changed = !jsonEqual(before, v);
    // A version still being created (replicating) stays Creating: the update does not end the replication.
    if (v.properties.provisioningState !== "Creating") v.properties.provisioningState = "Updating";
    const op = this.lro(ctx, v.location, () => ({ status: 200, body: this.store.versionBody(v) }));
    this.core().scheduler.after(changed ? this.core().options.galleryWriteMs : 0, () => {
      if (v.properties.provisioningState === "Updating") v.properties.provisioningState = "Succeeded";
      this.core().operations.succeed(op);
    });
    return { status: 200, body: this.store.versionBody(v), headers: this.lroHeaders(op) };
  }

  private deleteVersion(ctx: RequestContext): HandlerResult {
    const p = ctx.params;
    this.requireImage(ctx);
    const v = this.store.getVersion(p.sub!, p.rg!, p.gallery!, p.image!, p.version!);
    if (!v) return { status: 204 };
    if (v.deleteOperation) return { status: 202, headers: this.lroHeaders(v.deleteOperation) };
    const safety = (v.properties.safetyProfile ?? {}) as Record<string, unknown>;
    const eol = (v.properties.publishingProfile as Record<string, unknown> | undefined)?.endOfLifeDate;
    if (safety.blockDeletionBeforeEndOfLife === true && typeof eol === "string" && Date.parse(eol) > Date.now()) {
      // Wording not found in public sources; modelled on Compute's OperationNotAllowed errors.
      throw new ArmError(
        409,
        "OperationNotAllowed",
        `Gallery image version '${v.name}' cannot be deleted before its end of life date '${eol}' because 'safetyProfile.blockDeletionBeforeEndOfLife' is set to true.`,
      );
    }
    const op = this.lro(ctx, v.location, () => ({ status: 204 }));
    v.deleteOperation = op;
    v.properties.provisioningState = "Deleting";
    this.core().scheduler.after(this.core().options.versionDeleteMs, () => {
      this.store.versions.delete(key(v.subscriptionId, v.resourceGroup, v.gallery, v.image, v.name));
      this.core().operations.succeed(op);
    });
    return { status: 202, headers: this.lroHeaders(op) };
  }
}

/**
 * 409 PropertyChangeNotAllowed — Compute's wording as quoted in the packer-plugin-azure output
 * ("Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed.") and the
 * Compute Gallery troubleshooting doc.
 */
export function propertyChangeNotAllowed(): ArmError {
  return new ArmError(409, "PropertyChangeNotAllowed", "Changing property 'galleryImageVersion.properties.storageProfile.source.id' is not allowed.", {
    target: "galleryImageVersion.properties.storageProfile.source.id",
  });
}

function conflictDeleting(name: string): ArmError {
  return new ArmError(409, "OperationNotAllowed", `Operation 'Update' is not allowed on gallery image version '${name}' since it is marked for deletion.`);
}

function requireBody(ctx: RequestContext): Record<string, unknown> {
  if (!isRecord(ctx.body)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  return ctx.body;
}

function requireLocation(body: Record<string, unknown>): string {
  if (typeof body.location !== "string" || !body.location) {
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  }
  return body.location;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}
