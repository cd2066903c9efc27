/**
 * The image template step: create, reuse (PATCH) or recreate the planned template, and garbage-collect
 * the older templates this action made for the same image definition.
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_CreateOrUpdate/Update/Delete/ListByResourceGroup).
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { BuildFailedError } from "../errors.ts";
import { sameResourceId } from "../resource-id.ts";
import { TAGS } from "../tags.ts";
import type { TemplatePlan } from "../template/build.ts";
import type { RunContext } from "./context.ts";
import { BUSY_RUN_STATES, type TemplateAction, versionOf } from "./decisions.ts";

/**
 * Puts the planned template in place.
 * @throws BuildFailedError when a created template ends provisioning Failed (AIB's provisioningError).
 */
export async function applyTemplate({ host, settings, azure }: RunContext, plan: TemplatePlan, action: TemplateAction): Promise<void> {
  if (action === "recreate") {
    host.info(`Deleting ${plan.name}, left Failed in provisioning.`);
    await azure.deleteTemplate(settings.resourceGroup, plan.name);
  }
  if (action === "reuse") {
    await azure.updateTemplate(settings.resourceGroup, plan.name, {
      properties: { distribute: plan.template.distribute, vmProfile: plan.template.vmProfile },
    });
    host.info(`Reused ${plan.name}: distribute now publishes ${versionOf(plan)}.`);
    return;
  }
  const created = await azure.createTemplate(settings.resourceGroup, plan.name, plan.template);
  if (created.provisioningState === "Failed") {
    const error = created.provisioningError;
    throw new BuildFailedError(
      `Image template ${plan.name} failed to provision: ${error?.message ?? "no message"} (${error?.provisioningErrorCode ?? "no code"}). ` +
        `The next run deletes and recreates it.`,
      [`Provisioning error: ${error?.provisioningErrorCode ?? "—"}: ${error?.message ?? "—"}`],
    );
  }
  host.info(`Created ${plan.name}.`);
}

/** Templates this action made (by its tags, never by name) for the same image definition, other than `keep`. */
export async function olderTemplates({ settings, azure }: RunContext, imageDefinitionId: string, keep: string): Promise<ImageTemplate[]> {
  const templates = await azure.listTemplates(settings.resourceGroup);
  return templates.filter(
    (t) =>
      t.tags?.[TAGS.managed] === "true" &&
      sameResourceId(t.tags?.[TAGS.imageDefinition], imageDefinitionId) &&
      t.name?.toLowerCase() !== keep.toLowerCase(),
  );
}

/** Deletes the older templates that are not building (with their staging resources); returns their names. */
export async function collectOlderTemplates(ctx: RunContext, imageDefinitionId: string, keep: string): Promise<string[]> {
  const { host, settings, azure } = ctx;
  const deleted: string[] = [];
  for (const template of await olderTemplates(ctx, imageDefinitionId, keep)) {
    const runState = template.lastRunStatus?.runState;
    if (runState && BUSY_RUN_STATES.has(runState)) {
      host.info(`Keeping older template ${template.name}: a build is ${runState.toLowerCase()}.`);
      continue;
    }
    try {
      await azure.deleteTemplate(settings.resourceGroup, template.name!);
      deleted.push(template.name!);
      host.info(`Deleted older template ${template.name} (and its staging resources).`);
    } catch (error) {
      host.warning(`Could not delete older template ${template.name}: ${(error as Error).message}`);
    }
  }
  return deleted;
}
