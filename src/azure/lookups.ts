/**
 * Read-only lookups the preflight makes, through the Azure SDK clients:
 * - resource groups: @azure/arm-resources (ResourceGroups_Get, Microsoft.Resources 2025-04-01);
 * - regions and their availability zones: @azure/arm-resources-subscriptions (Subscriptions_ListLocations,
 *   2022-12-01; a region with zones lists `availabilityZoneMappings`, one listing serves both lookups);
 * - gallery image definitions and managed images: @azure/arm-compute (GalleryImages_Get 2025-12-03, Images_Get);
 * - marketplace image versions: @azure/arm-compute (VirtualMachineImages_Get);
 * - user-assigned identities: @azure/arm-msi (UserAssignedIdentities_Get, 2024-11-30).
 *
 * Each lookup answers found / missing (404) / forbidden (403: the caller may not read it), so the
 * preflight can fail on what is wrong and only warn about what it could not check.
 */

import type { ComputeManagementClient } from "@azure/arm-compute";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import type { CloudEndpoints } from "../cloud.ts";
import { type ArmLogs, armPipelineOptions, modularClientOptions } from "./arm-options.ts";

/** The outcome of one lookup. `message` is Azure's, for missing and forbidden. */
export type Lookup<T> = { status: "found"; value: T } | { status: "missing"; message: string } | { status: "forbidden"; message: string };

/** What the preflight needs of an image: its OS, state, generation and security type. */
export interface ImageTraits {
  osType?: string;
  osState?: string;
  /** `V1` or `V2`. */
  hyperVGeneration?: string;
  /** The `SecurityType` feature, e.g. `TrustedLaunchSupported`, `TrustedLaunch`, `ConfidentialVM`; undefined = Standard. */
  securityType?: string;
  /** Region of a gallery image definition (`westeurope`: lower case, no spaces); its image versions are created there. */
  location?: string;
  /** Purchase plan of a marketplace image, when it has one. */
  plan?: { name: string; product: string; publisher: string };
}

/** Read-only lookups for the preflight. */
export interface AzureLookups {
  resourceGroup(subscriptionId: string, name: string): Promise<Lookup<{ location: string }>>;
  /** Region names (e.g. `westeurope`) of the subscription. */
  regions(subscriptionId: string): Promise<Lookup<string[]>>;
  /**
   * Names of the subscription's regions that have availability zones: those whose Subscriptions_ListLocations
   * entry lists `availabilityZoneMappings` (logical zone → physical zone), where zone-redundant storage exists.
   */
  zonedRegions(subscriptionId: string): Promise<Lookup<string[]>>;
  imageDefinition(subscriptionId: string, resourceGroup: string, gallery: string, image: string): Promise<Lookup<ImageTraits>>;
  managedImage(subscriptionId: string, resourceGroup: string, name: string): Promise<Lookup<ImageTraits>>;
  marketplaceImage(subscriptionId: string, location: string, publisher: string, offer: string, sku: string, version: string): Promise<Lookup<ImageTraits>>;
  userAssignedIdentity(subscriptionId: string, resourceGroup: string, name: string): Promise<Lookup<{ principalId?: string }>>;
}

async function lookup<T>(call: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { status: "found", value: await call() };
  } catch (error) {
    if (isRestError(error) && error.statusCode === 404) return { status: "missing", message: error.message };
    if (isRestError(error) && error.statusCode === 403) return { status: "forbidden", message: error.message };
    throw error;
  }
}

function securityTypeOf(features: { name?: string; value?: string }[] | undefined): string | undefined {
  return features?.find((f) => f.name?.toLowerCase() === "securitytype")?.value;
}

