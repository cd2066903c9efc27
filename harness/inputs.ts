/**
 * The one builder of the action's required inputs, for the tests, the demo, the benchmarks, the
 * local-action `.env` and the CI stand-ins: `requiredInputs` (action.yml names) and `requiredTaskInputs`
 * (task.json names), each for a {@link BuildTarget}, and `emulatorInputs`, which adds what points the
 * action at an emulator as a user points it at a private cloud.
 *
 * The required inputs are the public contract (action.yml `required: true`, task.json `required: true`);
 * `__tests__/kit/harness-inputs.test.ts` checks these builders give exactly those, so a new required
 * input fails there until it is added here.
 */

/** The resources one build needs: what the required inputs name. */
export interface BuildTarget {
  /** Subscription ID (GUID). */
  subscriptionId: string;
  /** Resource group of the gallery and the image template. */
  resourceGroup: string;
  /** Region of the image template and the build (ARM name, `westeurope`). */
  location: string;
  /** Azure Compute Gallery name. */
  gallery: string;
  /** Gallery image definition the versions are published to. */
  imageDefinition: string;
  /** Resource ID of the user-assigned identity Image Builder runs as. */
  identityId: string;
}

/** The action's required inputs (action.yml names, in action.yml's order) for `target`, with `extra` on top. */
export function requiredInputs(target: BuildTarget, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "subscription-id": target.subscriptionId,
    "resource-group": target.resourceGroup,
    location: target.location,
    "gallery-name": target.gallery,
    "image-definition": target.imageDefinition,
    "identity-id": target.identityId,
    ...extra,
  };
}

/**
 * The Azure DevOps task's required inputs (task.json names) for `target`, signing in through the
 * service connection `azureSubscription` (its ID or name), with `extra` on top. The subscription comes
 * from the connection: `subscriptionId` is an optional input of the task.
 */
export function requiredTaskInputs(
  target: Omit<BuildTarget, "subscriptionId">,
  azureSubscription: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    azureSubscription,
    resourceGroup: target.resourceGroup,
    location: target.location,
    galleryName: target.gallery,
    imageDefinition: target.imageDefinition,
    identityId: target.identityId,
    ...extra,
  };
}

/** What `emulatorInputs` needs of an emulator. */
export interface EmulatorTarget {
  /** `https://127.0.0.1:PORT`: ARM endpoint and Entra authority host. */
  url: string;
  /** The default app registration, trusted for the emulator's GitHub OIDC tokens. */
  defaults: { clientId: string; tenantId: string };
}

/**
 * The required inputs for `target` (the seeded AVD gallery), plus those that point the action at an
 * emulator as a user points it at a private cloud (`arm-endpoint`, `authority-host`) and sign in with
 * GitHub OIDC (`client-id` + `tenant-id`), with `extra` on top.
 */
export function emulatorInputs(emu: EmulatorTarget, target: BuildTarget, extra: Record<string, string> = {}): Record<string, string> {
  return requiredInputs(target, {
    "client-id": emu.defaults.clientId,
    "tenant-id": emu.defaults.tenantId,
    "arm-endpoint": emu.url,
    "authority-host": emu.url,
    ...extra,
  });
}
