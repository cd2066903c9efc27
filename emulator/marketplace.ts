/**
 * Marketplace (platform) images, Microsoft.Compute VirtualMachineImages as @azure/arm-compute
 * 25.1.1 calls them (api-version 2026-04-01):
 *  - GET …/locations/{loc}/publishers/{p}/artifacttypes/vmimage/offers/{o}/skus/{s}/versions → a bare
 *    JSON array of `{ location, name, id }`, honouring `$orderby=name [asc|desc]` in TEXT order (as Azure
 *    does: "26100.10000.250610" sorts below "26100.2894.250113") and `$top`;
 *  - GET …/versions/{version} → VirtualMachineImage;
 *  - GET …/offers and …/offers/{o}/skus → arrays of `{ location, name, id }`.
 * Unknown images answer 404 `NotFound` "Artifact: VMImage was not found." (the Compute RP's wording,
 * as Get-AzVMImageSku and azure-cli print it).
 */

import type { HandlerResult, RequestContext, Route } from "./arm.ts";
import { ArmError, key } from "./arm.ts";
import { regionName } from "./regions.ts";

/** api-versions accepted for virtualMachineImages (the SDK sends 2026-04-01). */
export const MARKETPLACE_API_VERSIONS = [
  "2026-04-01",
  "2025-04-01",
  "2024-11-01",
  "2024-07-01",
  "2024-03-01",
  "2023-09-01",
  "2023-07-01",
  "2023-03-01",
  "2022-11-01",
  "2022-08-01",
  "2022-03-01",
  "2021-11-01",
  "2021-07-01",
  "2021-04-01",
  "2021-03-01",
  "2020-12-01",
  "2020-06-01",
  "2019-12-01",
] as const;

/** Arguments of `seedMarketplaceImage`. */
export interface SeedMarketplaceImage {
  /** Region name (`westeurope`). */
  location: string;
  publisher: string;
  offer: string;
  sku: string;
  /** Version names, e.g. `26100.2894.250113`. */
  versions: string[];
  hyperVGeneration?: "V1" | "V2";
  /** Feature SecurityType, e.g. `TrustedLaunchSupported` (default for V2) or `TrustedLaunchAndConfidentialVmSupported`. */
  securityType?: string;
  /** Purchase plan (third-party images). */
  plan?: { name: string; product: string; publisher: string };
  osType?: "Windows" | "Linux";
}

interface SkuRecord {
  location: string;
  publisher: string;
  offer: string;
  sku: string;
  versions: string[];
  hyperVGeneration: "V1" | "V2";
  securityType: string | undefined;
  plan: { name: string; product: string; publisher: string } | undefined;
  osType: "Windows" | "Linux";
}

