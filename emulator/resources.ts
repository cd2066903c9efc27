/**
 * ARM containers and small resources: subscriptions (GET, api 2022-12-01), resource groups
 * (GET, Microsoft.Resources api 2025-04-01 and earlier) and user-assigned managed identities
 * (Microsoft.ManagedIdentity/userAssignedIdentities GET, api 2023-01-31 and later).
 */
import { createHash } from "node:crypto";
import type { RequestContext, Route } from "./arm.ts";
import { ArmError, key, resourceGroupNotFound, resourceNotFound } from "./arm.ts";
import { hasAvailabilityZones, knownRegions, regionName } from "./regions.ts";
import type { EmulatorOptions } from "./state.ts";

/** api-versions accepted for subscription reads. */
export const SUBSCRIPTION_API_VERSIONS = ["2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"] as const;
/** api-versions accepted for resource group reads. */
export const RESOURCES_API_VERSIONS = [
  "2025-04-01",
  "2024-11-01",
  "2024-07-01",
  "2024-03-01",
  "2023-07-01",
  "2022-09-01",
  "2021-04-01",
  "2020-06-01",
  "2019-10-01",
] as const;
/** api-versions accepted for user-assigned identities. */
export const MANAGED_IDENTITY_API_VERSIONS = ["2024-11-30", "2023-07-31-preview", "2023-01-31", "2022-01-31-preview", "2018-11-30"] as const;

/** A subscription and the tenant that owns it. */
export interface SubscriptionRecord {
  subscriptionId: string;
  tenantId: string;
  displayName: string;
}

/** A resource group; `name` keeps the casing it was created with. */
export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string>;
}

/** A user-assigned managed identity. */
export interface IdentityRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tenantId: string;
  principalId: string;
  clientId: string;
  tags: Record<string, string>;
}

