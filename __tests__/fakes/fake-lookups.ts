/**
 * In-memory `AzureLookups` (src/azure/lookups.ts), the preflight's read-only lookups: resource groups,
 * regions (with or without availability zones), gallery image definitions, managed images, marketplace
 * images and user-assigned identities. Each answers found / missing (ARM's 404 message) / forbidden (a
 * 403 AuthorizationFailed message) as the real lookups do; `forbid` makes one kind answer forbidden,
 * `remove` missing.
 * Every lookup is recorded in `calls`.
 */
import type { AzureLookups, ImageTraits, Lookup } from "../../src/azure/lookups.ts";

/** The kinds of lookup, as `AzureLookups` names them. */
export type LookupKind = keyof AzureLookups;

const lower = (...parts: string[]) => parts.join("/").toLowerCase();

/** Traits of a definition shaped like the AVD defaults: Windows, Generalized, V2, TrustedLaunchSupported, in westeurope. */
export const AVD_DEFINITION: ImageTraits = {
  osType: "Windows",
  osState: "Generalized",
  hyperVGeneration: "V2",
  securityType: "TrustedLaunchSupported",
  location: "westeurope",
};

/** Traits of the default marketplace source (Windows 11 multi-session + M365): V2, TrustedLaunchSupported. */
export const AVD_MARKETPLACE_IMAGE: ImageTraits = { osType: "Windows", hyperVGeneration: "V2", securityType: "TrustedLaunchSupported" };

/** The in-memory lookups. */
export class FakeLookups implements AzureLookups {
  readonly calls: { kind: LookupKind; args: string[] }[] = [];
  private readonly groups = new Map<string, { location: string }>();
  private readonly locations: { name: string; zoned: boolean }[] = [];
  private readonly definitions = new Map<string, ImageTraits>();
  private readonly managed = new Map<string, ImageTraits>();
  /** Marketplace images by `location/publisher/offer/sku`, every version alike (`*`) or per version. */
  private readonly marketplace = new Map<string, ImageTraits>();
  private readonly identities = new Map<string, { principalId?: string }>();
  private readonly forbidden = new Set<LookupKind>();
  private readonly absent = new Set<LookupKind>();

  seedResourceGroup(subscriptionId: string, name: string, location = "westeurope"): this {
    this.groups.set(lower(subscriptionId, name), { location });
    return this;
  }

  /** Regions of every subscription; `zoned` ones have availability zones. */
  seedRegions(names: string[], zoned: string[] = []): this {
    for (const name of names) this.locations.push({ name, zoned: zoned.includes(name) });
    return this;
  }

  seedImageDefinition(subscriptionId: string, rg: string, gallery: string, image: string, traits: ImageTraits = AVD_DEFINITION): this {
    this.definitions.set(lower(subscriptionId, rg, gallery, image), traits);
    return this;
  }

  seedManagedImage(subscriptionId: string, rg: string, name: string, traits: ImageTraits): this {
    this.managed.set(lower(subscriptionId, rg, name), traits);
    return this;
  }

  /** A marketplace image; `version` `*` (default) stands for every version. */
  seedMarketplaceImage(location: string, publisher: string, offer: string, sku: string, traits: ImageTraits = AVD_MARKETPLACE_IMAGE, version = "*"): this {
    this.marketplace.set(lower(location, publisher, offer, sku, version), traits);
    return this;
  }

  seedIdentity(subscriptionId: string, rg: string, name: string, principalId = "aaaaaaaa-0000-0000-0000-000000000001"): this {
    this.identities.set(lower(subscriptionId, rg, name), { principalId });
    return this;
  }

  /** From now on, lookups of `kind` answer forbidden (the signed-in identity may not read them). */
  forbid(kind: LookupKind): this {
    this.forbidden.add(kind);
    return this;
  }

  /** From now on, lookups of `kind` answer missing (404), whatever was seeded. */
  remove(kind: LookupKind): this {
    this.absent.add(kind);
    return this;
  }

  resourceGroup(subscriptionId: string, name: string) {
    return this.answer("resourceGroup", [subscriptionId, name], this.groups.get(lower(subscriptionId, name)), `Resource group '${name}' could not be found.`);
  }

  regions(subscriptionId: string) {
    return this.answer(
      "regions",
      [subscriptionId],
      this.locations.map((l) => l.name),
      "",
    );
  }

  zonedRegions(subscriptionId: string) {
    return this.answer(
      "zonedRegions",
      [subscriptionId],
      this.locations.filter((l) => l.zoned).map((l) => l.name),
      "",
    );
  }

  imageDefinition(subscriptionId: string, rg: string, gallery: string, image: string) {
    return this.answer(
      "imageDefinition",
      [subscriptionId, rg, gallery, image],
      this.definitions.get(lower(subscriptionId, rg, gallery, image)),
      notFoundMessage(`Microsoft.Compute/galleries/${gallery}/images/${image}`, rg),
    );
  }

  managedImage(subscriptionId: string, rg: string, name: string) {
    return this.answer(
      "managedImage",
      [subscriptionId, rg, name],
      this.managed.get(lower(subscriptionId, rg, name)),
      notFoundMessage(`Microsoft.Compute/images/${name}`, rg),
    );
  }

  marketplaceImage(subscriptionId: string, location: string, publisher: string, offer: string, sku: string, version: string) {
    const traits = this.marketplace.get(lower(location, publisher, offer, sku, version)) ?? this.marketplace.get(lower(location, publisher, offer, sku, "*"));
    return this.answer("marketplaceImage", [subscriptionId, location, publisher, offer, sku, version], traits, "Artifact: VMImage was not found.");
  }

  userAssignedIdentity(subscriptionId: string, rg: string, name: string) {
    return this.answer(
      "userAssignedIdentity",
      [subscriptionId, rg, name],
      this.identities.get(lower(subscriptionId, rg, name)),
      notFoundMessage(`Microsoft.ManagedIdentity/userAssignedIdentities/${name}`, rg),
    );
  }

  private async answer<T>(kind: LookupKind, args: string[], value: T | undefined, missing: string): Promise<Lookup<T>> {
    this.calls.push({ kind, args });
    if (this.forbidden.has(kind)) {
      return {
        status: "forbidden",
        message: `The client does not have authorization to perform action for ${kind} over scope '${args.join("/")}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      };
    }
    return value === undefined || this.absent.has(kind) ? { status: "missing", message: missing } : { status: "found", value: structuredClone(value) };
  }
}

/** ARM's ResourceNotFound message (emulator/arm.ts). */
function notFoundMessage(typeAndName: string, rg: string): string {
  return `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`;
}
