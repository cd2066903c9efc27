/**
 * Preflight: before anything is written, check in seconds what Image Builder would otherwise only
 * report at distribution, after an hour of paid build VM — and report every problem at once, each
 * naming the input and the fix. What the caller may not read (403) is a warning, not a failure.
 *
 * Checks: resource groups exist; the gallery image definition exists and fits the source (Windows,
 * Generalized, same Hyper-V generation, the security-type pairing Image Builder supports); the identity
 * and the build VM's identities exist; the target regions and location are regions of the subscription, a
 * region whose replicas are Standard_ZRS has availability zones, and the target regions hold the
 * definition's region (empty: that region alone); the marketplace image version exists (and its
 * purchase plan is reported). The pure source ↔ definition pairing is in `image-compatibility.ts`.
 */
import type { AzureLookups, ImageTraits, Lookup } from "../azure/lookups.ts";
import { ActionError } from "../errors.ts";
import type { PreflightCheck } from "../report.ts";
import { parseGalleryImageVersionId, parseManagedImageId, parseUserAssignedIdentityId } from "../resource-id.ts";
import type { InputName } from "../settings/inputs.ts";
import type { Settings, TargetRegion } from "../settings/types.ts";
import type { ResolvedSource } from "../template/source.ts";
import { compatibilityProblems } from "./image-compatibility.ts";

