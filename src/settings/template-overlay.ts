/**
 * What goes into the image and the build VM, with the template-file overlay: reads `template-file`
 * (an Image Builder template's `properties`, checked against the vendored spec by `loadTemplateFile`)
 * and lays the inputs over it.
 *
 * Rules: an input overrides the file's value when the input differs from its default; lists add up
 * (the file's customizers run after the AVD built-in steps and before `script-uris`, `scripts` and
 * `inline-script`; `validation-script` is added after the file's in-VM validations; the file's
 * `managedResourceTags` are extended by `managed-resource-tags`). Also resolves `avd-steps`,
 * `safety-steps` (its `auto` in `template/safety.ts`), `scripts` and `scripts-storage-account`.
 *
 * Reads files: the template file and the repository scripts, through `RepositoryFiles`.
 */
import type { ImageTemplatePropertiesValidate, VirtualNetworkConfig } from "@azure/arm-imagebuilder";
import * as z from "zod/mini";
import { parseAvdSteps } from "../avd/parse-steps.ts";
import { resolveSafetySteps } from "../template/safety.ts";
import {
  type RepositoryFiles,
  type RepositoryScript,
  type ScriptsStorage,
  inlineProblems,
  parseScriptsStorage,
  readRepositoryScripts,
  repositoryOnDisk,
} from "../template/scripts.ts";
import { loadTemplateFile } from "../template/template-file.ts";
import { parseErrorHandling, parseStagingGroup, parseVnet } from "./build-vm.ts";
import { booleanInput, parseIdentityList, parseSource, parseTags } from "./formats.ts";
import type { InputCollector, InputName } from "./inputs.ts";
import type { ImageSource, Settings } from "./types.ts";

/** The fields of `Settings` the template file and the image-content inputs decide. */
export type ImageContentSettings = Pick<
  Settings,
  | "avdSteps"
  | "safetySteps"
  | "inventory"
  | "repositoryScripts"
  | "scriptsStorage"
  | "templateFile"
  | "fileCustomizers"
  | "vnetConfig"
  | "vmUserAssignedIdentities"
  | "vmUserAssignedIdentitiesInput"
  | "stagingResourceGroup"
  | "errorHandling"
  | "validate"
  | "optimize"
  | "dataDiskSizesGb"
  | "managedResourceTags"
>;

/** The values the inputs alone gave (undefined where they were bad), which the template file may replace. */
export interface InputValues {
  source: ImageSource | undefined;
  vmSize: string | undefined;
  osDiskSizeGb: number | undefined;
  buildTimeoutMinutes: number | undefined;
  /** For the staging resource group's checks (its subscription; not the template's or gallery's group). */
  subscriptionId: string | undefined;
  resourceGroup: string | undefined;
  /** The gallery's resource group (`gallery-resource-group`, or `resource-group` when empty). */
  galleryResourceGroup: string | undefined;
}

/**
 * Overlays the inputs on `template-file` (when given) and resolves the image content; every problem is
 * recorded in `c`. Returns the effective `source`, `vmSize`, `osDiskSizeGb`, `buildTimeoutMinutes`
 * (undefined where a problem was recorded) and the image-content fields of `Settings`.
 *
 * @param repository where `template-file` and `scripts` are read (default: the workspace on disk).
 */
