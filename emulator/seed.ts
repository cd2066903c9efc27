/**
 * Seeding: the AVD defaults the demo and tests share (`seedAvdDefaults`), and the JSON seed-file format
 * the CLI accepts (`applySeed`).
 */
import type { AppRegistration } from "./entra.ts";
import type { SeedImageDefinition, SeedImageVersion } from "./gallery-store.ts";
import { type SeedMarketplaceImage, compareDotted } from "./marketplace.ts";
import type { EmulatorOptions } from "./state.ts";

/** Names `seedAvdDefaults()` creates (all in the default subscription). */
export const AVD_DEFAULTS = {
  resourceGroup: "rg-avd-images",
  location: "westeurope",
  gallery: "galAvd",
  imageDefinition: "win11-avd-m365",
  identity: "id-avd-image-builder",
  marketplace: {
    publisher: "MicrosoftWindowsDesktop",
    offer: "office-365",
    sku: "win11-24h2-avd-m365",
    /**
     * Text order and numeric order disagree: text max is 26100.4349.250607, numeric max (the real
     * latest) is 26100.10000.250610.
     */
    versions: ["26100.2894.250113", "26100.10000.250610", "26100.4349.250607"],
  },
} as const;

/** What `seedAvdDefaults()` returns: the names plus the resource ids. */
export interface AvdDefaults {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  gallery: string;
  imageDefinition: string;
  identity: string;
  identityId: string;
  identityPrincipalId: string;
  identityClientId: string;
  galleryId: string;
  imageDefinitionId: string;
  marketplace: { publisher: string; offer: string; sku: string; versions: string[]; latest: string; textLatest: string };
}

/** JSON seed file (CLI argument) — every list is optional. */
export interface SeedFile {
  /** Options applied before seeding (same names as EmulatorOptions). */
  options?: Partial<EmulatorOptions>;
  /** Run seedAvdDefaults() first. */
  avdDefaults?: boolean;
  resourceGroups?: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }[];
  identities?: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }[];
  galleries?: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }[];
  imageDefinitions?: SeedImageDefinition[];
  imageVersions?: SeedImageVersion[];
  marketplaceImages?: SeedMarketplaceImage[];
  apps?: AppRegistration[];
}

/** The seeding surface of the emulator that {@link applySeed} uses. */
export interface Seedable {
  setOptions(o: Partial<EmulatorOptions>): void;
  seedAvdDefaults(): AvdDefaults;
  seedResourceGroup(r: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }): unknown;
  seedUserAssignedIdentity(r: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }): {
    id: string;
    principalId: string;
    clientId: string;
  };
  seedGallery(g: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }): { id: string };
  seedImageDefinition(d: SeedImageDefinition): { id: string };
  seedImageVersion(v: SeedImageVersion): unknown;
  seedMarketplaceImage(m: SeedMarketplaceImage): void;
  registerApp(a: AppRegistration): void;
}

/** Applies a seed file in dependency order (options, AVD defaults, groups, identities, galleries, definitions, versions, marketplace, apps). */
export function applySeed(emu: Seedable, seed: SeedFile): void {
  if (seed.options) emu.setOptions(seed.options);
  if (seed.avdDefaults) emu.seedAvdDefaults();
  for (const r of seed.resourceGroups ?? []) emu.seedResourceGroup(r);
  for (const i of seed.identities ?? []) emu.seedUserAssignedIdentity(i);
  for (const g of seed.galleries ?? []) emu.seedGallery(g);
  for (const d of seed.imageDefinitions ?? []) emu.seedImageDefinition(d);
  for (const v of seed.imageVersions ?? []) emu.seedImageVersion(v);
  for (const m of seed.marketplaceImages ?? []) emu.seedMarketplaceImage(m);
  for (const a of seed.apps ?? []) emu.registerApp(a);
}

/**
 * One more image definition `name` in the AVD defaults' gallery, shaped like theirs (Windows, Generalized,
 * V2, TrustedLaunchSupported, publisher contoso, offer avd, sku = name), with `overrides` on top.
 */
export function seedAvdImageDefinition(emu: Seedable, name: string, overrides: Partial<SeedImageDefinition> = {}): { id: string } {
  const a = AVD_DEFAULTS;
  return emu.seedImageDefinition({
    resourceGroup: a.resourceGroup,
    gallery: a.gallery,
    name,
    osType: "Windows",
    osState: "Generalized",
    hyperVGeneration: "V2",
    publisher: "contoso",
    offer: "avd",
    sku: name,
    securityType: "TrustedLaunchSupported",
    ...overrides,
  });
}

/** Seeds {@link AVD_DEFAULTS} in subscription `subscriptionId` (the emulator's default) and returns their names and IDs. */
export function seedAvdDefaults(emu: Seedable, subscriptionId: string): AvdDefaults {
  const a = AVD_DEFAULTS;
  emu.seedResourceGroup({ name: a.resourceGroup, location: a.location });
  const ident = emu.seedUserAssignedIdentity({ resourceGroup: a.resourceGroup, name: a.identity, location: a.location });
  const gal = emu.seedGallery({ resourceGroup: a.resourceGroup, name: a.gallery, location: a.location });
  const def = seedAvdImageDefinition(emu, a.imageDefinition);
  const m = a.marketplace;
  emu.seedMarketplaceImage({
    location: a.location,
    publisher: m.publisher,
    offer: m.offer,
    sku: m.sku,
    versions: [...m.versions],
    hyperVGeneration: "V2",
    securityType: "TrustedLaunchSupported",
  });
  const sorted = [...m.versions].sort(compareDotted);
  const text = [...m.versions].sort();
  return {
    subscriptionId,
    resourceGroup: a.resourceGroup,
    location: a.location,
    gallery: a.gallery,
    imageDefinition: a.imageDefinition,
    identity: a.identity,
    identityId: ident.id,
    identityPrincipalId: ident.principalId,
    identityClientId: ident.clientId,
    galleryId: gal.id,
    imageDefinitionId: def.id,
    marketplace: { publisher: m.publisher, offer: m.offer, sku: m.sku, versions: [...m.versions], latest: sorted.at(-1)!, textLatest: text.at(-1)! },
  };
}
