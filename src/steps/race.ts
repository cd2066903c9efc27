/**
 * Version races: two runs for the same image definition that chose the same version. The later one
 * must stop in seconds — not both build for an hour and one fail at distribution.
 *
 * - Before starting: another of this action's templates building the same version → stop.
 * - Starting a template another run is building → AIB refuses (409): reported as the race.
 * - Right after starting: if another template started building the same version too, the run that
 *   started last (ties broken by template name) cancels its own build and stops.
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_ListByResourceGroup).
 */
import type { ImageTemplate, ImageTemplateSharedImageDistributor } from "@azure/arm-imagebuilder";
import { isRestError } from "../azure/rest-error.ts";
import { ConflictError } from "../errors.ts";
import { sameResourceId } from "../resource-id.ts";
import type { TemplatePlan } from "../template/build.ts";
import { adoptOnConflict } from "./adopt.ts";
import { type BuildHandle, requestCancel, startBuild } from "./build.ts";
import type { StepContext } from "./context.ts";
import { versionOf } from "./decisions.ts";
import { olderTemplates } from "./templates.ts";

/**
 * Other templates of this action building the planned version. One in Canceling publishes nothing (and
 * may be stuck there for days: stuck-canceling.ts), so it is no rival.
 */
async function rivals(ctx: StepContext, plan: TemplatePlan): Promise<ImageTemplate[]> {
  return (await olderTemplates(ctx, plan.imageDefinitionId, plan.name)).filter(
    (t) =>
      t.lastRunStatus?.runState === "Running" &&
      (t.distribute ?? []).some(
        (d) => d.type === "SharedImage" && sameResourceId((d as ImageTemplateSharedImageDistributor).galleryImageId, plan.imageVersionId),
      ),
  );
}

/**
 * Starts the build of this run's template, or adopts the build running on it. A 409 while an identical
 * run was updating the template (nothing running once it settled) is no race: the start is tried once more.
 * @throws ConflictError naming the race when the template still refuses to run.
 */
async function startOrAdopt(ctx: StepContext, plan: TemplatePlan, retried = false): Promise<BuildHandle> {
  try {
    return await startBuild(ctx, plan.name);
  } catch (error) {
    // Before calling a 409 a race, look at the template: running means Azure accepted this run's request
    // (answered 5xx or timed out, the SDK's retry got 409) or an identical run started it. Follow it.
    const adopted = await adoptOnConflict(
      ctx,
      plan,
      error,
      "Image Builder answered this run's run request with an error although a build of this template is running: Azure accepted an earlier try, or an identical run started it",
    );
    if (adopted) return adopted;
    if (!isRestError(error) || error.statusCode !== 409) throw error;
    if (!retried) return startOrAdopt(ctx, plan, true);
    throw raceError(plan, plan.name);
  }
}

function raceError(plan: TemplatePlan, other: string): ConflictError {
  return new ConflictError(
    `Version race: image template ${other} is already building image version ${versionOf(plan)} of this image definition (another run chose the same version). ` +
      `This run stopped before building it. Run again after that build to take the next version, and give runs for the same image a workflow 'concurrency:' group (Azure DevOps: one pipeline run at a time).`,
  );
}

/**
 * Starts the build unless another run is building the same version, and settles a start that raced
 * with another one.
 * @throws ConflictError naming the version race (after canceling this run's build when it started last).
 */
export async function startBuildWithoutRace(ctx: StepContext, plan: TemplatePlan): Promise<BuildHandle> {
  const before = await rivals(ctx, plan);
  if (before.length) throw raceError(plan, before[0]!.name!);
  const handle = await startOrAdopt(ctx, plan);
  if (handle.adopted) return handle;
  const after = await rivals(ctx, plan);
  if (after.length) {
    const mine = await ctx.azure.getTemplate(ctx.settings.resourceGroup, plan.name);
    const started = mine?.lastRunStatus?.startTime?.getTime() ?? Date.now();
    const earlier = after.find((t) => {
      const theirs = t.lastRunStatus?.startTime?.getTime() ?? Infinity;
      return theirs < started || (theirs === started && t.name!.toLowerCase() < plan.name.toLowerCase());
    });
    if (earlier) {
      await requestCancel(ctx, plan.name);
      throw raceError(plan, earlier.name!);
    }
  }
  return handle;
}
