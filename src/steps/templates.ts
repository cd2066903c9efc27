/**
 * The image template step: create, reuse (PATCH) or recreate the planned template, and garbage-collect
 * the older templates this action made for the same image definition.
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_CreateOrUpdate/Update/Delete/ListByResourceGroup).
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { BuildFailedError } from "../errors.ts";
import type { TemplateAction } from "../report.ts";
import { sameResourceId } from "../resource-id.ts";
import { TAGS } from "../tags.ts";
import type { TemplatePlan } from "../template/build.ts";
import type { StepContext } from "./context.ts";
import { versionOf } from "./decisions.ts";

/**
 * Puts the planned template in place.
 * @throws BuildFailedError when a created template ends provisioning Failed (AIB's provisioningError).
 */
export async function applyTemplate({ host, settings, azure }: StepContext, plan: TemplatePlan, action: TemplateAction): Promise<void> {
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
export async function olderTemplates({ settings, azure }: StepContext, imageDefinitionId: string, keep: string): Promise<ImageTemplate[]> {
  const templates = await azure.listTemplates(settings.resourceGroup);
  return templates.filter(
    (t) =>
      t.tags?.[TAGS.managed] === "true" && sameResourceId(t.tags?.[TAGS.imageDefinition], imageDefinitionId) && t.name?.toLowerCase() !== keep.toLowerCase(),
  );
}

/** How long the deletion of older templates may take after the summary, in milliseconds (5 minutes). */
export const CLEANUP_TIMEOUT_MS = 5 * 60_000;

/** The cleanup budget: `AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS` (tests) or {@link CLEANUP_TIMEOUT_MS}. */
export function cleanupTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : CLEANUP_TIMEOUT_MS;
}

/** True when Image Builder refused an operation because of the template's state (OperationNotAllowed, 405 or 409). */
function refusedForState(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string };
  return e.code === "OperationNotAllowed" || e.statusCode === 405;
}

/**
 * Deletes the older templates that are not building (with their staging resources); returns their names.
 * A template whose build is Running is kept. One in Canceling is tried: Image Builder refuses while it
 * is stuck there (405 OperationNotAllowed, danielsollondon/azvmimagebuilder#48, #79, #116), and then it
 * stays for the next run to try again — never a failure. `abortSignal` stops waiting (the timeout).
 */
export async function collectOlderTemplates(ctx: StepContext, imageDefinitionId: string, keep: string, abortSignal?: AbortSignal): Promise<string[]> {
  const { host, settings, azure } = ctx;
  const deleted: string[] = [];
  for (const template of await olderTemplates(ctx, imageDefinitionId, keep)) {
    if (abortSignal?.aborted) break;
    const runState = template.lastRunStatus?.runState;
    if (runState === "Running") {
      host.info(`Keeping older template ${template.name}: a build is running.`);
      continue;
    }
    try {
      await azure.deleteTemplate(settings.resourceGroup, template.name!, { abortSignal });
      deleted.push(template.name!);
      host.info(`Deleted older template ${template.name} (and its staging resources).`);
    } catch (error) {
      if (abortSignal?.aborted) break;
      if (runState === "Canceling" && refusedForState(error)) {
        host.info(`Older template ${template.name} is still stuck in Canceling: Image Builder refuses to delete it. The next run tries again.`);
        continue;
      }
      host.warning(`Could not delete older template ${template.name}: ${(error as Error).message}. The next run tries again.`);
    }
  }
  return deleted;
}

/**
 * Garbage collection after the outputs and the summary are written: deletes the older templates of
 * this image definition within `timeoutMs`. It never fails the run: a timeout or an error is a
 * warning, and what is left is retried by the next run. Returns the names deleted.
 */
export async function cleanUpOlderTemplates(
  ctx: StepContext,
  imageDefinitionId: string,
  keep: string,
  timeoutMs: number = cleanupTimeoutMs(),
): Promise<string[]> {
  const { host } = ctx;
  return host.group("Clean up older image templates", async () => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve("timeout");
      }, timeoutMs);
    });
    const work = collectOlderTemplates(ctx, imageDefinitionId, keep, controller.signal);
    try {
      const result = await Promise.race([work, timedOut]);
      if (result === "timeout") {
        work.catch(() => undefined);
        host.warning(
          `Deleting older image templates did not finish within ${Math.round(timeoutMs / 1000)} s; the image version is published and reported. ` +
            `Image Builder goes on deleting what it accepted, and the next run retries the rest.`,
        );
        return [];
      }
      return result;
    } catch (error) {
      host.warning(`Deleting older image templates failed: ${(error as Error).message}. The image version is published and reported; the next run retries.`);
      return [];
    } finally {
      clearTimeout(timer);
    }
  });
}
