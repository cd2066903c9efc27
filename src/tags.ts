/**
 * Tag names this action writes on the image templates and image versions it creates.
 *
 * Pure. Templates are found again (reuse, garbage collection) by these tags, never by guessing from
 * names; image versions carry them as provenance. Azure tag names may hold `.` and `-` (not `<>%&\?/`).
 */

/** Prefix of every tag this action sets. */
export const TAG_PREFIX = "avd-image-action";

/** Tag names on image templates and image versions. */
export const TAGS = {
  /** `true` on everything this action created. */
  managed: `${TAG_PREFIX}.managed`,
  /** Image template: resource ID (lower case) of the gallery image definition it builds. */
  imageDefinition: `${TAG_PREFIX}.image-definition`,
  /** Image template and image version: hash of the template's unpatchable properties (hex). */
  templateHash: `${TAG_PREFIX}.template-hash`,
  /** Image version: name of the image template that built it. */
  template: `${TAG_PREFIX}.template`,
  /** Image version: the source as given (URN or resource ID). */
  source: `${TAG_PREFIX}.source`,
  /** Image version: the exact source version built (marketplace version, or gallery version ID). */
  sourceVersion: `${TAG_PREFIX}.source-version`,
  /** Image version: `owner/repo` (GitHub) or `project/repo` (Azure DevOps) the run came from. */
  repository: `${TAG_PREFIX}.repository`,
  /** Image version: commit SHA the run built from. */
  commit: `${TAG_PREFIX}.commit`,
  /** Image version: URL of the workflow run or pipeline run. */
  runUrl: `${TAG_PREFIX}.run-url`,
  /** Image version: build start and end, ISO 8601 UTC. */
  buildStart: `${TAG_PREFIX}.build-start`,
  buildEnd: `${TAG_PREFIX}.build-end`,
  /** Image version: the version its changelog compares with (the newest before it, numeric order). */
  previousVersion: `${TAG_PREFIX}.previous-version`,
} as const;
