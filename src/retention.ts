/**
 * Retention: which image versions of a gallery image definition to delete, and why each other one stays.
 *
 * Pure. Versions are ranked by numeric version order (never text order), newest first. A version is
 * deleted only when both limits allow it — it is outside the newest `keepVersions`, and older than
 * `keepDays` — and nothing protects it. Always protected:
 * - the version this run built;
 * - the newest version not excluded from latest (what host pools deploying "latest" get: the rollback
 *   point while a newer version is staged);
 * - versions tagged `keep=true`;
 * - versions whose `safetyProfile.blockDeletionBeforeEndOfLife` is set and whose end-of-life date has not passed;
 * - versions still being created, updated or deleted (`provisioningState` not Succeeded/Failed);
 * - versions this action did not create (no `avd-image-action.managed=true` tag), unless `pruneForeign`.
 * `keepVersions: 0` means never prune.
 */
import type { KnownGalleryProvisioningState } from "@azure/arm-compute";
import { TAGS } from "./tags.ts";
import { compareVersions, parseVersion } from "./versioning.ts";

/** An existing image version, as retention sees it (from GalleryImageVersion, api-version 2025-12-03). */
export interface RetainedVersion {
  /** `X.Y.Z`. */
  name: string;
  /** Resource ID of the image version. */
  id: string;
  tags?: Record<string, string>;
  excludeFromLatest?: boolean;
  /** When the version was published (UTC); unknown counts as new (never old enough to delete by age). */
  publishedDate?: Date;
  endOfLifeDate?: Date;
  /** `safetyProfile.blockDeletionBeforeEndOfLife`. */
  blockDeletionBeforeEndOfLife?: boolean;
  /** `provisioningState`; undefined counts as Succeeded. */
  provisioningState?: string;
}

/** The retention policy of one run. */
export interface RetentionPolicy {
  /** Number of newest versions to keep; 0 = never prune. */
  keepVersions: number;
  /** Minimum age in days before a version may be deleted; 0 = no age limit. */
  keepDays?: number;
  /** Also delete versions this action did not create. */
  pruneForeign?: boolean;
  /** The version this run built (`X.Y.Z`), always kept; undefined when nothing was built. */
  justBuilt?: string;
  /** The time of the decision (ages and end-of-life dates are measured against it). */
  now?: Date;
}

/** The decision for one version: kept by the limits, protected whatever the limits, or deleted. */
export interface RetentionVerdict {
  version: RetainedVersion;
  action: "keep" | "protect" | "delete";
  /** Why, in words fit for a job summary. */
  reason: string;
}

const DAY_MS = 86_400_000;
/** Image version provisioning states after which nothing is under way (the SDK's `KnownGalleryProvisioningState`). */
const SETTLED_STATES: ReadonlySet<string> = new Set(["Succeeded", "Failed"] satisfies `${KnownGalleryProvisioningState}`[]);

/** Decides, for every version, keep, protect or delete; newest first (versions that are not `X.Y.Z` last). */
export function planRetention(versions: readonly RetainedVersion[], policy: RetentionPolicy): RetentionVerdict[] {
  const now = policy.now ?? new Date();
  const ranked = versions
    .map((version) => ({ version, parsed: parseVersion(version.name) }))
    .sort((a, b) => (a.parsed && b.parsed ? compareVersions(b.parsed, a.parsed) : a.parsed ? -1 : b.parsed ? 1 : 0));
  const newestInLatest = ranked.find(
    ({ version, parsed }) =>
      parsed && !version.excludeFromLatest && SETTLED_STATES.has(version.provisioningState ?? "Succeeded") && version.provisioningState !== "Failed",
  )?.version.name;

  return ranked.map(({ version, parsed }, rank): RetentionVerdict => {
    const protection = protectedBecause(version, policy, newestInLatest, now);
    if (!parsed) return { version, action: "protect", reason: "not an X.Y.Z version name" };
    if (protection) return { version, action: "protect", reason: protection };
    if (policy.keepVersions === 0) return { version, action: "keep", reason: "keep-versions is 0 (never prune)" };
    if (rank < policy.keepVersions) return { version, action: "keep", reason: `among the newest ${policy.keepVersions}` };
    const keepDays = policy.keepDays ?? 0;
    if (keepDays > 0) {
      if (!version.publishedDate) return { version, action: "keep", reason: "publish date unknown (keep-days cannot allow it)" };
      const ageDays = (now.getTime() - version.publishedDate.getTime()) / DAY_MS;
      if (ageDays < keepDays) return { version, action: "keep", reason: `younger than ${keepDays} days (${Math.floor(ageDays)} days old)` };
    }
    return {
      version,
      action: "delete",
      reason: `older than the newest ${policy.keepVersions}${keepDays > 0 ? ` and older than ${keepDays} days` : ""}`,
    };
  });
}

function protectedBecause(version: RetainedVersion, policy: RetentionPolicy, newestInLatest: string | undefined, now: Date): string | undefined {
  if (version.name === policy.justBuilt) return "built by this run";
  if (version.name === newestInLatest) return "newest version not excluded from latest (what 'latest' deploys)";
  if (version.tags?.keep?.toLowerCase() === "true") return "tagged keep=true";
  if (version.blockDeletionBeforeEndOfLife && (!version.endOfLifeDate || version.endOfLifeDate.getTime() > now.getTime())) {
    return "deletion blocked before its end-of-life date";
  }
  const state = version.provisioningState ?? "Succeeded";
  if (!SETTLED_STATES.has(state)) return `provisioning state ${state}`;
  if (!policy.pruneForeign && version.tags?.[TAGS.managed] !== "true") return "not created by this action (set prune-foreign to include it)";
  return undefined;
}
