/**
 * Gallery image version numbers: parse, compare, choose the next one.
 *
 * Pure: no I/O. Azure Compute Gallery image version names are `Major.Minor.Patch`, each part a
 * 32-bit signed integer (0 to 2,147,483,647) — see the `galleryImageVersionName` path parameter in
 * GalleryRP.json (Microsoft.Compute, api-version 2025-12-03). Versions are always compared
 * numerically, part by part: `1.10.0` is newer than `1.9.0` (peers that sort as text get this wrong).
 */
import { ActionError } from "./errors.ts";

/** A parsed gallery image version, e.g. `{ major: 1, minor: 10, patch: 0 }` for `1.10.0`. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/**
 * How the next version is derived: `patch`/`minor`/`major` bump the highest existing one;
 * `date` is `YYYY.MM.N` (UTC), N counting this month's builds from 0.
 */
export type VersionStrategy = "patch" | "minor" | "major" | "date";

/** The version strategies an input may name, in documentation order. */
export const VERSION_STRATEGIES: readonly VersionStrategy[] = ["patch", "minor", "major", "date"];

/** Largest value of one version part: Azure stores each part as a 32-bit signed integer. */
export const MAX_VERSION_PART = 2_147_483_647;

const VERSION_PATTERN = /^(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})$/;

/**
 * Parses `Major.Minor.Patch` (decimal, no leading zeros, each part 0 to 2,147,483,647).
 * @returns the version, or `undefined` when the text is not a valid gallery image version name.
 */
export function parseVersion(text: string): Version | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const parts = match.slice(1, 4).map(Number);
  if (parts.some((part) => part > MAX_VERSION_PART)) return undefined;
  const [major, minor, patch] = parts as [number, number, number];
  return { major, minor, patch };
}

/** Formats a version as Azure names it: `1.10.0`. */
export function formatVersion(version: Version): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

/** Numeric comparison: negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Sorts version names numerically, newest first. Names that are not `X.Y.Z` are dropped (a gallery
 * only holds valid names, so this only guards against foreign input).
 */
export function sortNewestFirst(names: Iterable<string>): string[] {
  return [...names]
    .map((name) => ({ name, version: parseVersion(name) }))
    .filter((entry): entry is { name: string; version: Version } => entry.version !== undefined)
    .sort((a, b) => compareVersions(b.version, a.version))
    .map((entry) => entry.name);
}

/** The highest of the given version names by numeric order, or `undefined` when there is none. */
export function highestVersion(names: Iterable<string>): Version | undefined {
  const newest = sortNewestFirst(names)[0];
  return newest === undefined ? undefined : parseVersion(newest);
}

/** Why a version could not be chosen; the message names the input to change. */
export class VersionChoiceError extends ActionError {
  override name = "VersionChoiceError";
}

/**
 * Chooses the version the next build publishes, before the build starts.
 *
 * - With an explicit `version`, that version — refused when it already exists in the gallery.
 * - `date`: `YYYY.MM.N` for the UTC month of `now`, N one more than this month's highest (0 for the
 *   month's first build) — refused when it would not be above the highest existing version.
 * - Otherwise the highest existing version (numeric order) bumped by `strategy`
 *   (`patch`: 1.10.0 → 1.10.1, `minor`: → 1.11.0, `major`: → 2.0.0); `1.0.0` when there is none.
 *
 * @param existing names of the image versions already in the gallery image definition.
 * @param now the time of the run (only `date` uses it).
 * @throws VersionChoiceError when the explicit version exists, a bump would pass 2,147,483,647, or a
 *   date version would sort below an existing version.
 */
export function chooseNextVersion(existing: readonly string[], strategy: VersionStrategy, explicit?: Version, now: Date = new Date()): Version {
  if (explicit) {
    const wanted = formatVersion(explicit);
    if (existing.some((name) => sameVersion(name, explicit))) {
      throw new VersionChoiceError(
        `Input 'version': image version ${wanted} already exists in the gallery image definition. ` +
          `Choose a version that does not exist yet, or leave 'version' empty to let 'version-strategy' pick the next one.`,
      );
    }
    return explicit;
  }
  const highest = highestVersion(existing);
  if (strategy === "date") return dateVersion(existing, highest, now);
  if (!highest) return { major: 1, minor: 0, patch: 0 };
  const next = bump(highest, strategy);
  if (next.major > MAX_VERSION_PART || next.minor > MAX_VERSION_PART || next.patch > MAX_VERSION_PART) {
    throw new VersionChoiceError(
      `Input 'version-strategy': bumping ${formatVersion(highest)} by '${strategy}' passes the largest version part ` +
        `Azure allows (${MAX_VERSION_PART}). Use a higher 'version-strategy' or set 'version' explicitly.`,
    );
  }
  return next;
}

function dateVersion(existing: readonly string[], highest: Version | undefined, now: Date): Version {
  const major = now.getUTCFullYear();
  const minor = now.getUTCMonth() + 1;
  const thisMonth = existing
    .map(parseVersion)
    .filter((v): v is Version => v !== undefined && v.major === major && v.minor === minor)
    .map((v) => v.patch);
  const next: Version = { major, minor, patch: thisMonth.length ? Math.max(...thisMonth) + 1 : 0 };
  if (highest && compareVersions(next, highest) <= 0) {
    throw new VersionChoiceError(
      `Input 'version-strategy': the date version ${formatVersion(next)} would not be above the existing ${formatVersion(highest)}, ` +
        `so "latest" would not pick it. Keep the strategy the definition already uses, or set 'version' explicitly.`,
    );
  }
  return next;
}

function bump(version: Version, strategy: Exclude<VersionStrategy, "date">): Version {
  switch (strategy) {
    case "major":
      return { major: version.major + 1, minor: 0, patch: 0 };
    case "minor":
      return { major: version.major, minor: version.minor + 1, patch: 0 };
    case "patch":
      return { major: version.major, minor: version.minor, patch: version.patch + 1 };
  }
}

function sameVersion(name: string, version: Version): boolean {
  const parsed = parseVersion(name);
  return parsed !== undefined && compareVersions(parsed, version) === 0;
}

/**
 * Compares dotted numeric versions of any length (marketplace image versions such as
 * `26100.10000.250610`), part by part as numbers; a missing part counts as 0.
 * Azure's own `$orderby=name` sorts these as text, which puts `26100.10000` below `26100.2894`.
 */
export function compareDottedNumbers(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The highest of dotted numeric versions (numeric order), or undefined for none. */
export function highestDotted(names: readonly string[]): string | undefined {
  return [...names]
    .filter((name) => /^\d+(\.\d+)*$/.test(name))
    .sort(compareDottedNumbers)
    .pop();
}
