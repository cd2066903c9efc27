/**
 * The manifest of an image version: one JSON document of what it is made of, validated by the committed
 * JSON Schema `schemas/manifest.schema.json` (draft-07). Pure: built from plain data; written to a file
 * by src/steps/manifest.ts. A previous version's manifest (its GitHub release asset) gives back the state
 * the changelog compares with ({@link stateOfManifest}).
 */
import { minutesOf } from "./diff.ts";
import type { Inventory, WindowsUpdateInstalled } from "./log-facts.ts";
import type { CustomizerDigest, ImageState } from "./state.ts";

/** Where a run came from, for the image version's provenance tags. Absent parts are left out. */
export interface Provenance {
  /** `owner/repo` (GitHub) or `project/repo` (Azure DevOps). */
  repository?: string;
  /** Commit SHA. */
  commit?: string;
  /** URL of the workflow run / pipeline run. */
  runUrl?: string;
  /** Who started the run (GitHub actor, Azure DevOps Build.RequestedFor). */
  actor?: string;
  /** What started it (GitHub event name, Azure DevOps Build.Reason). */
  event?: string;
}

/** The manifest document (schemas/manifest.schema.json). */
export interface Manifest {
  manifestVersion: 1;
  imageVersion: string;
  imageVersionId: string;
  previousVersion?: string;
  gallery: { subscriptionId: string; resourceGroup: string; name: string; imageDefinition: string };
  source: { given: string; exactVersion: string };
  template: { name: string; hash: string };
  customizers: CustomizerDigest[];
  /** AVD built-in steps (`avdBuiltInScript_…`) in template order, with the parameters passed ('' for none). */
  avdSteps: { name: string; parameters: string }[];
  settings: Record<string, string>;
  updates?: WindowsUpdateInstalled[];
  inventory?: Inventory;
  build: { start?: string; end?: string; durationMinutes?: number };
  provenance: Provenance & { host?: "github" | "azure-pipelines" };
}

/** What a manifest is made from. */
export interface ManifestInput {
  state: ImageState;
  imageVersionId: string;
  previousVersion?: string;
  gallery: Manifest["gallery"];
  provenance: Manifest["provenance"];
}

/** The AVD built-in steps of a template's customizers: `avdBuiltInScript_<step>` with its `-parameter` step's parameters. */
export function avdStepsOf(customizers: readonly CustomizerDigest[]): Manifest["avdSteps"] {
  const steps: Manifest["avdSteps"] = [];
  for (const c of customizers) {
    if (!/^avdBuiltInScript_[A-Za-z0-9]+$/.test(c.name) || steps.some((s) => s.name === c.name)) continue;
    steps.push({ name: c.name, parameters: customizers.find((p) => p.name === `${c.name}-parameter`)?.avdParameters ?? "" });
  }
  return steps;
}

/** Builds the manifest of a published version. */
export function buildManifest(input: ManifestInput): Manifest {
  const { state } = input;
  const customizers = state.customizers ?? [];
  const duration = minutesOf(state.buildStart, state.buildEnd);
  const provenance = Object.fromEntries(Object.entries(input.provenance).filter(([, v]) => v !== undefined && v !== "")) as Manifest["provenance"];
  return {
    manifestVersion: 1,
    imageVersion: state.version,
    imageVersionId: input.imageVersionId,
    ...(input.previousVersion ? { previousVersion: input.previousVersion } : {}),
    gallery: input.gallery,
    source: { given: state.source ?? "", exactVersion: state.sourceVersion ?? "" },
    template: { name: state.templateName ?? "", hash: state.templateHash ?? "" },
    customizers,
    avdSteps: avdStepsOf(customizers),
    settings: state.settings ?? {},
    ...(state.updates ? { updates: state.updates } : {}),
    ...(state.inventory ? { inventory: state.inventory } : {}),
    build: {
      ...(state.buildStart ? { start: state.buildStart } : {}),
      ...(state.buildEnd ? { end: state.buildEnd } : {}),
      ...(duration !== undefined ? { durationMinutes: Math.round(duration * 100) / 100 } : {}),
    },
    provenance,
  };
}

/** The state a manifest records (what the changelog compares with). */
export function stateOfManifest(manifest: Manifest): ImageState {
  return {
    version: manifest.imageVersion,
    source: manifest.source.given,
    sourceVersion: manifest.source.exactVersion,
    templateName: manifest.template.name,
    templateHash: manifest.template.hash,
    customizers: manifest.customizers,
    settings: manifest.settings,
    ...(manifest.updates ? { updates: manifest.updates } : {}),
    ...(manifest.inventory ? { inventory: manifest.inventory } : {}),
    ...(manifest.build.start ? { buildStart: manifest.build.start } : {}),
    ...(manifest.build.end ? { buildEnd: manifest.build.end } : {}),
  };
}

/** The manifest's file name: `avd-image-manifest-<definition>-<version>.json`. */
export function manifestFileName(imageDefinition: string, version: string): string {
  return `avd-image-manifest-${imageDefinition}-${version}.json`;
}
