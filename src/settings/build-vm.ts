/**
 * The build VM rules: its network (`subnet-id`, `container-instance-subnet-id`, `proxy-vm-size`, with
 * Image Builder's rules between them), the staging resource group (`staging-resource-group`) and what
 * Image Builder does with the VM when a step fails (`error-handling`).
 *
 * Pure. Each rule reports through `fail` and returns undefined for a bad value. Source: Image Builder
 * template reference (Microsoft.VirtualMachineImages api-version 2025-10-01: `vmProfile.vnetConfig`,
 * `stagingResourceGroup`, `errorHandling`).
 */
import type { VirtualNetworkConfig } from "@azure/arm-imagebuilder";
import { ID_SHAPES, isGuid, isResourceGroupName, isSubnetId, parseResourceGroupId, resourceGroupId, sameVirtualNetwork } from "../resource-id.ts";
import { VM_SIZE } from "../template/template-file.ts";
import type { InputName } from "./inputs.ts";
import type { Settings } from "./types.ts";

const SUBNET_FIX = `must be a subnet resource ID: ${ID_SHAPES.subnet}.`;

/** `subnet-id`, `container-instance-subnet-id`, `proxy-vm-size` → VirtualNetworkConfig (AIB's rules between them). */
export function parseVnet(
  subnetId: string,
  containerSubnetId: string,
  proxyVmSize: string,
  fail: (input: InputName, message: string) => void,
): VirtualNetworkConfig | undefined {
  let ok = true;
  const no = (input: InputName, message: string) => {
    fail(input, message);
    ok = false;
  };
  if (subnetId === "") {
    if (containerSubnetId !== "") no("container-instance-subnet-id", "needs 'subnet-id' (the build VM's subnet, on the same virtual network).");
    if (proxyVmSize !== "") no("proxy-vm-size", "needs 'subnet-id': the proxy VM exists only for builds in an existing virtual network.");
    return undefined;
  }
  if (!isSubnetId(subnetId)) no("subnet-id", `'${subnetId}' ${SUBNET_FIX}`);
  if (containerSubnetId !== "") {
    if (!isSubnetId(containerSubnetId)) no("container-instance-subnet-id", `'${containerSubnetId}' ${SUBNET_FIX}`);
    else if (isSubnetId(subnetId) && !sameVirtualNetwork(subnetId, containerSubnetId)) {
      no("container-instance-subnet-id", `'${containerSubnetId}' must be on the virtual network of 'subnet-id'.`);
    } else if (containerSubnetId.toLowerCase() === subnetId.toLowerCase()) {
      no("container-instance-subnet-id", "must be another subnet than 'subnet-id' (delegated to Microsoft.ContainerInstance/containerGroups).");
    }
    if (proxyVmSize !== "") no("proxy-vm-size", "must be empty with 'container-instance-subnet-id': an isolated build deploys no proxy VM.");
  }
  if (proxyVmSize !== "" && !VM_SIZE.test(proxyVmSize))
    no("proxy-vm-size", `'${proxyVmSize}' must be an Azure VM size such as 'Standard_A1_v2' (Image Builder's default).`);
  if (!ok) return undefined;
  return { subnetId, ...(containerSubnetId ? { containerInstanceSubnetId: containerSubnetId } : {}), ...(proxyVmSize ? { proxyVmSize } : {}) };
}

/** A resource group name or ID → its ID in `subscriptionId`; refuses another subscription and the template's own groups. */
export function parseStagingGroup(
  value: string,
  subscriptionId: string | undefined,
  taken: (string | undefined)[],
  fail: (message: string) => void,
): string | undefined {
  const id = parseResourceGroupId(value);
  const name = id ? id.resourceGroup : value;
  if (!isResourceGroupName(name) || (id && !isGuid(id.subscriptionId))) {
    fail(`'${value}' must be a resource group name or ID (${ID_SHAPES.resourceGroup}).`);
    return undefined;
  }
  if (id && subscriptionId && id.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
    fail(`'${value}' must be in subscription ${subscriptionId} (Image Builder's staging resource group is in the template's subscription).`);
    return undefined;
  }
  if (taken.some((t) => t && t.toLowerCase() === name.toLowerCase())) {
    fail(
      `'${name}' holds the image template or the gallery; the staging resource group must be empty or not exist yet: give a group of its own, e.g. 'rg-aib-staging'.`,
    );
    return undefined;
  }
  return resourceGroupId(subscriptionId ?? id?.subscriptionId ?? "", name);
}

const ON_ERROR = ["cleanup", "abort"] as const;

/**
 * `error-handling`: `cleanup` or `abort` for both, or `customizer=abort, validation=cleanup` (either one);
 * empty keeps the file's `errorHandling` (or Image Builder's default, cleanup).
 */
export function parseErrorHandling(value: string, file: Settings["errorHandling"] | undefined, fail: (message: string) => void): Settings["errorHandling"] {
  if (value === "") return file && Object.keys(file).length ? file : undefined;
  const fix = `'${value}' must be 'cleanup' (delete the build VM when a step fails; Image Builder's default), 'abort' (keep it to inspect it), or per phase 'customizer=abort, validation=cleanup'.`;
  const lower = value.toLowerCase();
  if ((ON_ERROR as readonly string[]).includes(lower))
    return { onCustomizerError: lower as "cleanup" | "abort", onValidationError: lower as "cleanup" | "abort" };
  const result: NonNullable<Settings["errorHandling"]> = { ...file };
  for (const part of lower.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(customizer|validation)=(cleanup|abort)$/.exec(part);
    if (!m) {
      fail(fix);
      return undefined;
    }
    if (m[1] === "customizer") result.onCustomizerError = m[2] as "cleanup" | "abort";
    else result.onValidationError = m[2] as "cleanup" | "abort";
  }
  return result;
}
