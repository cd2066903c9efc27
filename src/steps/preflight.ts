/**
 * Preflight: before anything is written, check in seconds what Image Builder would otherwise only
 * report at distribution, after an hour of paid build VM — and report every problem at once, each
 * naming the input and the fix. What the caller may not read (403) is a warning, not a failure.
 *
 * Checks: resource groups exist; the gallery image definition exists and fits the source (Windows,
 * Generalized, same Hyper-V generation, compatible security type); the identity and the build VM's
 * identities exist; the target regions and location are regions of the subscription, and a region whose
 * replicas are Standard_ZRS has availability zones; the marketplace image version exists (and its
 * purchase plan is reported).
 */
import type { AzureLookups, ImageTraits, Lookup } from "../azure/lookups.ts";
import { parseGalleryImageVersionId } from "../resource-id.ts";
import type { InputName, Settings } from "../settings.ts";
import type { ResolvedSource } from "../template/source.ts";

/** One check and its outcome, for the log and the job summary. */
export interface PreflightCheck {
  check: string;
  status: "ok" | "warning" | "failed";
  detail: string;
  /** The input to change, for failures. */
  input?: InputName;
}

/** Raised with every failed check; the message lists them, each naming its input. */
export class PreflightError extends Error {
  override name = "PreflightError";
  readonly checks: PreflightCheck[];
  constructor(checks: PreflightCheck[], label: (input: InputName) => string) {
    const failed = checks.filter((c) => c.status === "failed");
    super(
      `Preflight found ${failed.length} problem${failed.length === 1 ? "" : "s"}; nothing was created or deleted:\n` +
        failed.map((c) => `- ${c.input ? `Input '${label(c.input)}': ` : ""}${c.detail}`).join("\n"),
    );
    this.checks = checks;
  }
}

/** Security types a source must have for a definition of each security type (undefined = Standard). */
const SOURCE_SECURITY_FOR_DEFINITION: Record<string, (string | undefined)[]> = {
  standard: [undefined, "standard", "trustedlaunchsupported", "trustedlaunchandconfidentialvmsupported", "confidentialvmsupported"],
  trustedlaunchsupported: [undefined, "standard", "trustedlaunchsupported", "trustedlaunch", "trustedlaunchandconfidentialvmsupported"],
  trustedlaunch: ["trustedlaunch", "trustedlaunchsupported", "trustedlaunchandconfidentialvmsupported"],
  trustedlaunchandconfidentialvmsupported: ["trustedlaunchandconfidentialvmsupported", "trustedlaunchsupported", "trustedlaunch"],
  confidentialvm: ["confidentialvm", "confidentialvmsupported", "trustedlaunchandconfidentialvmsupported"],
  confidentialvmsupported: ["confidentialvm", "confidentialvmsupported", "trustedlaunchandconfidentialvmsupported"],
};

/**
 * Whether a source of `source` traits can be published to a definition of `definition` traits.
 * @returns problems in words (empty when compatible). Pure.
 */
export function compatibilityProblems(definition: ImageTraits, source: ImageTraits, names: { definition: string; source: string }): PreflightCheck[] {
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
  }
  const definitionSecurity = (definition.securityType ?? "Standard").toLowerCase();
  const allowed = SOURCE_SECURITY_FOR_DEFINITION[definitionSecurity];
  const sourceSecurity = source.securityType?.toLowerCase();
  if (allowed && !allowed.includes(sourceSecurity)) {
    problems.push({
      check: "Security type",
      status: "failed",
      input: "source",
      detail: `the image definition ${names.definition} has SecurityType ${definition.securityType ?? "Standard"}, which a source of SecurityType ${source.securityType ?? "Standard"} (${names.source}) cannot be published to. ` +
        `Use a source that supports it, or an image definition with SecurityType ${source.securityType === "TrustedLaunch" ? "TrustedLaunch or TrustedLaunchSupported" : "TrustedLaunchSupported"}.`,
    });
  }
  return problems;
}

/**
 * Runs every check (the lookups in parallel) for a run whose source is already pinned.
 * @returns the checks and the source's traits (its purchase plan included).
 * @throws PreflightError when any check failed.
 */
