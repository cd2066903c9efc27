/**
 * Azure regions as ARM names them: the name (`westeurope`) and display name (`West Europe`) of each
 * region the emulator knows, and which of them have availability zones.
 */

/** ARM region names → display names (the subset AVD image pipelines use, plus the example regions). */
const REGIONS: Record<string, string> = {
  westeurope: "West Europe",
  northeurope: "North Europe",
  uksouth: "UK South",
  ukwest: "UK West",
  francecentral: "France Central",
  germanywestcentral: "Germany West Central",
  swedencentral: "Sweden Central",
  switzerlandnorth: "Switzerland North",
  norwayeast: "Norway East",
  eastus: "East US",
  eastus2: "East US 2",
  westus: "West US",
  westus2: "West US 2",
  westus3: "West US 3",
  centralus: "Central US",
  southcentralus: "South Central US",
  northcentralus: "North Central US",
  westcentralus: "West Central US",
  canadacentral: "Canada Central",
  brazilsouth: "Brazil South",
  australiaeast: "Australia East",
  southeastasia: "Southeast Asia",
  eastasia: "East Asia",
  japaneast: "Japan East",
  centralindia: "Central India",
  koreacentral: "Korea Central",
  southafricanorth: "South Africa North",
  uaenorth: "UAE North",
};

/**
 * Known regions without availability zones: Microsoft Learn "Azure regions list" (reliability/regions-list)
 * lists no availability zones for West US, North Central US, West Central US and UK West; Azure/avdaccelerator
 * PR #289 reports an Image Builder build failing at distribution with Standard_ZRS replicas in West US.
 * Every other region here has three zones.
 */
const ZONELESS_REGIONS = new Set(["westus", "northcentralus", "westcentralus", "ukwest"]);

/** Whether a region (name or display name) has availability zones, and so zone-redundant storage. */
export function hasAvailabilityZones(nameOrDisplay: string): boolean {
  const name = regionName(nameOrDisplay);
  return name in REGIONS && !ZONELESS_REGIONS.has(name);
}

/** The regions the emulator knows (name → display name), as Subscriptions_ListLocations lists them. */
export function knownRegions(): [name: string, displayName: string][] {
  return Object.entries(REGIONS);
}

/** `westeurope` or `West Europe` → `westeurope` (lower case, no spaces). */
export function regionName(nameOrDisplay: string): string {
  return nameOrDisplay.replace(/\s+/g, "").toLowerCase();
}

/** `westeurope` or `West Europe` → `West Europe`; unknown names are returned as given. */
export function regionDisplayName(nameOrDisplay: string): string {
  return REGIONS[regionName(nameOrDisplay)] ?? nameOrDisplay;
}
