/**
 * Azure resource IDs: build, parse and compare the few kinds this action handles.
 *
 * Pure. Azure returns the same ID in varying case (`resourcegroups`, `Images`, `Versions`), so IDs are
 * compared case-insensitively and matched with case-insensitive patterns. Names follow the ARM naming
 * rules of each resource type (Microsoft.Compute galleries 2025-12-03, Microsoft.ManagedIdentity).
 */

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const RG = "[-\\w._()]{1,90}";
const PREFIX = `^/subscriptions/(${GUID})/resourceGroups/(${RG})/providers/`;

/** True when `value` is a subscription ID (a GUID). */
export function isGuid(value: string): boolean {
  return new RegExp(`^${GUID}$`).test(value);
}

/** True when `value` is a valid resource group name (1-90 of letters, digits, `-_.()`, not ending in `.`). */
export function isResourceGroupName(value: string): boolean {
  return new RegExp(`^${RG}$`).test(value) && !value.endsWith(".");
}

/** Gallery and gallery image definition names: letters, digits, `.` and `_` (gallery) or `-._` (image), 1-80. */
export function isGalleryName(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._]{0,78}[A-Za-z0-9]$|^[A-Za-z0-9]$/.test(value);
}

/** Gallery image definition names: letters, digits, `-`, `.`, `_`, 1-80, starting and ending alphanumeric. */
export function isImageDefinitionName(value: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$/.test(value);
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
  const match = new RegExp(
    `${PREFIX}Microsoft\\.Compute/galleries/([^/]+)/images/([^/]+)/versions/([^/]+)$`,
    "i",
  ).exec(id.trim());
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, gallery, image, version] = match as unknown as string[];
  return { subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, gallery: gallery!, image: image!, version: version! };
}

/** True when `id` is a managed image ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/NAME`. */
export function isManagedImageId(id: string): boolean {
  return new RegExp(`${PREFIX}Microsoft\\.Compute/images/[^/]+$`, "i").test(id.trim());
}

/** True when `id` is a user-assigned managed identity ID (Microsoft.ManagedIdentity/userAssignedIdentities). */
export function isUserAssignedIdentityId(id: string): boolean {
  return new RegExp(`${PREFIX}Microsoft\\.ManagedIdentity/userAssignedIdentities/[^/]+$`, "i").test(id.trim());
}

/** The ID of a gallery image definition. */
export function galleryImageId(subscriptionId: string, resourceGroup: string, gallery: string, image: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/galleries/${gallery}/images/${image}`;
}

/** The ID of a gallery image version: the definition's ID + `/versions/X.Y.Z`. */
export function galleryImageVersionId(definitionId: string, version: string): string {
  return `${definitionId}/versions/${version}`;
}

/** Case-insensitive equality of two resource IDs (Azure varies the case of segments it returns). */
export function sameResourceId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
