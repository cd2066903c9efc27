/**
 * What Compute and Image Builder refuse when an image template publishes a gallery image version — found
 * only at distribution, after the whole build, as in Azure. Pure functions of the source's and the image
 * definition's traits and the distributor's target regions; `imagebuilder-distribute.ts` `distribute` calls them.
 *
 * Sources:
 * - Security types: Microsoft Learn, "Azure VM Image Builder overview", section "Confidential VM and
 *   Trusted Launch support": TrustedLaunchSupported and ConfidentialVMSupported are supported as a source
 *   image; TrustedLaunch and ConfidentialVM are "Not supported as a source image"; "the source and
 *   distribute must both be TrustedLaunchSupported for it to be supported. If the source is normal and the
 *   distribute is TrustedLaunchSupported, or if the source is TrustedLaunchSupported and the distribute is
 *   normal Gen2, it's not supported." TrustedLaunchAndConfidentialVmSupported supports Trusted Launch: it
 *   pairs as TrustedLaunchSupported. The inner wordings (code InvalidParameter) are the emulator's: no public
 *   sample of Azure's exact message was found.
 * - Target regions: the image version takes its location from its parent image definition (Image Builder
 *   template reference, Distribute: sharedImage), and Compute refuses a publishing profile without it:
 *   "Gallery image version publishing profile regions '<regions>' must contain the location of image version
 *   '<location>'." (hashicorp/packer#8895, Azure's answer quoted: "Gallery image version publishing profile
 *   regions 'northeurope' must contain the location of image version 'East US'.").
 */
import { regionDisplayName, regionName } from "./regions.ts";

/** Traits of an image, as Compute reports them (a marketplace image, or a gallery image definition). */
export interface ImageTraits {
  hyperVGeneration: string;
  /** The `SecurityType` feature; undefined = Standard. */
  securityType: string | undefined;
}

type Family = "Standard" | "TrustedLaunchSupported" | "ConfidentialVMSupported" | "TrustedLaunch" | "ConfidentialVM";

function family(securityType: string | undefined): Family {
  switch ((securityType ?? "Standard").toLowerCase()) {
    case "trustedlaunchsupported":
    case "trustedlaunchandconfidentialvmsupported":
      return "TrustedLaunchSupported";
    case "confidentialvmsupported":
      return "ConfidentialVMSupported";
    case "trustedlaunch":
      return "TrustedLaunch";
    case "confidentialvm":
      return "ConfidentialVM";
    default:
      return "Standard";
  }
}

/** `SecurityType` of a gallery image definition's `features` (undefined = Standard). */
export function securityTypeOf(features: unknown): string | undefined {
  const list = Array.isArray(features) ? (features as { name?: string; value?: string }[]) : [];
  return list.find((f) => f.name?.toLowerCase() === "securitytype")?.value;
}

/** Why the source cannot be published to the definition (generation, security type), or undefined. */
export function sourceMismatch(source: ImageTraits, definition: ImageTraits): string | undefined {
  if (source.hyperVGeneration !== definition.hyperVGeneration) {
    return `InvalidParameter: The source image's HyperVGeneration '${source.hyperVGeneration}' does not match the HyperVGeneration '${definition.hyperVGeneration}' of the gallery image definition.`;
  }
  const sourceType = source.securityType ?? "Standard";
  const definitionType = definition.securityType ?? "Standard";
  const s = family(source.securityType);
  if (s === "TrustedLaunch" || s === "ConfidentialVM") {
    return `InvalidParameter: The source image has SecurityType '${sourceType}', which is not supported as a source image.`;
  }
  if (s !== family(definition.securityType)) {
    return `InvalidParameter: The source image with SecurityType '${sourceType}' cannot be published to the gallery image definition with SecurityType '${definitionType}'; the source and the distribution must both be TrustedLaunchSupported, or both Standard.`;
  }
  return undefined;
}

/**
 * Compute's refusal of a publishing profile whose target regions miss the image version's location (the
 * definition's region), or undefined.
 */
export function regionsMissLocation(targetRegions: string[], versionLocation: string): string | undefined {
  const names = targetRegions.map(regionName);
  if (names.includes(regionName(versionLocation))) return undefined;
  return `InvalidParameter: Gallery image version publishing profile regions '${names.join(", ")}' must contain the location of image version '${regionDisplayName(versionLocation)}'.`;
}
