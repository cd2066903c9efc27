/**
 * The previous version's state, for the changelog: the newest image version of the same definition
 * before the new one (numeric order), read from its provenance tags, its image template (still there:
 * this run's garbage collection runs last) and that template's build log while it exists — or, once the
 * template is gone, from the manifest on its GitHub release (`github-release`). Read while
 * planning, before anything is written. Never throws: what cannot be read is said in `unavailable`.
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { ImageVersionInfo } from "../azure/gateway.ts";
import type { EarlierLogReader } from "../azure/previous-log.ts";
import { factsOfLog } from "../changelog/log-facts.ts";
import { manifestFileName, stateOfManifest } from "../changelog/manifest.ts";
import { type ImageState, stateOfTags, stateOfTemplate } from "../changelog/state.ts";
import { releaseTag } from "../github/releases.ts";
import type { TemplatePlan } from "../template/build.ts";
import type { ResolvedSource } from "../template/source.ts";
import { compareVersions, parseVersion, sortNewestFirst } from "../versioning.ts";
import type { StepContext } from "./context.ts";

/** The previous version and what could be read of it. */
export interface PreviousBuild {
  state: ImageState;
  /** Why a part of its state is missing, in words (`template`: customizers and settings; `log`: updates, inventory). */
  unavailable: Partial<Record<"template" | "log" | "tags", string>>;
}

/** The newest of `existing` below `version` (numeric order), or undefined. */
export function previousVersionOf(existing: readonly Pick<ImageVersionInfo, "name">[], version: string): string | undefined {
  const planned = parseVersion(version);
  if (!planned) return undefined;
  return sortNewestFirst(existing.map((v) => v.name)).find((name) => compareVersions(parseVersion(name)!, planned) < 0);
}

/** Reads the previous version's state. */
export async function readPreviousBuild(
  ctx: Pick<StepContext, "settings" | "azure" | "releases"> & { earlierLog?: EarlierLogReader },
  existing: readonly ImageVersionInfo[],
  version: string,
): Promise<PreviousBuild | undefined> {
  const name = previousVersionOf(existing, version);
  if (!name) return undefined;
  const info = existing.find((v) => v.name === name)!;
  const state = stateOfTags(name, info.tags);
  const unavailable: PreviousBuild["unavailable"] = {};
  if (!state.templateName) {
    unavailable.tags = `${name} carries no provenance tags of this action`;
    unavailable.template = `${name} names no image template (not built by this action)`;
    unavailable.log = unavailable.template;
    return { state, unavailable };
  }
  let template: ImageTemplate | undefined;
  try {
    template = await ctx.azure.getTemplate(ctx.settings.resourceGroup, state.templateName);
  } catch (error) {
    unavailable.template = `the image template ${state.templateName} of ${name} could not be read (${(error as Error).message.split("\n")[0]})`;
  }
  if (!template) {
    unavailable.template ??= `the image template ${state.templateName} of ${name} no longer exists`;
    unavailable.log = unavailable.template;
    if (ctx.releases) {
      // Its GitHub release keeps the manifest after garbage collection deleted the template.
      const manifest = await ctx.releases.readManifest(releaseTag(ctx.settings.imageDefinition, name), manifestFileName(ctx.settings.imageDefinition, name));
      if ("missing" in manifest) {
        unavailable.template = `${unavailable.template}, and ${manifest.missing}`;
        unavailable.log = unavailable.template;
      } else {
        const recorded = stateOfManifest(manifest);
        Object.assign(state, {
          customizers: recorded.customizers,
          settings: recorded.settings,
          ...(recorded.updates ? { updates: recorded.updates } : {}),
          ...(recorded.inventory ? { inventory: recorded.inventory } : {}),
        });
        delete unavailable.template;
        if (recorded.inventory) delete unavailable.log;
        else unavailable.log = `the manifest of ${name} (its GitHub release) holds no inventory`;
      }
    }
    return { state, unavailable };
  }
  Object.assign(state, stateOfTemplate(template));
  if (!ctx.earlierLog) unavailable.log = "the build log is not read";
  else if (!template.exactStagingResourceGroup || !state.buildStart)
    unavailable.log = `the build log of ${name} cannot be located (no staging resource group or build start)`;
  else {
    const text = await ctx.earlierLog({
      stagingResourceGroupId: template.exactStagingResourceGroup,
      start: new Date(state.buildStart),
      ...(state.buildEnd ? { end: new Date(state.buildEnd) } : {}),
    });
    if (typeof text === "string") {
      const facts = factsOfLog(text);
      state.updates = facts.updates;
      if (facts.inventory) state.inventory = facts.inventory;
      else unavailable.log = `the build log of ${name} holds no inventory`;
    } else unavailable.log = `the build log of ${name}: ${text.missing}`;
  }
  return { state, unavailable };
}

/** The new version's state as planned (before the build: no updates, inventory or times yet). */
export function plannedState(plan: TemplatePlan, source: ResolvedSource, version: string): ImageState {
  return {
    version,
    source: source.display,
    sourceVersion: source.exactVersion,
    templateName: plan.name,
    templateHash: plan.hash,
    ...stateOfTemplate(plan.template),
  };
}
