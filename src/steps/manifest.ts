/**
 * Writes the manifest of a published image version (src/changelog/manifest.ts) to the run's temp
 * directory — `RUNNER_TEMP` on GitHub, `Agent.TempDirectory` on Azure DevOps, where it is also attached
 * to the run (`##vso[task.uploadfile]`) — for the `manifest-path` output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Manifest, buildManifest, manifestFileName } from "../changelog/manifest.ts";
import type { Host } from "../hosts/host.ts";
import type { BuildReport } from "../report.ts";
import type { Settings } from "../settings/types.ts";

/**
 * The manifest of a report's version, or undefined when the run published none (dry run, skipped,
 * submitted, attach without a state).
 */
export async function manifestOf(host: Pick<Host, "kind" | "provenance">, settings: Settings, report: BuildReport): Promise<Manifest | undefined> {
  if (report.dryRun || report.runState !== "Succeeded" || !report.state) return undefined;
  return buildManifest({
    state: report.state,
    imageVersionId: report.imageVersionId,
    ...(report.changelog?.previousVersion ? { previousVersion: report.changelog.previousVersion } : {}),
    gallery: {
      subscriptionId: settings.subscriptionId,
      resourceGroup: settings.galleryResourceGroup,
      name: settings.galleryName,
      imageDefinition: settings.imageDefinition,
    },
    provenance: { host: host.kind, ...(await host.provenance()) },
  });
}

/**
 * Writes the manifest file and attaches it to the run.
 * @returns its path: `<temp directory>/avd-image-manifest-<definition>-<version>.json`.
 * @throws the file system's error when the directory cannot be written.
 */
export function writeManifest(host: Pick<Host, "tempDirectory" | "attachFile" | "info">, manifest: Manifest): string {
  const directory = host.tempDirectory();
  mkdirSync(directory, { recursive: true });
  const path = join(directory, manifestFileName(manifest.gallery.imageDefinition, manifest.imageVersion));
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  host.attachFile(path);
  host.info(`Manifest: ${path}`);
  return path;
}