/** Makes the lookups for `cloud` with `credential` (and `ARM_RETRY`; throttles logged to `log`); clients are made per subscription, lazily. */
export function createAzureLookups(credential: TokenCredential, cloud: CloudEndpoints, log?: ArmLogs): AzureLookups {
  const modular = modularClientOptions(cloud, log);
  const cache = new Map<string, unknown>();
  const client = <C>(key: string, make: () => C): C => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as C;
  };
  // @azure/arm-compute is imported on first use (see createAzureGateway).
  const compute = (sub: string): Promise<ComputeManagementClient> =>
    client(`compute:${sub}`, () => import("@azure/arm-compute").then(({ ComputeManagementClient }) => new ComputeManagementClient(credential, sub, modular)));
  const resources = (sub: string) => client(`resources:${sub}`, () => new ResourceManagementClient(credential, sub, modular));
  const subscriptions = client("subscriptions", () => new SubscriptionClient(credential, modular));
  // A classic (AutoRest) client: `$host` builds its URLs, `endpoint` its pipeline, `credentialScopes` its tokens.
  const msi = (sub: string) =>
    client(
      `msi:${sub}`,
      () =>
        new ManagedServiceIdentityClient(credential, sub, {
          $host: cloud.armEndpoint,
          endpoint: cloud.armEndpoint,
          credentialScopes: [cloud.armScope],
          ...armPipelineOptions(log),
        }),
    );

  // Subscriptions_ListLocations, once per subscription for both `regions` and `zonedRegions`.
  const locations = new Map<string, Promise<Lookup<{ name: string; zoned: boolean }[]>>>();
  const listLocations = (sub: string) => {
    if (!locations.has(sub)) {
      locations.set(
        sub,
        lookup(async () => {
          const found: { name: string; zoned: boolean }[] = [];
          for await (const location of subscriptions.subscriptions.listLocations(sub)) {
            if (location.name) found.push({ name: location.name.toLowerCase(), zoned: (location.availabilityZoneMappings?.length ?? 0) > 0 });
          }
          return found;
        }),
      );
    }
    return locations.get(sub)!;
  };
  const fromLocations = async (sub: string, pick: (l: { name: string; zoned: boolean }) => boolean): Promise<Lookup<string[]>> => {
    const result = await listLocations(sub);
    return result.status === "found" ? { status: "found", value: result.value.filter(pick).map((l) => l.name) } : result;
  };

  return {
    resourceGroup: (sub, name) => lookup(async () => ({ location: (await resources(sub).resourceGroups.get(name)).location })),
    regions: (sub) => fromLocations(sub, () => true),
    zonedRegions: (sub) => fromLocations(sub, (l) => l.zoned),
    imageDefinition: (sub, rg, gallery, image) =>
      lookup(async () => {
        const definition = await (await compute(sub)).galleryImages.get(rg, gallery, image);
        return {
          osType: definition.osType,
          osState: definition.osState,
          hyperVGeneration: definition.hyperVGeneration,
          securityType: securityTypeOf(definition.features),
          location: definition.location.replace(/\s+/g, "").toLowerCase(),
        };
      }),
    managedImage: (sub, rg, name) =>
      lookup(async () => {
        const image = await (await compute(sub)).images.get(rg, name);
        return { osType: image.storageProfile?.osDisk?.osType, osState: image.storageProfile?.osDisk?.osState, hyperVGeneration: image.hyperVGeneration };
      }),
    marketplaceImage: (sub, location, publisher, offer, sku, version) =>
      lookup(async () => {
        const image = await (await compute(sub)).virtualMachineImages.get(location, publisher, offer, sku, version);
        const plan =
          image.plan?.name && image.plan.product && image.plan.publisher
            ? { name: image.plan.name, product: image.plan.product, publisher: image.plan.publisher }
            : undefined;
        return { osType: image.osDiskImage?.operatingSystem, hyperVGeneration: image.hyperVGeneration, securityType: securityTypeOf(image.features), plan };
      }),
    userAssignedIdentity: (sub, rg, name) => lookup(async () => ({ principalId: (await msi(sub).userAssignedIdentities.get(rg, name)).principalId })),
  };
}
