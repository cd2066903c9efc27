/**
 * Azure resource IDs: build, parse and compare the kinds this action handles. The one place in src/ that
 * knows what a resource ID looks like: no other module writes `/subscriptions/…` or matches it.
 *
 * Pure. Azure returns the same ID in varying case (`resourcegroups`, `Images`, `Versions`), so IDs are
 * compared case-insensitively and matched with case-insensitive patterns. Names follow the ARM naming
 * rules of each resource type (Microsoft Learn, "Naming rules and restrictions for Azure resources":
 * resource groups 1-90 of letters, digits, `_`, `-`, `.`, `(`, `)`, Unicode letters included, not ending
 * in `.`; Microsoft.Compute galleries 2025-12-03; Microsoft.ManagedIdentity; Microsoft.Network).
 */

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** A resource group name's characters (Unicode letters and decimal digits, as ARM allows). */
const RG = "[-\\p{L}\\p{Nd}_.()]{1,90}";
/** `/subscriptions/<guid>/resourceGroups/<rg>/providers/`, capturing the subscription and the group. */
const PREFIX = `^/subscriptions/(${GUID})/resourceGroups/(${RG})/providers/`;
/** One path segment of a resource ID. */
const SEGMENT = "([^/]+)";

/** Matches `pattern` (anchored by the caller) against `id`, trimmed, in any case. */
function match(pattern: string, id: string): string[] | undefined {
  const found = new RegExp(pattern, "iu").exec(id.trim());
  return found ? (found as unknown as string[]) : undefined;
}

/**
 * The shapes of the IDs the inputs take, as error messages show them (`<…>` are the parts to fill in).
 * A message naming a resource ID quotes one of these, so every message shows the same shape.
 */
export const ID_SHAPES = {
  resourceGroup: "/subscriptions/<id>/resourceGroups/<name>",
  galleryImageVersion: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<definition>/versions/<X.Y.Z|latest>",
  managedImage: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>",
  userAssignedIdentity: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
  subnet: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
} as const;

/** True when `value` is a subscription ID (a GUID). */
export function isGuid(value: string): boolean {
  return new RegExp(`^${GUID}$`).test(value);
}

/** True when `value` is a valid resource group name (1-90 of letters, digits, `-_.()`, not ending in `.`). */
export function isResourceGroupName(value: string): boolean {
  return new RegExp(`^${RG}$`, "u").test(value) && !value.endsWith(".");
}

/** Gallery and gallery image definition names: letters, digits, `.` and `_` (gallery) or `-._` (image), 1-80. */
export function isGalleryName(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._]{0,78}[A-Za-z0-9]$|^[A-Za-z0-9]$/.test(value);
}

/** Gallery image definition names: letters, digits, `-`, `.`, `_`, 1-80, starting and ending alphanumeric. */
export function isImageDefinitionName(value: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$/.test(value);
}

/** Parts of a resource group ID. */
export interface ResourceGroupRef {
  subscriptionId: string;
  resourceGroup: string;
}

/** Parts of the ID of a resource directly in a resource group (a managed image, a managed identity). */
export interface ResourceRef extends ResourceGroupRef {
  name: string;
}

/** The ID of a resource group: `/subscriptions/<id>/resourceGroups/<name>`. */
export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/**
 * Splits `/subscriptions/<id>/resourceGroups/<name>` (any case, a trailing `/` allowed), as Azure returns
 * it (e.g. a template's `exactStagingResourceGroup`) or a user gives it. The parts are not validated:
 * check them with `isGuid` and `isResourceGroupName` where they come from an input.
 */
export function parseResourceGroupId(id: string): ResourceGroupRef | undefined {
  const found = match(`^/subscriptions/${SEGMENT}/resourceGroups/${SEGMENT}/?$`, id);
  return found ? { subscriptionId: found[1]!, resourceGroup: found[2]! } : undefined;
}

/** Parts of a gallery image version ID. */
export interface GalleryImageVersionRef {
  subscriptionId: string;
  resourceGroup: string;
  gallery: string;
  image: string;
  /** `X.Y.Z`, or `latest`. */
  version: string;
}