export function overlayTemplateFile(
  c: InputCollector,
  values: InputValues,
  repository?: RepositoryFiles,
): Omit<InputValues, "subscriptionId" | "resourceGroup" | "galleryResourceGroup"> & ImageContentSettings {
  const { input, fail, check, given, raw: read } = c;
  const { source, vmSize, osDiskSizeGb, buildTimeoutMinutes, subscriptionId, resourceGroup, galleryResourceGroup } = values;
  let files: RepositoryFiles | undefined;
  const repo = (): RepositoryFiles => (files ??= repository ?? repositoryOnDisk());

  const templateFilePath = input("template-file");
  const file = templateFilePath === "" ? undefined : loadTemplateFile(templateFilePath, repo().workspace, (p) => new TextDecoder().decode(repo().read(p)));
  for (const problem of file?.problems ?? []) fail("template-file", problem);
  const fileContent = file?.content;

  let effectiveSource = source;
  if (fileContent?.sourceText !== undefined && !given("source")) {
    effectiveSource = parseSource(fileContent.sourceText, (m) => fail("template-file", `${templateFilePath}: source: ${m}`));
  }

  const avd = parseAvdSteps(input("avd-steps"));
  for (const problem of avd.problems) fail("avd-steps", problem);

  const safetyInput = check("safety-steps", z.enum(["auto", "true", "false"]), "must be 'auto' (on for Windows client sources), 'true' or 'false'.");
  const safetySteps = resolveSafetySteps(safetyInput, effectiveSource);

  const storageAccount = input("scripts-storage-account");
  let scriptsStorage: ScriptsStorage | undefined;
  if (storageAccount !== "") {
    const parsed = parseScriptsStorage(storageAccount, input("scripts-container"), input("environment"));
    if (parsed.problem) fail(parsed.problem.input, parsed.problem.message);
    scriptsStorage = parsed.storage;
  }
  let repositoryScripts: RepositoryScript[] = [];
  if (input("scripts") !== "") {
    const scripts = readRepositoryScripts(input("scripts"), repo());
    for (const problem of scripts.problems) fail("scripts", problem);
    if (storageAccount === "") for (const problem of inlineProblems(scripts.scripts)) fail("scripts", problem);
    repositoryScripts = scripts.scripts;
  }

  const fileVm = fileContent?.vmProfile;
  const subnetId = input("subnet-id");
  const containerSubnetId = input("container-instance-subnet-id");
  const proxyVmSize = input("proxy-vm-size");
  let vnetConfig: VirtualNetworkConfig | undefined = fileVm?.vnetConfig;
  if (subnetId !== "" || containerSubnetId !== "" || proxyVmSize !== "") {
    vnetConfig = parseVnet(subnetId, containerSubnetId, proxyVmSize, fail);
  }

  let stagingResourceGroup = fileContent?.stagingResourceGroup;
  const stagingInput = given("staging-resource-group") ? input("staging-resource-group") : (fileContent?.stagingResourceGroup ?? "");
  if (stagingInput !== "") {
    const at: InputName = given("staging-resource-group") ? "staging-resource-group" : "template-file";
    const prefix = at === "template-file" ? `${templateFilePath}: stagingResourceGroup: ` : "";
    stagingResourceGroup = parseStagingGroup(stagingInput, subscriptionId, [resourceGroup, galleryResourceGroup], (m) => fail(at, prefix + m));
  }

  const errorHandling = parseErrorHandling(input("error-handling"), fileContent?.errorHandling as Settings["errorHandling"], (m) => fail("error-handling", m));
  const inventory = check(
    "inventory",
    booleanInput,
    "must be 'true' (print the image's OS build, applications, hotfixes and Appx packages for the manifest) or 'false'.",
  );
  const optimizeBoot = check("optimize-boot", booleanInput, "must be 'true' (optimize the image for a faster first boot) or 'false'.");
  let optimize = fileContent?.optimize;
  if (optimizeBoot) optimize = { ...optimize, vmBoot: { state: "Enabled" } };

  let validate = fileContent?.validate;
  const validationScript = input("validation-script") === "" ? [] : read("validation-script").replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  if (validationScript.length > 0) {
    validate = {
      ...validate,
      inVMValidations: [
        ...(validate?.inVMValidations ?? []),
        { type: "PowerShell", name: "validation-script", inline: validationScript, runElevated: true, runAsSystem: true },
      ],
    } as ImageTemplatePropertiesValidate;
  }

  let dataDiskSizesGb = (fileContent?.additionalDataDisks ?? []).map((d) => d.sizeGB ?? 0);
  if (given("data-disk-sizes")) {
    const sizes = input("data-disk-sizes")
      .split(/[\s,]+/)
      .filter(Boolean);
    const bad = sizes.filter((v) => !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 32_767);
    if (bad.length)
      fail(
        "data-disk-sizes",
        `'${input("data-disk-sizes")}' must be data disk sizes in GB, whole numbers from 1 to 32767, separated by commas (e.g. '64, 128'); not ${bad.map((b) => `'${b}'`).join(", ")}.`,
      );
    else if (sizes.length > 16) fail("data-disk-sizes", `lists ${sizes.length} disks; give at most 16.`);
    else dataDiskSizesGb = sizes.map(Number);
  }

  const managedTagsInput = parseTags(input("managed-resource-tags"), (m) => fail("managed-resource-tags", m));
  const managedResourceTags =
    fileContent?.managedResourceTags || (managedTagsInput && Object.keys(managedTagsInput).length)
      ? { ...fileContent?.managedResourceTags, ...managedTagsInput }
      : undefined;
  const buildVmIdentities = given("build-vm-identities")
    ? parseIdentityList(input("build-vm-identities"), (m) => fail("build-vm-identities", m))
    : fileVm?.userAssignedIdentities;

  const effectiveVmSize = given("vm-size") || !fileVm?.vmSize ? vmSize : fileVm.vmSize;
  const effectiveOsDisk = given("os-disk-size-gb") || fileVm?.osDiskSizeGB === undefined ? osDiskSizeGb : fileVm.osDiskSizeGB;
  const effectiveTimeout =
    given("build-timeout-minutes") || fileContent?.buildTimeoutInMinutes === undefined ? buildTimeoutMinutes : fileContent.buildTimeoutInMinutes;

  return {
    source: effectiveSource,
    vmSize: effectiveVmSize,
    osDiskSizeGb: effectiveOsDisk,
    buildTimeoutMinutes: effectiveTimeout,
    avdSteps: avd.calls,
    safetySteps,
    inventory: inventory!,
    repositoryScripts,
    scriptsStorage,
    templateFile: templateFilePath || undefined,
    fileCustomizers: fileContent?.customize ?? [],
    vnetConfig,
    vmUserAssignedIdentities: buildVmIdentities,
    vmUserAssignedIdentitiesInput: buildVmIdentities?.length ? (given("build-vm-identities") ? "build-vm-identities" : "template-file") : undefined,
    stagingResourceGroup,
    errorHandling,
    validate,
    optimize,
    dataDiskSizesGb,
    managedResourceTags,
  };
}