/** Raised with every failed check; the message lists them, each naming its input. */
export class PreflightError extends ActionError {
  override name = "PreflightError";
  readonly checks: PreflightCheck[];
  /** `details` (for the job summary): every check, failed or not, as `✔`/`⚠`/`✖ <check>: <detail>`. */
  constructor(checks: PreflightCheck[], label: (input: InputName) => string) {
    const failed = checks.filter((c) => c.status === "failed");
    super(
      `Preflight found ${failed.length} problem${failed.length === 1 ? "" : "s"}; nothing was created or deleted:\n` +
        failed.map((c) => `- ${c.input ? `Input '${label(c.input)}': ` : ""}${c.detail}`).join("\n"),
      { details: checks.map((c) => `${{ ok: "✔", warning: "⚠", failed: "✖" }[c.status]} ${c.check}: ${c.detail}`) },
    );
    this.checks = checks;
  }
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
): Promise<{ checks: PreflightCheck[]; sourceTraits?: ImageTraits; targetRegions: TargetRegion[] }> {
  const sub = settings.subscriptionId;
  const identity = parseUserAssignedIdentityId(settings.identityId)!;
  // Replicas on zone-redundant storage need a region with availability zones (read only when asked for).
  const isZrs = (r: TargetRegion) => (r.storageAccountType ?? settings.storageAccountType) === "Standard_ZRS";
  const mayUseZrs = settings.storageAccountType === "Standard_ZRS" || settings.targetRegions.some(isZrs);
  const vmIdentities = (settings.vmUserAssignedIdentities ?? []).map((id) => ({ id, parts: parseUserAssignedIdentityId(id) }));
  const [group, galleryGroup, definition, identityLookup, regions, sourceLookup, zoned, vmIdentityLookups] = await Promise.all([
    lookups.resourceGroup(sub, settings.resourceGroup),
    settings.galleryResourceGroup.toLowerCase() === settings.resourceGroup.toLowerCase()
      ? undefined
      : lookups.resourceGroup(sub, settings.galleryResourceGroup),
    lookups.imageDefinition(sub, settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition),
    lookups.userAssignedIdentity(identity.subscriptionId, identity.resourceGroup, identity.name),
    lookups.regions(sub),
    sourceTraits(source, settings, lookups),
    mayUseZrs ? lookups.zonedRegions(sub) : undefined,
    Promise.all(vmIdentities.map(({ parts }) => (parts ? lookups.userAssignedIdentity(parts.subscriptionId, parts.resourceGroup, parts.name) : undefined))),
  ]);
  const checks: PreflightCheck[] = [];
  let targetRegions = settings.targetRegions;
  const push = (check: string, result: Lookup<unknown>, input: InputName, missing: string, ok: string): boolean => {
    if (result.status === "found") checks.push({ check, status: "ok", detail: ok });
    else if (result.status === "forbidden") checks.push({ check, status: "warning", detail: `could not check (${firstSentence(result.message)}): going on.` });
    else checks.push({ check, status: "failed", input, detail: missing });
    return result.status === "found";
  };

  push(
    "Resource group",
    group,
    "resource-group",
    `resource group '${settings.resourceGroup}' does not exist in subscription ${sub}, or the signed-in identity cannot see it. Create it or fix the name.`,
    settings.resourceGroup,
  );
  const galleryGroupFound = galleryGroup
    ? push(
        "Gallery resource group",
        galleryGroup,
        "gallery-resource-group",
        `resource group '${settings.galleryResourceGroup}' does not exist in subscription ${sub}. Create it or fix the name.`,
        settings.galleryResourceGroup,
      )
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
        checks.push({
          check: "Definition OS",
          status: "failed",
          input: "image-definition",
          detail: `image definition ${definitionName} is osType ${traits.osType}; an AVD image needs a Windows definition.`,
        });
      }
      if (traits.osState && traits.osState !== "Generalized") {
        checks.push({
          check: "Definition OS state",
          status: "failed",
          input: "image-definition",
          detail: `image definition ${definitionName} is osState ${traits.osState}; Image Builder publishes generalized (sysprepped) images: use a Generalized definition.`,
        });
      }
      if (traits.location) {
        const resolved = definitionRegions(settings.targetRegions, traits.location, definitionName, label);
        targetRegions = resolved.targetRegions;
        checks.push(resolved.check);
      }
      if (sourceLookup?.status === "found") {
        const problems = compatibilityProblems(traits, sourceLookup.value, { definition: definitionName, source: source.display }, label);
        checks.push(...problems);
        if (problems.length === 0) {
          checks.push({
            check: "Source fits definition",
            status: "ok",
            detail: `${sourceLookup.value.hyperVGeneration ?? "V1"}, SecurityType ${sourceLookup.value.securityType ?? "Standard"} → ${traits.hyperVGeneration ?? "V1"}, ${traits.securityType ?? "Standard"}`,
          });
        }
      }
    }
  }
  if (sourceLookup) {
    push(
      "Source image",
      sourceLookup,
      "source",
      `source ${source.display} (${source.exactVersion}) does not exist${settings.source.kind === "marketplace" ? ` in ${settings.location}` : ""}: ${firstSentence(sourceLookup.status === "found" ? "" : sourceLookup.message)}`,
      source.exactVersion,
    );
    if (sourceLookup.status === "found" && sourceLookup.value.plan) {
      const plan = sourceLookup.value.plan;
      checks.push({
        check: "Purchase plan",
        status: "warning",
        detail: `${source.display} has purchase plan ${plan.publisher}/${plan.product}/${plan.name}: the template carries planInfo; accept its terms once with 'az vm image terms accept --publisher ${plan.publisher} --offer ${plan.product} --plan ${plan.name}'.`,
      });
    }
  }
  push(
    "Identity",
    identityLookup,
    "identity-id",
    `user-assigned managed identity '${identity.name}' does not exist in resource group '${identity.resourceGroup}'. Create it (setup/ does) or fix the resource ID.`,
    identity.name,
  );
  vmIdentities.forEach(({ id, parts }, index) => {
    const result = vmIdentityLookups[index];
    if (!parts || !result) return;
    const input = settings.vmUserAssignedIdentitiesInput ?? "build-vm-identities";
    push(
      "Build VM identity",
      result,
      input,
      `user-assigned managed identity '${parts.name}' (${id}) given to the build VM does not exist in resource group '${parts.resourceGroup}'${parts.subscriptionId.toLowerCase() === sub.toLowerCase() ? "" : ` of subscription ${parts.subscriptionId}`}. Create it or fix the resource ID in '${label(input)}'.`,
      parts.name,
    );
  });

  // A region without availability zones has no zone-redundant storage (Azure Compute Gallery docs: ZRS
  // "in regions that support Availability Zones"); Image Builder would only fail at distribution. Checked
  // on the regions the version goes to: an empty 'target-regions' means the definition's region.
  const zrsRegions = (targetRegions.length ? targetRegions : [{ name: settings.location, replicaCount: 1 }]).filter(isZrs);
  if (zoned?.status === "found" && zrsRegions.length) {
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
          `Give it Standard_LRS ('${region.name}=${region.replicaCount}:Standard_LRS' in '${label("target-regions")}'), or replicate to a region with zones.`,
      });
    }
    if (!checks.some((c) => c.check === "Zone-redundant storage"))
      checks.push({ check: "Zone-redundant storage", status: "ok", detail: zrsRegions.map((r) => r.name).join(", ") });
  } else if (zoned?.status === "forbidden" && zrsRegions.length) {
    checks.push({
      check: "Zone-redundant storage",
      status: "warning",
      detail: `could not list the subscription's availability zones (${firstSentence(zoned.message)}): going on.`,
    });
  }

  if (regions.status === "found") {
    const known = new Set(regions.value);
    const unknown = (input: InputName, names: string[]) => {
      for (const name of names.filter((n) => !known.has(n))) {
        checks.push({
          check: "Region",
          status: "failed",
          input,
          detail: `'${name}' is not an Azure region of subscription ${sub}${suggest(name, regions.value)}.`,
        });
      }
    };
    unknown("location", [settings.location]);
    unknown(
      "target-regions",
      settings.targetRegions.map((r) => r.name).filter((n) => n !== settings.location),
    );
    if (!checks.some((c) => c.check === "Region"))
      checks.push({ check: "Regions", status: "ok", detail: [...new Set([settings.location, ...targetRegions.map((r) => r.name)])].join(", ") });
  } else if (regions.status === "forbidden") {
    checks.push({ check: "Regions", status: "warning", detail: `could not list the subscription's regions (${firstSentence(regions.message)}): going on.` });
  }

  if (checks.some((c) => c.status === "failed")) throw new PreflightError(checks, label);
  if (targetRegions.length === 0) targetRegions = [{ name: settings.location, replicaCount: 1 }];
  return { checks, sourceTraits: sourceLookup?.status === "found" ? sourceLookup.value : undefined, targetRegions };
}

