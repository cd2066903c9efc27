/**
 * Retention: which image versions of a gallery image definition to delete, and why each is kept.
 *
 * Pure. Versions are ranked by numeric version order (never text order), newest first. The policy keeps
 * the newest `keepVersions` versions — the version just built counts among them and is never deleted —
 * and deletes the rest. `keepVersions: 0` means never prune.
 */
import { compareVersions, parseVersion } from "./versioning.ts";

/** An existing image version, as retention sees it. */
export interface RetainedVersion {
  /** `X.Y.Z`. */
  name: string;
  /** Resource ID of the image version. */
  id: string;
}

/** The retention policy of one run. */
export interface RetentionPolicy {
  /** Number of newest versions to keep; 0 = never prune. */
  keepVersions: number;
  /** The version this run built (`X.Y.Z`), always kept; undefined when nothing was built. */
  justBuilt?: string;
}

/** The decision for one version. */
export interface RetentionVerdict {
  version: RetainedVersion;
  action: "keep" | "delete";
  /** Why, in words fit for a job summary. */
  reason: string;
}

/**
 * Decides, for every version, keep or delete, newest first.
 * Versions whose names are not `X.Y.Z` are kept (a gallery cannot hold them; never delete what we cannot rank).
 */
export function planRetention(versions: readonly RetainedVersion[], policy: RetentionPolicy): RetentionVerdict[] {
  const ranked = versions
    .map((version) => ({ version, parsed: parseVersion(version.name) }))
    .sort((a, b) => (a.parsed && b.parsed ? compareVersions(b.parsed, a.parsed) : a.parsed ? -1 : b.parsed ? 1 : 0));
  let kept = 0;
  return ranked.map(({ version, parsed }) => {
    if (!parsed) return { version, action: "keep", reason: "not an X.Y.Z version name" };
    if (version.name === policy.justBuilt) {
      kept += 1;
      return { version, action: "keep", reason: "built by this run" };
    }
    if (policy.keepVersions === 0) return { version, action: "keep", reason: "keep-versions is 0 (never prune)" };
    if (kept < policy.keepVersions) {
      kept += 1;
      return { version, action: "keep", reason: `among the newest ${policy.keepVersions}` };
    }
    return { version, action: "delete", reason: `older than the newest ${policy.keepVersions}` };
  });
}