export async function preflight(
  settings: Settings,
  source: ResolvedSource,
  lookups: AzureLookups,
  label: (input: InputName) => string,
): Promise<{ checks: PreflightCheck[]; sourceTraits?: ImageTraits }> {
  const sub = settings.subscriptionId;
  const identity = identityParts(settings.identityId)!;
  // Replicas on zone-redundant storage need a region with availability zones (read only when asked for).
  const zrsRegions = settings.targetRegions.filter((r) => (r.storageAccountType ?? settings.storageAccountType) === "Standard_ZRS");
  const vmIdentities = (settings.vmUserAssignedIdentities ?? []).map((id) => ({ id, parts: identityParts(id) }));
  const [group, galleryGroup, definition, identityLookup, regions, sourceLookup, zoned, vmIdentityLookups] = await Promise.all([
    lookups.resourceGroup(sub, settings.resourceGroup),
    settings.galleryResourceGroup.toLowerCase() === settings.resourceGroup.toLowerCase() ? undefined : lookups.resourceGroup(sub, settings.galleryResourceGroup),
    lookups.imageDefinition(sub, settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition),
    lookups.userAssignedIdentity(identity[1]!, identity[2]!, identity[3]!),
    lookups.regions(sub),
    sourceTraits(source, settings, lookups),
    zrsRegions.length ? lookups.zonedRegions(sub) : undefined,
    Promise.all(vmIdentities.map(({ parts }) => (parts ? lookups.userAssignedIdentity(parts[1]!, parts[2]!, parts[3]!) : undefined))),
  ]);
  const checks: PreflightCheck[] = [];
  const push = (check: string, result: Lookup<unknown>, input: InputName, missing: string, ok: string): boolean => {
    if (result.status === "found") checks.push({ check, status: "ok", detail: ok });
    else if (result.status === "forbidden") checks.push({ check, status: "warning", detail: `could not check (${firstSentence(result.message)}): going on.` });
    else checks.push({ check, status: "failed", input, detail: missing });
    return result.status === "found";
  };

  push("Resource group", group, "resource-group", `resource group '${settings.resourceGroup}' does not exist in subscription ${sub}, or the signed-in identity cannot see it. Create it or fix the name.`, settings.resourceGroup);
  const galleryGroupFound = galleryGroup
    ? push("Gallery resource group", galleryGroup, "gallery-resource-group", `resource group '${settings.galleryResourceGroup}' does not exist in subscription ${sub}. Create it or fix the name.`, settings.galleryResourceGroup)
    : true;
  const definitionName = `${settings.galleryName}/${settings.imageDefinition}`;
  if (galleryGroupFound || definition.status !== "missing") {
    const found = push(
      "Image definition",
      definition,
      "image-definition",
      `gallery image definition '${definitionName}' does not exist in resource group '${settings.galleryResourceGroup}' (${firstSentence(definition.status === "missing" ? definition.message : "")}). ` +
        `Create it (Windows, Generalized, hyperVGeneration V2, SecurityType TrustedLaunchSupported — setup/ does) or fix 'gallery-name'/'image-definition'.`,
      definitionName,
    );
    if (found && definition.status === "found") {
      const traits = definition.value;
      if (traits.osType && traits.osType !== "Windows") {
        checks.push({ check: "Definition OS", status: "failed", input: "image-definition", detail: `image definition ${definitionName} is osType ${traits.osType}; an AVD image needs a Windows definition.` });
      }
      if (traits.osState && traits.osState !== "Generalized") {
        checks.push({ check: "Definition OS state", status: "failed", input: "image-definition", detail: `image definition ${definitionName} is osState ${traits.osState}; Image Builder publishes generalized (sysprepped) images: use a Generalized definition.` });
      }
      if (sourceLookup?.status === "found") {
        const problems = compatibilityProblems(traits, sourceLookup.value, { definition: definitionName, source: source.display });
        checks.push(...problems);
        if (problems.length === 0) {
          checks.push({ check: "Source fits definition", status: "ok", detail: `${sourceLookup.value.hyperVGeneration ?? "V1"}, SecurityType ${sourceLookup.value.securityType ?? "Standard"} → ${traits.hyperVGeneration ?? "V1"}, ${traits.securityType ?? "Standard"}` });
        }
      }
    }
  }
  if (sourceLookup) {
    push("Source image", sourceLookup, "source", `source ${source.display} (${source.exactVersion}) does not exist${settings.source.kind === "marketplace" ? ` in ${settings.location}` : ""}: ${firstSentence(sourceLookup.status === "found" ? "" : sourceLookup.message)}`, source.exactVersion);
    if (sourceLookup.status === "found" && sourceLookup.value.plan) {
      const plan = sourceLookup.value.plan;
      checks.push({
        check: "Purchase plan",
        status: "warning",
        detail: `${source.display} has purchase plan ${plan.publisher}/${plan.product}/${plan.name}: the template carries planInfo; accept its terms once with 'az vm image terms accept --publisher ${plan.publisher} --offer ${plan.product} --plan ${plan.name}'.`,
      });
    }
  }
  push("Identity", identityLookup, "identity-id", `user-assigned managed identity '${identity[3]}' does not exist in resource group '${identity[2]}'. Create it (setup/ does) or fix the resource ID.`, identity[3]!);
  vmIdentities.forEach(({ id, parts }, index) => {
    const result = vmIdentityLookups[index];
    if (!parts || !result) return;
    const input = settings.vmUserAssignedIdentitiesInput ?? "build-vm-identities";
    push(
      "Build VM identity",
      result,
      input,
      `user-assigned managed identity '${parts[3]}' (${id}) given to the build VM does not exist in resource group '${parts[2]}'${parts[1]!.toLowerCase() === sub.toLowerCase() ? "" : ` of subscription ${parts[1]}`}. Create it or fix the resource ID in '${label(input)}'.`,
      parts[3]!,
    );
  });

  // A region without availability zones has no zone-redundant storage (Azure Compute Gallery docs: ZRS
  // "in regions that support Availability Zones"); Image Builder would only fail at distribution.
  if (zoned?.status === "found") {
    const withZones = new Set(zoned.value);
    const known = regions.status === "found" ? new Set(regions.value) : undefined;
    for (const region of zrsRegions.filter((r) => !withZones.has(r.name) && (!known || known.has(r.name)))) {
      const input: InputName = region.storageAccountType ? "target-regions" : "storage-account-type";
      checks.push({
        check: "Zone-redundant storage",
        status: "failed",
        input,
        detail:
          `region '${region.name}' has no availability zones in subscription ${sub} (its Subscriptions - List Locations entry lists no availabilityZoneMappings), so its replicas cannot be Standard_ZRS. ` +
          `Give it Standard_LRS ('${region.name}=${region.replicaCount}:Standard_LRS' in 'target-regions'), or replicate to a region with zones.`,
      });
    }
    if (!checks.some((c) => c.check === "Zone-redundant storage")) checks.push({ check: "Zone-redundant storage", status: "ok", detail: zrsRegions.map((r) => r.name).join(", ") });
  } else if (zoned?.status === "forbidden") {
    checks.push({ check: "Zone-redundant storage", status: "warning", detail: `could not list the subscription's availability zones (${firstSentence(zoned.message)}): going on.` });
  }

  if (regions.status === "found") {
    const known = new Set(regions.value);
    const unknown = (input: InputName, names: string[]) => {
      for (const name of names.filter((n) => !known.has(n))) {
        checks.push({ check: "Region", status: "failed", input, detail: `'${name}' is not an Azure region of subscription ${sub}${suggest(name, regions.value)}.` });
      }
    };
    unknown("location", [settings.location]);
    unknown("target-regions", settings.targetRegions.map((r) => r.name).filter((n) => n !== settings.location));
    if (!checks.some((c) => c.check === "Region")) checks.push({ check: "Regions", status: "ok", detail: [...new Set([settings.location, ...settings.targetRegions.map((r) => r.name)])].join(", ") });
  } else if (regions.status === "forbidden") {
    checks.push({ check: "Regions", status: "warning", detail: `could not list the subscription's regions (${firstSentence(regions.message)}): going on.` });
  }

  if (checks.some((c) => c.status === "failed")) throw new PreflightError(checks, label);
  return { checks, sourceTraits: sourceLookup?.status === "found" ? sourceLookup.value : undefined };
}

