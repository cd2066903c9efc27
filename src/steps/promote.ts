/**
 * `mode: promote` — the second half of a staged rollout. A version built with `exclude-from-latest: true`
 * is tested on a validation host pool; a later run promotes it: `excludeFromLatest` goes false, so
 * VMs deployed from "latest" get it, and two tags say when and by which run. Nothing else is written:
 * no template, no build, no pruning (and with `dry-run`, nothing at all: it says what it would promote). Compute galleries api-version 2025-12-03
 * (GalleryImageVersions_ListByGalleryImage, GalleryImageVersions_Update).
 */
import type { ImageVersionInfo } from "../azure/gateway.ts";
import { ConflictError } from "../errors.ts";
import { TAG_PREFIX } from "../tags.ts";
import { formatVersion, sortNewestFirst } from "../versioning.ts";
import { type StepContext, galleryOf } from "./context.ts";

/** Tag names a promotion writes. */
export const PROMOTION_TAGS = {
  /** ISO 8601 UTC time of the promotion. */
  promotedAt: `${TAG_PREFIX}.promoted-at`,
  /** URL of the run that promoted it (or the repository when the host gives no run URL). */
  promotedBy: `${TAG_PREFIX}.promoted-by`,
} as const;

/** What a promote run decided and did. */
export interface PromoteReport {
  version: ImageVersionInfo;
  /** `Promoted`, `Skipped` (too young, or already in latest), or `DryRun` (would promote; nothing written). */
  runState: "Promoted" | "Skipped" | "DryRun";
  reason: string;
}

/**
 * Promotes `version` (explicit) or the newest staged version (numeric order).
 * @throws ConflictError when the explicit version does not exist, or no version is staged.
 */
export async function promoteVersion(ctx: StepContext, now: Date = new Date()): Promise<PromoteReport> {
  const { host, settings, azure } = ctx;
  return host.group("Promote", async () => {
    const versions = await azure.listImageVersions(settings.subscriptionId, ...galleryOf(settings));
    const byName = new Map(versions.map((v) => [v.name, v]));
    let version: ImageVersionInfo | undefined;
    if (settings.version) {
      version = byName.get(formatVersion(settings.version));
      if (!version) {
        throw new ConflictError(
          `Input '${host.inputLabel("version")}': image version ${formatVersion(settings.version)} does not exist in ${settings.galleryName}/${settings.imageDefinition}.`,
        );
      }
    } else {
      const staged = sortNewestFirst(versions.filter((v) => v.excludeFromLatest).map((v) => v.name))[0];
      if (!staged) {
        throw new ConflictError(
          `mode promote: ${settings.galleryName}/${settings.imageDefinition} has no staged version (none is excluded from latest). Build one with 'exclude-from-latest: true', or name one in 'version'.`,
        );
      }
      version = byName.get(staged)!;
    }
    if (!version.excludeFromLatest) {
      const reason = `image version ${version.name} is already included in latest; nothing to promote.`;
      host.info(reason);
      return { version, runState: "Skipped", reason };
    }
    const ageDays = version.publishedDate ? (now.getTime() - version.publishedDate.getTime()) / 86_400_000 : 0;
    if (settings.promoteAfterDays > 0 && ageDays < settings.promoteAfterDays) {
      const reason = `image version ${version.name} is ${ageDays.toFixed(1)} days old; promote-after-days is ${settings.promoteAfterDays}. It stays staged.`;
      host.info(reason);
      return { version, runState: "Skipped", reason };
    }
    if (settings.dryRun) {
      const reason = `dry run: would include image version ${version.name} in latest (staged ${ageDays.toFixed(1)} days); nothing was written.`;
      host.info(reason);
      return { version, runState: "DryRun", reason };
    }
    const origin = await host.provenance();
    const tags = {
      ...version.tags,
      [PROMOTION_TAGS.promotedAt]: now.toISOString(),
      [PROMOTION_TAGS.promotedBy]: (origin.runUrl ?? origin.repository ?? host.kind).slice(0, 256),
    };
    await azure.updateImageVersion(...galleryOf(settings), version.name, { excludeFromLatest: false, tags });
    const reason = `image version ${version.name} is now included in latest (was staged ${ageDays.toFixed(1)} days).`;
    host.info(`Promoted: ${reason}`);
    return { version, runState: "Promoted", reason };
  });
}