/** Numeric comparison of dotted version strings of any length (marketplace versions). */
export function compareDotted(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Seeded marketplace images. */
export class Marketplace {
  private readonly skus = new Map<string, SkuRecord>();

  /** Adds (or extends) a publisher/offer/sku in a region. */
  seed(s: SeedMarketplaceImage): void {
    const k = key(regionName(s.location), s.publisher, s.offer, s.sku);
    const existing = this.skus.get(k);
    if (existing) {
      for (const v of s.versions) if (!existing.versions.includes(v)) existing.versions.push(v);
      return;
    }
    this.skus.set(k, {
      location: regionName(s.location),
      publisher: s.publisher,
      offer: s.offer,
      sku: s.sku,
      versions: [...s.versions],
      hyperVGeneration: s.hyperVGeneration ?? "V2",
      securityType: s.securityType ?? ((s.hyperVGeneration ?? "V2") === "V2" ? "TrustedLaunchSupported" : undefined),
      plan: s.plan,
      osType: s.osType ?? "Windows",
    });
  }

  /** Hyper-V generation and SecurityType feature of a seeded marketplace image, or undefined when not seeded. */
  traits(location: string, publisher: string, offer: string, sku: string): { hyperVGeneration: string; securityType: string | undefined } | undefined {
    const rec = this.skus.get(key(regionName(location), publisher, offer, sku));
    return rec && { hyperVGeneration: rec.hyperVGeneration, securityType: rec.securityType };
  }

  /**
   * Resolves `version` ('latest' = numerically highest, as Image Builder and the VM API do) for a sku,
   * or undefined when the image or version does not exist.
   */
  resolve(location: string, publisher: string, offer: string, sku: string, version: string): string | undefined {
    const rec = this.skus.get(key(regionName(location), publisher, offer, sku));
    if (!rec || rec.versions.length === 0) return undefined;
    if (version.toLowerCase() === "latest") return [...rec.versions].sort(compareDotted).at(-1);
    return rec.versions.find((v) => v.toLowerCase() === version.toLowerCase());
  }

  routes(): Route[] {
    const base = "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/publishers/{publisher}/artifacttypes/vmimage/offers";
    const r = (pattern: string, handler: (ctx: RequestContext) => HandlerResult): Route => ({
      method: "GET",
      pattern,
      kind: "arm",
      apiVersions: MARKETPLACE_API_VERSIONS,
      resourceType: "locations/publishers/artifacttypes/offers/skus/versions",
      handler,
    });
    return [
      r(base, (ctx) => this.listOffers(ctx)),
      r(`${base}/{offer}/skus`, (ctx) => this.listSkus(ctx)),
      r(`${base}/{offer}/skus/{sku}/versions`, (ctx) => this.listVersions(ctx)),
      r(`${base}/{offer}/skus/{sku}/versions/{version}`, (ctx) => this.getVersion(ctx)),
    ];
  }

  private idPrefix(ctx: RequestContext, rec?: { publisher: string; offer?: string; sku?: string }): string {
    const p = ctx.params;
    let id = `/Subscriptions/${p.sub}/Providers/Microsoft.Compute/Locations/${regionName(p.location!)}/Publishers/${rec?.publisher ?? p.publisher}/ArtifactTypes/VMImage/Offers`;
    if (rec?.offer) id += `/${rec.offer}/Skus`;
    if (rec?.sku) id += `/${rec.sku}/Versions`;
    return id;
  }

  private matching(ctx: RequestContext): SkuRecord[] {
    const p = ctx.params;
    return [...this.skus.values()].filter(
      (s) =>
        s.location === regionName(p.location!) &&
        s.publisher.toLowerCase() === p.publisher!.toLowerCase() &&
        (!p.offer || s.offer.toLowerCase() === p.offer.toLowerCase()) &&
        (!p.sku || s.sku.toLowerCase() === p.sku.toLowerCase()),
    );
  }

  private listOffers(ctx: RequestContext): HandlerResult {
    const recs = this.matching(ctx);
    if (!recs.length) throw notFound();
    const offers = [...new Map(recs.map((s) => [s.offer.toLowerCase(), s])).values()];
    return {
      status: 200,
      body: offers.map((s) => ({ location: s.location, name: s.offer, id: `${this.idPrefix(ctx, { publisher: s.publisher })}/${s.offer}` })),
    };
  }

  private listSkus(ctx: RequestContext): HandlerResult {
    const recs = this.matching(ctx);
    if (!recs.length) throw notFound();
    return {
      status: 200,
      body: recs.map((s) => ({ location: s.location, name: s.sku, id: `${this.idPrefix(ctx, { publisher: s.publisher, offer: s.offer })}/${s.sku}` })),
    };
  }

  private listVersions(ctx: RequestContext): HandlerResult {
    const rec = this.matching(ctx)[0];
    if (!rec) throw notFound();
    let names = [...rec.versions];
    const orderby = (ctx.query["$orderby"] ?? "").trim().toLowerCase();
    // Azure orders version names as TEXT (ordinal), which is the trap: 26100.10000.* < 26100.2894.*.
    const textAsc = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    if (orderby === "" || orderby === "name" || orderby === "name asc") names.sort(textAsc);
    else if (orderby === "name desc") names.sort((a, b) => textAsc(b, a));
    else
      throw new ArmError(
        400,
        "InvalidParameter",
        `The value '${ctx.query["$orderby"]}' of parameter '$orderby' is not supported. Supported values are 'name', 'name asc' and 'name desc'.`,
        { target: "$orderby" },
      );
    if (ctx.query["$top"] !== undefined) {
      const top = Number.parseInt(ctx.query["$top"], 10);
      if (!Number.isInteger(top) || top < 1) throw new ArmError(400, "InvalidParameter", `The value of parameter '$top' is invalid.`, { target: "$top" });
      names = names.slice(0, top);
    }
    const prefix = this.idPrefix(ctx, rec);
    return { status: 200, body: names.map((n) => ({ location: rec.location, name: n, id: `${prefix}/${n}` })) };
  }

  private getVersion(ctx: RequestContext): HandlerResult {
    const rec = this.matching(ctx)[0];
    const version = rec?.versions.find((v) => v.toLowerCase() === ctx.params.version!.toLowerCase());
    if (!rec || !version) throw notFound();
    const features: { name: string; value: string }[] = [];
    if (rec.securityType) features.push({ name: "SecurityType", value: rec.securityType });
    features.push(
      { name: "IsAcceleratedNetworkSupported", value: "True" },
      { name: "DiskControllerTypes", value: "SCSI, NVMe" },
      { name: "IsHibernateSupported", value: "True" },
    );
    const properties: Record<string, unknown> = {
      hyperVGeneration: rec.hyperVGeneration,
      architecture: "x64",
      replicaType: "Managed",
      disallowed: { vmDiskType: "Unmanaged" },
      automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false },
      imageDeprecationStatus: { imageState: "Active" },
      features,
      osDiskImage: { operatingSystem: rec.osType, sizeInGb: 127 },
      dataDiskImages: [],
    };
    if (rec.plan) properties.plan = { ...rec.plan };
    return { status: 200, body: { properties, location: rec.location, name: version, id: `${this.idPrefix(ctx, rec)}/${version}` } };
  }
}

function notFound(): ArmError {
  return new ArmError(404, "NotFound", "Artifact: VMImage was not found.");
}
