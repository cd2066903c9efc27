/**
 * A distribution timeout is not a customization timeout. Image Builder troubleshooting guide, "Error
 * waiting on Azure Compute Gallery": the run fails with "… Error waiting on Azure Compute Gallery future
 * for resource group: …, gallery name: …, gallery image name: ….Error: Future#WaitForCompletion: context has
 * been cancelled: StatusCode=200 -- Original Error: context deadline exceeded}" when "VM Image Builder timed
 * out while waiting for the image to be added and replicated to Azure Compute Gallery"; "Even though the
 * build failed, the replication continues", and the distribution run output names the version.
 * So the run reads the version (with its replication status), tags it when it exists and says how far
 * replication got, and leaves pruning to a later run. Compute galleries 2025-12-03
 * (GalleryImageVersions_Get `$expand=ReplicationStatus`), Image Builder 2025-10-01 (GetRunOutput).
 */

import type { ImageVersionInfo } from "../azure/gateway.ts";
import { BuildFailedError } from "../errors.ts";
import type { TemplatePlan } from "../template/build.ts";
import type { ResolvedSource } from "../template/source.ts";
import type { BuildEnd } from "./build-monitor.ts";
import { type StepContext, galleryOf } from "./context.ts";
import { versionOf } from "./decisions.ts";
import { publishVersion } from "./publish.ts";

/** True when Image Builder's message is the gallery wait timeout of the troubleshooting guide. */
export function isGalleryWaitTimeout(message: string): boolean {
  return /Error waiting on Azure Compute Gallery/i.test(message) && /context deadline exceeded|context has been cancelled/i.test(message);
}

/** "West Europe: Replicating 50%" for each region, or "not reported". */
export function describeReplication(version: ImageVersionInfo): string {
  const regions = version.replication?.regions ?? [];
  if (!regions.length) return "replication status not reported";
  return regions.map((r) => `${r.region}: ${r.state ?? "unknown"}${r.progress !== undefined ? ` ${r.progress}%` : ""}`).join(", ");
}

/** What a run that met the gallery wait timeout did. */
export interface GalleryWaitOutcome {
  imageVersionId: string;
  /** For the summary: what happened, in words. */
  note: string;
}

/**
 * After a gallery wait timeout: when the planned version exists (and has not failed), tags it, warns
 * saying so and how far replication got, and returns the outcome; pruning waits for a later run.
 * @throws BuildFailedError when the version does not exist or failed: nothing was published.
 */
export async function finishAfterGalleryWait(
  ctx: StepContext,
  plan: TemplatePlan,
  source: ResolvedSource,
  end: BuildEnd,
  previousVersion?: string,
): Promise<GalleryWaitOutcome> {
  const { host, settings, azure } = ctx;
  const name = versionOf(plan);
  const lead =
    `Distribution timed out: Image Builder stopped waiting for Azure Compute Gallery to add and replicate image version ${name} ('context deadline exceeded'). ` +
    `The customization had finished: this is not a customization timeout, and raising build-timeout-minutes does not help.`;
  const version = await azure.getImageVersion(...galleryOf(settings), name, { replicationStatus: true });
  if (!version || version.provisioningState === "Failed") {
    throw new BuildFailedError(
      `${lead} Image version ${name} ${version ? "failed in the gallery" : "does not exist in the gallery"}, so nothing was published. Run again; see https://aka.ms/azvmimagebuilderts ("Error waiting on Azure Compute Gallery").`,
      [
        `Run state: ${end.runState}`,
        `Image Builder: ${end.message}`,
        `Image version ${name}: ${version ? `provisioning ${version.provisioningState}` : "not found"}`,
      ],
    );
  }
  const replication = describeReplication(version);
  const imageVersionId = await publishVersion(ctx, plan, source, end, previousVersion);
  const facts =
    `Image version ${name} exists (provisioning ${version.provisioningState ?? "unknown"}; ${replication}) and Azure goes on replicating it; it was tagged. ` +
    `No version was pruned: a later run prunes once ${name} has replicated.`;
  const note = `Image Builder timed out waiting for Azure Compute Gallery (the distribution, not the customization). ${facts}`;
  host.warning(`${lead} ${facts}`);
  return { imageVersionId, note };
}
