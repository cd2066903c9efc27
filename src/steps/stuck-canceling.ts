/**
 * Image templates stuck in `Canceling`. Public reports (danielsollondon/azvmimagebuilder #48, #79, #116)
 * show a canceled build staying in Canceling for hours or days, while Image Builder refuses cancel, run
 * and delete: 405 OperationNotAllowed "Operation Microsoft.VirtualMachineImages/imageTemplates/delete is
 * not allowed in provisioning state: provisioned or run state: canceling." Only Azure support ends it.
 * A run whose template is stuck builds the same content under the next name (`<name>-2`, `-3`…), warns
 * once, and garbage collection retries the stuck one on later runs (templates.ts).
 * Image Builder api-version 2025-10-01 (VirtualMachineImageTemplates_Get).
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { ConflictError } from "../errors.ts";
import { imageTemplateId } from "../resource-id.ts";
import { type TemplatePlan, templateName } from "../template/build.ts";
import { settledTemplate } from "./adopt.ts";
import type { StepContext } from "./context.ts";

/** How many names (`<name>`, `<name>-2` … `<name>-10`) a run tries before it gives up. */
export const MAX_TEMPLATE_ATTEMPTS = 10;

/** True when the template's last run is in Canceling. */
export function isCanceling(template: ImageTemplate | undefined): boolean {
  return template?.lastRunStatus?.runState === "Canceling";
}

/**
 * The plan under the first name whose template is not in Canceling, with that template (undefined when
 * none exists). Warns once, naming each stuck template and what to ask Azure support.
 * @throws ConflictError when every name up to MAX_TEMPLATE_ATTEMPTS is stuck.
 */
export async function avoidStuckTemplate(ctx: StepContext, plan: TemplatePlan): Promise<{ plan: TemplatePlan; current: ImageTemplate | undefined }> {
  const { host, settings } = ctx;
  const stuck: ImageTemplate[] = [];
  for (let attempt = 1; attempt <= MAX_TEMPLATE_ATTEMPTS; attempt++) {
    const name = attempt === 1 ? plan.name : templateName(settings.imageDefinition, plan.hash, attempt);
    const current = await settledTemplate(ctx, name);
    if (isCanceling(current)) {
      stuck.push(current!);
      continue;
    }
    if (stuck.length) host.warning(stuckWarning(ctx, stuck, name));
    return { plan: attempt === 1 ? plan : { ...plan, name }, current };
  }
  throw new ConflictError(
    `${stuckWarning(ctx, stuck, "")} Every name up to ${templateName(settings.imageDefinition, plan.hash, MAX_TEMPLATE_ATTEMPTS)} is stuck; no build was started.`,
  );
}

function stuckWarning({ settings }: StepContext, stuck: ImageTemplate[], builtAs: string): string {
  const names = stuck.map((t) => t.name!).join(", ");
  const ids = stuck.map((t) => imageTemplateId(settings.subscriptionId, settings.resourceGroup, t.name!));
  const since = stuck[0]!.lastRunStatus?.startTime?.toISOString();
  return (
    `Image template ${names} is stuck in Canceling${since ? ` (its build started ${since})` : ""}: Image Builder refuses to cancel, run or delete it in that state ` +
    `("… is not allowed in provisioning state: provisioned or run state: canceling"). ` +
    (builtAs ? `This run builds the same content as image template ${builtAs}. ` : "") +
    `Ask Azure support (Azure VM Image Builder) to end the stuck cancel of ${ids.join(", ")}; once they have, a later run deletes it.`
  );
}
