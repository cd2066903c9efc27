/**
 * The version step: confirm the run output is the planned image version, and tag it with the user's tags
 * and the provenance tags. Image Builder 2025-10-01 (VirtualMachineImageTemplates_GetRunOutput),
 * Compute galleries 2025-12-03 (GalleryImageVersions_Get/Update).
 */

import { ConflictError } from "../errors.ts";
import type { Provenance } from "../hosts/host.ts";
import { sameResourceId } from "../resource-id.ts";
import { TAGS } from "../tags.ts";
import type { TemplatePlan } from "../template/build.ts";
import type { ResolvedSource } from "../template/source.ts";
import type { BuildEnd } from "./build-monitor.ts";
import { type StepContext, galleryOf } from "./context.ts";
import { versionOf } from "./decisions.ts";

/**
 * Checks the run output and tags the new version (user tags, provenance, and the previous version the
 * changelog compares with).
 * @returns the version's resource ID as the run output reports it.
 * @throws ConflictError when the run output is not the planned version, or the version is missing.
 */
export async function publishVersion(ctx: StepContext, plan: TemplatePlan, source: ResolvedSource, end: BuildEnd, previousVersion?: string): Promise<string> {
  const { host, settings, azure } = ctx;
  const output = await azure.getRunOutput(settings.resourceGroup, plan.name, plan.runOutputName);
  if (!output?.artifactId || !sameResourceId(output.artifactId, plan.imageVersionId)) {
    throw new ConflictError(
      `Run output '${plan.runOutputName}' of ${plan.name} reports '${output?.artifactId ?? "nothing"}', not the planned image version ${plan.imageVersionId}.`,
    );
  }
  const version = await azure.getImageVersion(...galleryOf(settings), versionOf(plan));
  if (!version) throw new ConflictError(`Image version ${plan.imageVersionId} is not in the gallery after a successful build.`);
  const tags = { ...version.tags, ...settings.tags, ...provenanceTags(await host.provenance(), plan, source, end, previousVersion) };
  const endOfLifeDate = settings.endOfLifeDays > 0 ? new Date(Date.now() + settings.endOfLifeDays * 86_400_000) : undefined;
  await azure.updateImageVersion(...galleryOf(settings), versionOf(plan), { tags, endOfLifeDate });
  host.info(
    `Tagged ${versionOf(plan)} with ${Object.keys(tags).length} tags${endOfLifeDate ? `; end-of-life date ${endOfLifeDate.toISOString().slice(0, 10)}` : ""}.`,
  );
  return output.artifactId;
}

/** The provenance tags of a version: where it came from and how it was built. Absent facts are left out. */
export function provenanceTags(
  origin: Provenance,
  plan: TemplatePlan,
  source: ResolvedSource,
  end: Pick<BuildEnd, "startTime" | "endTime">,
  previousVersion?: string,
): Record<string, string> {
  const tags: Record<string, string | undefined> = {
    [TAGS.managed]: "true",
    [TAGS.template]: plan.name,
    [TAGS.templateHash]: plan.hash,
    [TAGS.source]: truncate(source.display),
    [TAGS.sourceVersion]: truncate(source.exactVersion),
    [TAGS.repository]: origin.repository,
    [TAGS.commit]: origin.commit,
    [TAGS.runUrl]: origin.runUrl && truncate(origin.runUrl),
    [TAGS.buildStart]: end.startTime?.toISOString(),
    [TAGS.buildEnd]: end.endTime?.toISOString(),
    [TAGS.previousVersion]: previousVersion,
  };
  return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Azure tag values hold at most 256 characters. */
function truncate(value: string): string {
  return value.length <= 256 ? value : `${value.slice(0, 253)}...`;
}
