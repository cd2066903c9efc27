/**
 * What every step of a build shares (`StepContext`): the host, the validated settings, the Azure gateway,
 * and the job's cancellation signal (aborted on SIGINT/SIGTERM or a host cancel).
 */

import type { AzureGateway } from "../azure/gateway.ts";
import type { BuildLogOpener } from "../azure/log-blob.ts";
import type { AzureLookups } from "../azure/lookups.ts";
import type { EarlierLogReader } from "../azure/previous-log.ts";
import type { ScriptContentReader } from "../azure/script-content.ts";
import type { ScriptStore } from "../azure/scripts-upload.ts";
import type { ReleaseStore } from "../github/releases.ts";
import type { Host } from "../hosts/host.ts";
import type { Settings } from "../settings/types.ts";

/** The host, settings, Azure side and cancellation signal every step takes. */
export interface StepContext {
  host: Host;
  settings: Settings;
  azure: AzureGateway;
  /** Read-only lookups for the preflight. */
  lookups: AzureLookups;
  signal: AbortSignal;
  /** Templates whose build this job already asked to cancel (a cancel is sent once). */
  cancelRequested: Set<string>;
  /** Opens a build's customization.log for the live build log; without it the log is not followed. */
  buildLog?: BuildLogOpener;
  /** Reads `script-uris` and template file scripts to pin their SHA-256 before the template is built (none: not pinned). */
  scriptContent?: ScriptContentReader;
  /** Where repository scripts (`scripts`) are uploaded before the template is created. */
  scriptStore?: ScriptStore;
  /** GitHub releases of the image repository (`github-release`): the previous version's manifest when its template is gone. */
  releases?: ReleaseStore;
  /** Reads an earlier build's customization.log (the previous version's, for the changelog). */
  earlierLog?: EarlierLogReader;
  /** Takes every line of this build's customization.log as the live log reads it (Windows updates, inventory). */
  logFacts?: { line(line: string): void };
  /**
   * Milliseconds one minute lasts for the build log's clocks (`stall-minutes`, the log's own polls):
   * 60000, except in tests against the emulator, which scales a build minute down (main.ts: MINUTE_MS_VARIABLE).
   */
  minuteMs?: number;
  /**
   * Milliseconds between two build status reads; default `settings.pollIntervalSeconds` × 1000. Only an
   * in-process caller sets it (main.ts `MainOptions`), to poll faster than the input's 1 s minimum.
   */
  pollIntervalMs?: number;
}

/** Milliseconds between two build status reads of a run (see `StepContext.pollIntervalMs`). */
export function pollIntervalMsOf(ctx: Pick<StepContext, "settings" | "pollIntervalMs">): number {
  return ctx.pollIntervalMs ?? ctx.settings.pollIntervalSeconds * 1000;
}

/** The gallery image definition of the settings, as the gateway's version calls take it. */
export function galleryOf(settings: Settings): [resourceGroup: string, gallery: string, image: string] {
  return [settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition];
}
