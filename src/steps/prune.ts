/**
 * The prune step: apply the retention policy to the image definition's versions, deleting with bounded
 * concurrency, each deletion's LRO followed; a failed deletion is reported and the others go on.
 * Compute galleries 2025-12-03 (GalleryImageVersions_ListByGalleryImage/Delete).
 */
import pLimit from "p-limit";
import { type RetentionVerdict, planRetention } from "../retention.ts";
import { type StepContext, galleryOf } from "./context.ts";
import { retentionPolicy } from "./decisions.ts";

/**
 * Image version deletions in flight at once. A gallery deletion takes seconds to minutes; 20 at a time
 * prunes a thousand versions at a second each in under a minute (bench/prune.ts), and Resource Manager
 * throttling beyond that is absorbed by the SDK's Retry-After handling.
 */
export const PRUNE_CONCURRENCY = 20;

/** What pruning decided and did. */
export interface PruneResult {
  retention: RetentionVerdict[];
  prunedVersions: string[];
  /** Deletions that failed, with Azure's message. */
  pruneFailures: { version: string; message: string }[];
}

/** Lists the versions, decides, and deletes what the policy allows (`justBuilt` always kept). */
export async function pruneVersions({ host, settings, azure }: StepContext, justBuilt: string): Promise<PruneResult> {
  const versions = await azure.listImageVersions(settings.subscriptionId, ...galleryOf(settings));
  const retention = planRetention(versions, retentionPolicy(settings, justBuilt));
  const doomed = retention.filter((v) => v.action === "delete").map((v) => v.version.name);
  const limit = pLimit(PRUNE_CONCURRENCY);
  const results = await Promise.allSettled(doomed.map((name) => limit(() => azure.deleteImageVersion(...galleryOf(settings), name))));
  const prunedVersions: string[] = [];
  const pruneFailures: { version: string; message: string }[] = [];
  results.forEach((result, index) => {
    if (result.status === "fulfilled") prunedVersions.push(doomed[index]!);
    else pruneFailures.push({ version: doomed[index]!, message: (result.reason as Error).message });
  });
  host.info(prunedVersions.length ? `Deleted image versions: ${prunedVersions.join(", ")}` : "No image version to delete.");
  for (const failure of pruneFailures) host.error(`Deleting image version ${failure.version} failed: ${failure.message}`);
  return { retention, prunedVersions, pruneFailures };
}
