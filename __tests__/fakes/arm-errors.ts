/**
 * Azure's error answers as the SDK throws them: `RestError` from @azure/core-rest-pipeline with the HTTP
 * `statusCode` and the ARM error `code`, so the product's `isRestError`/`isNotFound` checks see what they
 * see against Azure. The wordings are the emulator's (emulator/imagebuilder.ts, gallery.ts, arm.ts), which
 * cite their public sources.
 */
import { RestError } from "@azure/core-rest-pipeline";

/** A RestError with `statusCode` and ARM `code`, as an SDK client throws for an error answer. */
export function armError(statusCode: number, code: string, message: string): RestError {
  return new RestError(message, { statusCode, code });
}

/** ARM's 404 ResourceNotFound for `type/name` in resource group `rg` (emulator/arm.ts resourceNotFound). */
export function notFound(typeAndName: string, rg: string): RestError {
  return armError(
    404,
    "ResourceNotFound",
    `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/**
 * Image Builder's OperationNotAllowed for `action` (`delete`, `cancel/action`, `run/action`, `write`) in a
 * template's state: 405 in Canceling (danielsollondon/azvmimagebuilder#48), else 409 (#79).
 */
export function operationNotAllowed(action: string, provisioningState: string, runState: string): RestError {
  const ps = provisioningState === "Succeeded" ? "provisioned" : provisioningState.toLowerCase();
  const rs = runState.toLowerCase();
  return armError(
    rs === "canceling" ? 405 : 409,
    "OperationNotAllowed",
    `Operation Microsoft.VirtualMachineImages/imageTemplates/${action} is not allowed in provisioning state: ${ps} or run state: ${rs}.`,
  );
}

/** Image Builder's 409 on a PUT that changes an existing template (julie-ng/azure-image-builder-test, quoted in emulator/imagebuilder.ts). */
export function templateUpdateConflict(): RestError {
  return armError(
    409,
    "Conflict",
    "Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting. If you have previously tried to submit a template and it failed to provision, you must delete it first and then resubmit. For more information, go to https://aka.ms/azvmimagebuilderts.",
  );
}

/** ARM's 429 (throttled), as the SDK throws it once its own retries are spent. */
export function throttled(): RestError {
  return armError(429, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00.");
}

/** The 403 of a caller without the role (AuthorizationFailed). */
export function authorizationFailed(action: string, scope: string): RestError {
  return armError(
    403,
    "AuthorizationFailed",
    `The client '00000000-0000-0000-0000-000000000000' with object id '00000000-0000-0000-0000-000000000000' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}