/**
 * The target regions and the image definition's region. An image version is created in its parent
 * definition's region (Image Builder template reference, Distribute: sharedImage), and Compute refuses a
 * publishing profile without it: "Gallery image version publishing profile regions '…' must contain the
 * location of image version '…'" (hashicorp/packer#8895) — after the whole build. So no `target-regions`
 * means the definition's region with 1 replica, and a list without it is refused (not completed: the
 * replicas and their cost stay what the list says).
 */
export function definitionRegions(
  given: TargetRegion[],
  definitionRegion: string,
  definitionName: string,
  label: (input: InputName) => string = (input) => input,
): { targetRegions: TargetRegion[]; check: PreflightCheck } {
  if (given.length === 0) {
    return {
      targetRegions: [{ name: definitionRegion, replicaCount: 1 }],
      check: {
        check: "Target regions",
        status: "ok",
        detail: `${definitionRegion} × 1, the region of image definition ${definitionName} ('${label("target-regions")}' is empty)`,
      },
    };
  }
  if (given.some((r) => r.name === definitionRegion)) {
    return {
      targetRegions: given,
      check: {
        check: "Target regions",
        status: "ok",
        detail: `${given.map((r) => `${r.name} × ${r.replicaCount}`).join(", ")} (holds ${definitionRegion}, the image definition's region)`,
      },
    };
  }
  return {
    targetRegions: given,
    check: {
      check: "Target regions",
      status: "failed",
      input: "target-regions",
      detail:
        `lists ${given.map((r) => r.name).join(", ")} but not ${definitionRegion}, the region of image definition ${definitionName}: the image version is created in its definition's region, ` +
        `and Azure refuses a version whose target regions miss it ("Gallery image version publishing profile regions … must contain the location of image version …"), after the whole build. ` +
        `Add a line '${definitionRegion}' (or '${definitionRegion}=<replicas>') to '${label("target-regions")}', or leave it empty to publish to ${definitionRegion} alone.`,
    },
  };
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
      const image = parseManagedImageId(pinned.imageId)!;
      return lookups.managedImage(image.subscriptionId, image.resourceGroup, image.name);
    }
  }
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
