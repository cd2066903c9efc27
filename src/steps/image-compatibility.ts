/**
 * Whether a source image can be published to a gallery image definition: the same Hyper-V generation and
 * the security-type pairing Image Builder supports. Pure; the preflight (`preflight.ts`) reads the traits.
 */
import type { ImageTraits } from "../azure/lookups.ts";
import type { PreflightCheck } from "../report.ts";
import type { InputName } from "../settings/inputs.ts";

/**
 * Security-type families for Image Builder's pairing rule. Microsoft Learn, "Azure VM Image Builder
 * overview", section "Confidential VM and Trusted Launch support": TrustedLaunchSupported and
 * ConfidentialVMSupported images are supported as a source; TrustedLaunch and ConfidentialVM are "Not
 * supported as a source image"; and "the source and distribute must both be TrustedLaunchSupported for it
 * to be supported. If the source is normal and the distribute is TrustedLaunchSupported, or if the source is
 * TrustedLaunchSupported and the distribute is normal Gen2, it's not supported."
 * `TrustedLaunchAndConfidentialVmSupported` supports Trusted Launch, so it is of the TrustedLaunchSupported
 * family; no SecurityType is Standard.
 */
export function securityFamily(
  securityType: string | undefined,
): "Standard" | "TrustedLaunchSupported" | "ConfidentialVMSupported" | "TrustedLaunch" | "ConfidentialVM" {
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

/**
 * Whether a source of `source` traits can be published to a definition of `definition` traits: the same
 * Hyper-V generation, and the security-type pairing of {@link securityFamily}.
 * @param label how the host names an input (for the fixes).
 * @returns problems in words, each naming the input to change and the fix (empty when compatible). Pure.
 */
export function compatibilityProblems(
  definition: ImageTraits,
  source: ImageTraits,
  names: { definition: string; source: string },
  label: (input: InputName) => string = (input) => input,
): PreflightCheck[] {
  const problems: PreflightCheck[] = [];
  const definitionGeneration = definition.hyperVGeneration ?? "V1";
  const sourceGeneration = source.hyperVGeneration ?? "V1";
  if (definitionGeneration !== sourceGeneration) {
    problems.push({
      check: "Hyper-V generation",
      status: "failed",
      input: "source",
      detail: `the source ${names.source} is Hyper-V generation ${sourceGeneration}, the image definition ${names.definition} is ${definitionGeneration}. Use a ${definitionGeneration} source, or an image definition created with hyperVGeneration ${sourceGeneration}.`,
    });
    return problems; // the security type follows the generation (Gen1 is Standard): one fix at a time
  }
  const sourceType = source.securityType ?? "Standard";
  const definitionType = definition.securityType ?? "Standard";
  const sourceFamily = securityFamily(source.securityType);
  const definitionFamily = securityFamily(definition.securityType);
  const rule =
    "Image Builder publishes only a TrustedLaunchSupported source to a TrustedLaunchSupported image definition, or a Standard source to a Standard one (VM Image Builder overview, Confidential VM and Trusted Launch support)";
  if (sourceFamily === "TrustedLaunch" || sourceFamily === "ConfidentialVM") {
    problems.push({
      check: "Security type",
      status: "failed",
      input: "source",
      detail:
        `the source ${names.source} has SecurityType ${sourceType}, which Image Builder does not support as a source image. ` +
        `Set '${label("source")}' to an image of SecurityType ${sourceFamily}Supported (a marketplace image, or a version of a ${sourceFamily}Supported gallery image definition), published to an '${label("image-definition")}' of the same SecurityType.`,
    });
  } else if (sourceFamily !== definitionFamily) {
    const definitionUsable = definitionFamily !== "TrustedLaunch" && definitionFamily !== "ConfidentialVM";
    problems.push({
      check: "Security type",
      status: "failed",
      input: "image-definition",
      detail:
        `the source ${names.source} ('${label("source")}') has SecurityType ${sourceType} and the image definition ${names.definition} ('${label("image-definition")}') has SecurityType ${definitionType}: ${rule}. ` +
        `Set '${label("image-definition")}' to a definition created with SecurityType ${sourceFamily}${sourceFamily === "Standard" ? " (no SecurityType feature)" : ""} (the SecurityType of a definition cannot be changed; setup/ creates TrustedLaunchSupported)` +
        (definitionUsable ? `, or '${label("source")}' to an image of SecurityType ${definitionFamily}.` : "."),
    });
  }
  return problems;
}