/** Deterministic GUID from a string (used for identity principal/client ids). */
export function guidFrom(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Resource id of a resource group (canonical casing `resourceGroups`). */
export function resourceGroupId(sub: string, rg: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}`;
}

/** Subscriptions, resource groups and identities. */
export class Resources {
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly groups = new Map<string, ResourceGroupRecord>();
  readonly identities = new Map<string, IdentityRecord>();
  /** The emulator's live options (default subscription and tenant). */
  private readonly options: () => EmulatorOptions;

  constructor(options: () => EmulatorOptions) {
    this.options = options;
  }

  /** Registers (or returns) a subscription owned by `tenantId`. */
  addSubscription(subscriptionId: string, tenantId: string, displayName = "Emulated subscription"): SubscriptionRecord {
    const existing = this.subscriptions.get(subscriptionId.toLowerCase());
    if (existing) return existing;
    const rec = { subscriptionId, tenantId, displayName };
    this.subscriptions.set(subscriptionId.toLowerCase(), rec);
    return rec;
  }

  getSubscription(subscriptionId: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  /** Creates or updates a resource group (subscription auto-registered in the default tenant). */
  addResourceGroup(r: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }): ResourceGroupRecord {
    const o = this.options();
    const sub = r.subscriptionId ?? o.subscriptionId;
    this.addSubscription(sub, o.tenantId);
    const rec: ResourceGroupRecord = { subscriptionId: sub, name: r.name, location: regionName(r.location ?? "westeurope"), tags: r.tags ?? {} };
    const existing = this.groups.get(key(sub, r.name));
    if (existing) {
      existing.location = rec.location;
      existing.tags = rec.tags;
      return existing;
    }
    this.groups.set(key(sub, r.name), rec);
    return rec;
  }

  getResourceGroup(sub: string, rg: string): ResourceGroupRecord | undefined {
    return this.groups.get(key(sub, rg));
  }

  /** The resource group or a 404 ResourceGroupNotFound. */
  requireResourceGroup(sub: string, rg: string): ResourceGroupRecord {
    const g = this.getResourceGroup(sub, rg);
    if (!g) throw resourceGroupNotFound(rg);
    return g;
  }

  /** Creates a user-assigned identity; principal/client ids are deterministic unless given. */
  addIdentity(r: {
    subscriptionId?: string;
    resourceGroup: string;
    name: string;
    location?: string;
    principalId?: string;
    clientId?: string;
    tags?: Record<string, string>;
  }): IdentityRecord {
    const o = this.options();
    const sub = r.subscriptionId ?? o.subscriptionId;
    const rg = this.getResourceGroup(sub, r.resourceGroup) ?? this.addResourceGroup({ subscriptionId: sub, name: r.resourceGroup, location: r.location });
    const tenantId = this.getSubscription(sub)?.tenantId ?? o.tenantId;
    const rec: IdentityRecord = {
      subscriptionId: sub,
      resourceGroup: rg.name,
      name: r.name,
      location: regionName(r.location ?? rg.location),
      tenantId,
      principalId: r.principalId ?? guidFrom(`principal:${sub}/${rg.name}/${r.name}`.toLowerCase()),
      clientId: r.clientId ?? guidFrom(`client:${sub}/${rg.name}/${r.name}`.toLowerCase()),
      tags: r.tags ?? {},
    };
    this.identities.set(key(sub, rg.name, r.name), rec);
    return rec;
  }

  /** Finds an identity by resource id (case-insensitive). */
  findIdentityById(id: string): IdentityRecord | undefined {
    const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/i.exec(id.trim());
    if (!m) return undefined;
    return this.identities.get(key(m[1]!, m[2]!, m[3]!));
  }

  /** Canonical resource id of an identity. */
  identityId(i: IdentityRecord): string {
    return `/subscriptions/${i.subscriptionId}/resourcegroups/${i.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${i.name}`;
  }

  /** ARM body of an identity (GET userAssignedIdentities). */
  identityBody(i: IdentityRecord): Record<string, unknown> {
    return {
      id: this.identityId(i),
      name: i.name,
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
      location: i.location,
      tags: i.tags,
      properties: { tenantId: i.tenantId, principalId: i.principalId, clientId: i.clientId },
    };
  }

  /** Routes: GET subscription, list its locations, GET resource group, GET user-assigned identity. */
  routes(): Route[] {
    return [
      {
        // Subscriptions_ListLocations (Microsoft.Resources subscriptions 2022-12-01): a single page, no nextLink.
        // A region with availability zones carries `availabilityZoneMappings` (logical zone → physical zone,
        // `<region>-az<N>`), as in the spec's GetLocations.json example; a region without zones has none.
        method: "GET",
        pattern: "/subscriptions/{sub}/locations",
        kind: "arm",
        apiVersions: SUBSCRIPTION_API_VERSIONS,
        resourceType: "locations",
        handler: (ctx: RequestContext) => ({
          status: 200,
          body: {
            value: knownRegions().map(([name, displayName]) => ({
              id: `/subscriptions/${ctx.params.sub}/locations/${name}`,
              name,
              type: "Region",
              displayName,
              regionalDisplayName: displayName,
              metadata: { regionType: "Physical", regionCategory: "Recommended" },
              ...(hasAvailabilityZones(name)
                ? { availabilityZoneMappings: ["1", "2", "3"].map((zone) => ({ logicalZone: zone, physicalZone: `${name}-az${zone}` })) }
                : {}),
            })),
          },
        }),
      },
      {
        method: "GET",
        pattern: "/subscriptions/{sub}",
        kind: "arm",
        apiVersions: SUBSCRIPTION_API_VERSIONS,
        resourceType: "subscriptions",
        handler: (ctx: RequestContext) => {
          const s = this.getSubscription(ctx.params.sub!)!;
          return {
            status: 200,
            body: {
              id: `/subscriptions/${s.subscriptionId}`,
              authorizationSource: "RoleBased",
              subscriptionId: s.subscriptionId,
              tenantId: s.tenantId,
              displayName: s.displayName,
              state: "Enabled",
              subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
            },
          };
        },
      },
      {
        method: "GET",
        pattern: "/subscriptions/{sub}/resourceGroups/{rg}",
        kind: "arm",
        apiVersions: RESOURCES_API_VERSIONS,
        resourceType: "resourceGroups",
        handler: (ctx: RequestContext) => {
          const g = this.requireResourceGroup(ctx.params.sub!, ctx.params.rg!);
          return {
            status: 200,
            body: {
              id: resourceGroupId(g.subscriptionId, g.name),
              name: g.name,
              type: "Microsoft.Resources/resourceGroups",
              location: g.location,
              tags: g.tags,
              properties: { provisioningState: "Succeeded" },
            },
          };
        },
      },
      {
        method: "GET",
        pattern: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        kind: "arm",
        apiVersions: MANAGED_IDENTITY_API_VERSIONS,
        resourceType: "userAssignedIdentities",
        resourceGroupScoped: true,
        handler: (ctx: RequestContext) => {
          const i = this.identities.get(key(ctx.params.sub!, ctx.params.rg!, ctx.params.name!));
          if (!i) throw resourceNotFound(`Microsoft.ManagedIdentity/userAssignedIdentities/${ctx.params.name}`, ctx.params.rg!);
          return { status: 200, body: this.identityBody(i) };
        },
      },
    ];
  }
}

/** 404 SubscriptionNotFound, ARM's wording. */
export function subscriptionNotFound(sub: string): ArmError {
  return new ArmError(404, "SubscriptionNotFound", `The subscription '${sub}' could not be found.`);
}