/** The traits of the pinned source (marketplace version, gallery definition of a gallery version, managed image). */
function sourceTraits(source: ResolvedSource, settings: Settings, lookups: AzureLookups): Promise<Lookup<ImageTraits>> | undefined {
  const pinned = source.pinned;
  switch (pinned.type) {
    case "PlatformImage":
      return lookups.marketplaceImage(settings.subscriptionId, settings.location, pinned.publisher, pinned.offer, pinned.sku, pinned.version);
    case "SharedImageVersion": {
      const ref = parseGalleryImageVersionId(pinned.imageVersionId)!;
      return lookups.imageDefinition(ref.subscriptionId, ref.resourceGroup, ref.gallery, ref.image);
    }
    case "ManagedImage": {
      const match = /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/images\/([^/]+)$/i.exec(pinned.imageId)!;
      return lookups.managedImage(match[1]!, match[2]!, match[3]!);
    }
  }
}

/** `[id, subscription, resource group, name]` of a user-assigned identity resource ID, or undefined. */
function identityParts(id: string): RegExpExecArray | undefined {
  return /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i.exec(id) ?? undefined;
}

function firstSentence(message: string): string {
  return message.split(/(?<=\.)\s/)[0] ?? message;
}

/** ` (did you mean X?)` for the closest known name within two edits, else ''. */
function suggest(name: string, known: string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best ? ` (did you mean ${best.name}?)` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
