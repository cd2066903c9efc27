/**
 * Adopting a build instead of abandoning it. An image template's name is the hash of its content and its
 * SharedImage distributor names the version, so a build running on this run's template is building exactly
 * this run's image: a lost runner's orphan, an identical run started at the same time, or this run's own
 * `run` request that Azure accepted but answered with an error or a timeout (the SDK's retry then gets 409).
 * The run follows that build to its end and finishes the job (version tags, pruning, outputs, summary).
 * A build that already succeeded but whose version no run tagged (the runner was lost after the build)
 * is finished the same way.
 * A different template building the same version is a real race (race.ts).
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_Get: `lastRunStatus`, `provisioningState`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ImageTemplate, ImageTemplateSharedImageDistributor, ProvisioningState } from "@azure/arm-imagebuilder";
import type { ImageVersionInfo } from "../azure/gateway.ts";
import { isRestError } from "../azure/rest-error.ts";
import { ConflictError } from "../errors.ts";
import { sameResourceId, splitImageVersionId } from "../resource-id.ts";
import { TAGS } from "../tags.ts";
import type { TemplatePlan } from "../template/build.ts";
import { BUILD_STATE, type BuildHandle } from "./build.ts";
import { type StepContext, pollIntervalMsOf } from "./context.ts";
import { versionOf } from "./decisions.ts";

/** Minutes a run waits for another run to finish creating or updating this run's (identical) template. */
export const PROVISIONING_WAIT_MINUTES = 10;

/** True when the template's last run is running now. */
export function isRunning(template: ImageTemplate | undefined): boolean {
  return template?.lastRunStatus?.runState === "Running";
}

/**
 * True when the template's last build succeeded and published its version, but no run finished the job:
 * the version lacks this action's tags (a runner lost after the build ended, before tagging and pruning).
 */
export function isUnfinished(template: ImageTemplate | undefined, existing: readonly ImageVersionInfo[], imageDefinitionId: string): boolean {
  if (template?.lastRunStatus?.runState !== "Succeeded") return false;
  let version: string;
  try {
    version = versionOf(planOfTemplate(template, imageDefinitionId));
  } catch {
    return false;
  }
  const published = existing.find((v) => v.name === version);
  return published !== undefined && published.tags[TAGS.template] === undefined;
}

/**
 * The plan a template carries: its name, hash tag and its SharedImage distributor's explicit version.
 * @throws ConflictError when the distributor does not publish an explicit version of `imageDefinitionId`.
 */
export function planOfTemplate(template: ImageTemplate, imageDefinitionId: string): TemplatePlan {
  const distributor = template.distribute?.find((d): d is ImageTemplateSharedImageDistributor => d.type === "SharedImage");
  if (!distributor || !sameResourceId(splitImageVersionId(distributor.galleryImageId)?.definitionId, imageDefinitionId)) {
    throw new ConflictError(
      `Image template ${template.name} does not publish an explicit version of ${imageDefinitionId}; it was not submitted by this action.`,
    );
  }
  return {
    name: template.name!,
    hash: template.tags?.[TAGS.templateHash] ?? "",
    template,
    imageDefinitionId,
    imageVersionId: distributor.galleryImageId,
    runOutputName: distributor.runOutputName,
  };
}

/**
 * Takes over the build `template` is running (this run's template: same name, same content) and returns
 * the handle to follow it, with the plan of the version its distributor publishes.
 * @param why how the run came to find it running, for the log and the summary.
 * @throws ConflictError when the build publishes another version than an explicit `version` input.
 */
export function adoptBuild(ctx: StepContext, template: ImageTemplate, planned: TemplatePlan, why: string): BuildHandle {
  const { host, settings } = ctx;
  const plan = { ...planned, ...planOfTemplate(template, planned.imageDefinitionId), uploads: planned.uploads };
  const started = template.lastRunStatus?.startTime?.toISOString() ?? "earlier";
  const ended = template.lastRunStatus?.runState === "Succeeded";
  if (settings.version && versionOf(plan) !== versionOf(planned)) {
    throw new ConflictError(
      `Input '${host.inputLabel("version")}' is ${versionOf(planned)}, but image template ${plan.name} (this run's content) is already building ${versionOf(plan)} (started ${started}). ` +
        `Let that build finish (a run without 'version' adopts it) or cancel it with 'az image builder cancel -g ${settings.resourceGroup} -n ${plan.name}'.`,
    );
  }
  host.saveState(BUILD_STATE, JSON.stringify({ resourceGroup: settings.resourceGroup, templateName: plan.name }));
  const adopted = `Adopted a build of ${plan.name} started at ${started} (${why}); it publishes ${versionOf(plan)}, and this run finished it.`;
  host.notice(
    ended
      ? `Image template ${plan.name} built this run's image (its name is the hash of its content) in a build started at ${started}: ${why}. ` +
          `This run finishes that build's job for ${versionOf(plan)} (tags, pruning); it starts no second build.`
      : `Image template ${plan.name} is already building this run's image (its name is the hash of its content), started at ${started}: ${why}. ` +
          `This run follows that build to its end and publishes ${versionOf(plan)}; it starts no second build.`,
  );
  return { templateName: plan.name, attached: true, adopted, plan };
}

/**
 * After a 409 from a template write or a `run`: once the template has settled (another identical run may be
 * creating or updating it), adopts the build it is running; otherwise undefined (the caller decides).
 */
export async function adoptOnConflict(ctx: StepContext, planned: TemplatePlan, error: unknown, why: string): Promise<BuildHandle | undefined> {
  if (!isRestError(error) || error.statusCode !== 409) return undefined;
  // An identical run may be updating the template (PATCH distribute) when this run asks: wait for it.
  const now = await settledTemplate(ctx, planned.name);
  return now && isRunning(now) ? adoptBuild(ctx, now, planned, why) : undefined;
}

/**
 * Waits while another run is creating or updating this run's template (`provisioningState` Creating or
 * Updating), reading it every poll interval, for up to PROVISIONING_WAIT_MINUTES; returns it as it is then.
 */
export async function settledTemplate(ctx: StepContext, name: string): Promise<ImageTemplate | undefined> {
  const { settings, azure, host, signal } = ctx;
  const deadline = Date.now() + PROVISIONING_WAIT_MINUTES * 60_000;
  let template = await azure.getTemplate(settings.resourceGroup, name);
  let told = false;
  while (template && !isRunning(template) && isBeingWritten(template.provisioningState) && Date.now() < deadline) {
    if (!told) host.info(`Image template ${name} (this run's content) is ${template.provisioningState!.toLowerCase()} by another run: waiting for it.`);
    told = true;
    await sleep(pollIntervalMsOf(ctx), undefined, { signal });
    template = await azure.getTemplate(settings.resourceGroup, name);
  }
  return template;
}

/** Template provisioning states of a PUT or PATCH under way (the SDK's `ProvisioningState`). */
const WRITING_STATES: readonly (ProvisioningState | undefined)[] = ["Creating", "Updating"] satisfies ProvisioningState[];

function isBeingWritten(state: ProvisioningState | undefined): boolean {
  return WRITING_STATES.includes(state);
}
