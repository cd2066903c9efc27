/**
 * What an error of a customization.log call means: the log is not there yet (`waiting`), a blip
 * (`transient`), or it cannot be read at all (`unavailable`: no data-plane role, a storage firewall or
 * private endpoint, no access to the staging resource group), with what to do about it.
 */
import { isRestError } from "@azure/core-rest-pipeline";

/** Container where Image Builder keeps its build logs. */
export const LOG_CONTAINER = "packerlogs";

/** How an error of a log call is handled. */
export type LogErrorVerdict =
  | { kind: "waiting"; reason: string }
  | { kind: "transient"; reason: string }
  | { kind: "unavailable"; reason: string; remedy: string };

/** Names of the staging resource group, for messages. */
interface Where {
  stagingResourceGroup: string;
  account?: string;
}

/** What to do for the common causes (the identity is the one the pipeline signs in with). */
export const REMEDY_DATA_ROLE = (rg: string) =>
  `To see it live, assign 'Storage Blob Data Reader' on the staging resource group ${rg} to the identity this pipeline signs in with ` +
  `(or give the template a staging resource group you grant it on).`;
const REMEDY_ARM_READ = (rg: string) =>
  `To see it live, assign 'Reader' and 'Storage Blob Data Reader' on the staging resource group ${rg} to the identity this pipeline signs in with ` +
  `(or give the template a staging resource group you grant them on).`;
const REMEDY_NETWORK = (rg: string) =>
  `When the build is network-isolated, its staging storage account admits only its own network: run this job on an agent that can reach it, ` +
  `or allow the agent's address in the storage account's firewall; the identity also needs 'Storage Blob Data Reader' on the staging resource group ${rg}.`;

/**
 * Classifies an error of a log call. `stage` is what was being done; `readBefore` whether the account
 * answered before (a connection error then is a blip, not a closed network).
 */
export function classifyLogError(error: unknown, stage: "arm" | "blob", where: Where, readBefore = false): LogErrorVerdict {
  const rg = where.stagingResourceGroup;
  const account = where.account ?? "the staging storage account";
  const status = isRestError(error) ? error.statusCode : undefined;
  const code = (isRestError(error) ? error.code : (error as { code?: string } | undefined)?.code) ?? "";
  const firstLine = String((error as Error | undefined)?.message ?? error)
    .split("\n")[0]!
    .trim();
  if (stage === "arm") {
    if (status === 404) return { kind: "waiting", reason: `the staging resource group ${rg} does not exist yet` };
    if (status === 401 || status === 403) {
      return {
        kind: "unavailable",
        reason: `the identity this pipeline signs in with may not list the storage accounts of the staging resource group ${rg} (${code || status})`,
        remedy: REMEDY_ARM_READ(rg),
      };
    }
    return { kind: "transient", reason: `listing the storage accounts of ${rg} failed: ${firstLine}` };
  }
  if (status === 404) {
    return code === "ContainerNotFound" || code === "BlobNotFound" || code === "ResourceNotFound"
      ? { kind: "waiting", reason: `${account} has no ${code === "BlobNotFound" ? "customization.log" : `'${LOG_CONTAINER}' container`} yet` }
      : { kind: "waiting", reason: `${account}: ${code || "404"}` };
  }
  if (status === 403 && code === "AuthorizationPermissionMismatch") {
    return {
      kind: "unavailable",
      reason: `the identity this pipeline signs in with has no data-plane role on storage account ${account} in ${rg} (AuthorizationPermissionMismatch)`,
      remedy: REMEDY_DATA_ROLE(rg),
    };
  }
  if (status === 403 && code === "AuthorizationFailure") {
    return {
      kind: "unavailable",
      reason: `storage account ${account} in ${rg} refused the request (AuthorizationFailure: its firewall or a private endpoint keeps this agent out, or the identity has no data access)`,
      remedy: REMEDY_NETWORK(rg),
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: "unavailable",
      reason: `storage account ${account} in ${rg} refused the sign-in (${code || status}: ${firstLine})`,
      remedy: REMEDY_DATA_ROLE(rg),
    };
  }
  const unreachable =
    status === undefined &&
    /REQUEST_SEND_ERROR|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|CERT|TimeoutError|AbortError/i.test(
      `${code} ${(error as Error | undefined)?.name ?? ""} ${firstLine}`,
    );
  if (unreachable && !readBefore) {
    return {
      kind: "unavailable",
      reason: `this agent cannot reach the blob endpoint of storage account ${account} in ${rg} (${code || firstLine})`,
      remedy: REMEDY_NETWORK(rg),
    };
  }
  return { kind: "transient", reason: `reading customization.log from ${account} failed: ${firstLine}` };
}