/** Parses `/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/galleries/G/images/I/versions/V`. */
export function parseGalleryImageVersionId(id: string): GalleryImageVersionRef | undefined {
  const found = match(`${PREFIX}Microsoft\\.Compute/galleries/${SEGMENT}/images/${SEGMENT}/versions/${SEGMENT}$`, id);
  if (!found) return undefined;
  const [, subscriptionId, resourceGroup, gallery, image, version] = found;
  return { subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, gallery: gallery!, image: image!, version: version! };
}

/** Parses a managed image ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/NAME`. */
export function parseManagedImageId(id: string): ResourceRef | undefined {
  const found = match(`${PREFIX}Microsoft\\.Compute/images/${SEGMENT}$`, id);
  return found ? { subscriptionId: found[1]!, resourceGroup: found[2]!, name: found[3]! } : undefined;
}

/** True when `id` is a managed image ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/NAME`. */
export function isManagedImageId(id: string): boolean {
  return parseManagedImageId(id) !== undefined;
}

/** Parses a user-assigned managed identity ID (Microsoft.ManagedIdentity/userAssignedIdentities/NAME). */
export function parseUserAssignedIdentityId(id: string): ResourceRef | undefined {
  const found = match(`${PREFIX}Microsoft\\.ManagedIdentity/userAssignedIdentities/${SEGMENT}$`, id);
  return found ? { subscriptionId: found[1]!, resourceGroup: found[2]!, name: found[3]! } : undefined;
}

/** True when `id` is a user-assigned managed identity ID (Microsoft.ManagedIdentity/userAssignedIdentities). */
export function isUserAssignedIdentityId(id: string): boolean {
  return parseUserAssignedIdentityId(id) !== undefined;
}

/** Parts of a subnet ID. */
export interface SubnetRef extends ResourceGroupRef {
  virtualNetwork: string;
  subnet: string;
}

/** Parses a subnet ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/V/subnets/S`. */
export function parseSubnetId(id: string): SubnetRef | undefined {
  const found = match(`${PREFIX}Microsoft\\.Network/virtualNetworks/${SEGMENT}/subnets/${SEGMENT}$`, id);
  return found ? { subscriptionId: found[1]!, resourceGroup: found[2]!, virtualNetwork: found[3]!, subnet: found[4]! } : undefined;
}

/** True when `id` is a subnet ID (Microsoft.Network/virtualNetworks/V/subnets/S). */
export function isSubnetId(id: string): boolean {
  return parseSubnetId(id) !== undefined;
}

/** True when two subnet IDs are on the same virtual network (any case); false when either is no subnet ID. */
export function sameVirtualNetwork(a: string, b: string): boolean {
  const x = parseSubnetId(a);
  const y = parseSubnetId(b);
  return (
    x !== undefined &&
    y !== undefined &&
    sameResourceId(resourceGroupId(x.subscriptionId, x.resourceGroup), resourceGroupId(y.subscriptionId, y.resourceGroup)) &&
    x.virtualNetwork.toLowerCase() === y.virtualNetwork.toLowerCase()
  );
}

/** The ID of a gallery image definition. */
export function galleryImageId(subscriptionId: string, resourceGroup: string, gallery: string, image: string): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/Microsoft.Compute/galleries/${gallery}/images/${image}`;
}

/** The ID of a gallery image version: the definition's ID + `/versions/X.Y.Z`. */
export function galleryImageVersionId(definitionId: string, version: string): string {
  return `${definitionId}/versions/${version}`;
}

/**
 * The image definition and version of a gallery image version ID (`…/images/I/versions/V`, any case), by its
 * last segments only (Azure's own IDs, e.g. a distributor's `galleryImageId`); undefined when it has no
 * `/versions/V` at its end.
 */
export function splitImageVersionId(id: string): { definitionId: string; version: string } | undefined {
  const found = /^(.+)\/versions\/([^/]+)$/i.exec(id);
  return found ? { definitionId: found[1]!, version: found[2]! } : undefined;
}

/** The ID of an image template (Microsoft.VirtualMachineImages/imageTemplates, api-version 2025-10-01). */
export function imageTemplateId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
}

/** The last segment of a resource ID: the resource's own name (`…/versions/1.2.3` → `1.2.3`). */
export function nameOf(id: string): string {
  const trimmed = id.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Case-insensitive equality of two resource IDs (Azure varies the case of segments it returns). */
export function sameResourceId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
