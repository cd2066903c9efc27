/**
 * `github-release: true`: the published image version becomes a GitHub release of the repository the
 * workflow runs in — tag `image/<definition>/<version>`, the changelog as its body, the manifest attached
 * (src/github/releases.ts). Runs after the version is published and its manifest written.
 */
import type { Manifest } from "../changelog/manifest.ts";
import type { ReleaseStore } from "../github/releases.ts";
import { releaseTag } from "../github/releases.ts";
import type { Host } from "../hosts/host.ts";
import { type BuildReport, releaseNotesOf } from "../report.ts";
import type { Settings } from "../settings/types.ts";

/**
 * Creates (or on a re-run updates) the version's release.
 * @returns undefined when done, else what failed, for the run's failure message (the version stays published).
 */
export async function publishRelease(
  host: Pick<Host, "info" | "warning">,
  settings: Settings,
  releases: ReleaseStore,
  report: BuildReport,
  manifest: Manifest,
): Promise<string | undefined> {
  if (!report.manifestPath) return `Image version ${report.imageVersion} was published, but no GitHub release was made: its manifest could not be written.`;
  const tag = releaseTag(settings.imageDefinition, report.imageVersion);
  try {
    const release = await releases.publish({
      tag,
      name: `${settings.imageDefinition} ${report.imageVersion}`,
      body: releaseNotesOf(report, manifest),
      ...(manifest.provenance.commit ? { commit: manifest.provenance.commit } : {}),
      manifestPath: report.manifestPath,
    });
    host.info(`GitHub release ${tag} ${release.updated ? "updated" : "created"}: ${release.url}`);
    return undefined;
  } catch (error) {
    const status = (error as { status?: number }).status;
    const hint = status === 403 || status === 401 ? " Give the job 'permissions: contents: write' (or a 'github-token' that may write releases)." : "";
    return `Image version ${report.imageVersion} was published, but the GitHub release ${tag} could not be made: ${(error as Error).message}.${hint}`;
  }
}
