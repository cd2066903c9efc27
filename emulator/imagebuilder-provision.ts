/**
 * What Azure VM Image Builder does while a created image template provisions (the PUT's LRO, before
 * provisioningState Succeeded): it names the staging resource group, copies the customizers' files, and
 * checks that a platform image source exists.
 *
 * - Staging resource group: `IT_<resourceGroup>_<template>_<guid>` unless the template names its own
 *   `stagingResourceGroup` (imagebuilder.json 2025-10-01 `exactStagingResourceGroup`).
 * - Customizer files (`scriptUri`, File `sourceUri`) are copied and their checksums computed now; a file
 *   that cannot be downloaded fails provisioning with `NoCustomizerScript` (file-host.ts `copyCustomizerFiles`).
 * - BadPIRSource "Platform Image was not found. location: …, publisherName: …, offer: …, sku: …, version: ….
 *   Please check the specified source image version in Image Builder Template exists. For information on
 *   how to check available versions, types, review https://aka.ms/azvmimagebuilderts." — Azure/azvmimagebuilder#34.
 */
import type { FileHost } from "./file-host.ts";
import type { TemplateRecord } from "./imagebuilder-template.ts";
import type { Marketplace } from "./marketplace.ts";
import type { EmulatorOptions } from "./state.ts";

/** A template's `provisioningError` (imagebuilder.json `ProvisioningError`). */
export interface ProvisioningFailure {
  provisioningErrorCode: string;
  message: string;
}

/** What provisioning reads: the options (`validatePlatformImages`), the marketplace and the file host. */
export interface ProvisionDeps {
  options: EmulatorOptions;
  marketplace: Marketplace;
  files: FileHost | undefined;
}

/**
 * Provisions `t` in place (staging resource group, copied files, the exact platform image version) and
 * returns the failure that ends it, if any: `planned` (a test knob) first, then the file copy, then the
 * platform image check.
 */
export function provisionTemplate(t: TemplateRecord, deps: ProvisionDeps, planned?: ProvisioningFailure): ProvisioningFailure | undefined {
  const staging = typeof t.input.stagingResourceGroup === "string" && t.input.stagingResourceGroup ? t.input.stagingResourceGroup : undefined;
  t.exactStagingResourceGroup = staging ?? `/subscriptions/${t.subscriptionId}/resourceGroups/IT_${t.resourceGroup}_${t.name}_${t.stagingGuid}`;
  if (planned) return planned;
  if (deps.files) {
    const copy = deps.files.copyCustomizerFiles(t.input.customize);
    if (copy.failure) return { provisioningErrorCode: "NoCustomizerScript", message: copy.failure };
    t.files = copy.files;
  }
  const src = t.input.source as Record<string, unknown>;
  if (src.type === "PlatformImage" && deps.options.validatePlatformImages) {
    const v = String(src.version ?? "latest");
    const exact = deps.marketplace.resolve(t.location, String(src.publisher), String(src.offer), String(src.sku), v);
    if (!exact) {
      return {
        provisioningErrorCode: "BadPIRSource",
        message: `Platform Image was not found. location: ${t.location}, publisherName: ${String(src.publisher)}, offer: ${String(src.offer)}, sku: ${String(src.sku)}, version: ${v}. Please check the specified source image version in Image Builder Template exists. For information on how to check available versions, types, review https://aka.ms/azvmimagebuilderts.`,
      };
    }
    t.exactSourceVersion = exact;
  }
  return undefined;
}
