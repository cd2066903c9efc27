/**
 * Reads the whole customization.log of an earlier build, for the changelog: the log Image Builder kept in
 * the `packerlogs` container of the template's staging resource group, in the folder created while that
 * build ran. Same SDK calls as the live build log (log-blob.ts: Microsoft.Storage 2025-08-01
 * StorageAccounts_ListByResourceGroup, @azure/storage-blob List Blobs and ranged Get Blob), read once.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { CloudEndpoints } from "../cloud.ts";
import { parseResourceGroupId } from "../resource-id.ts";
import { type BuildLogStores, createBuildLogStores } from "./log-blob.ts";
import { classifyLogError } from "./log-errors.ts";

/** What identifies an earlier build's log. */
export interface EarlierBuildLog {
  /** `exactStagingResourceGroup` of its template. */
  stagingResourceGroupId: string;
  /** Its build start and end (the version's provenance tags). */
  start: Date;
  end?: Date;
}

/** Reads an earlier build's log; resolves to its text, or to `{ missing }` saying in words why there is none. */
export type EarlierLogReader = (target: EarlierBuildLog) => Promise<string | { missing: string }>;

/** A blob created this long before the tagged build start still counts as that build's (clock skew), ms. */
const START_SKEW_MS = 5 * 60_000;
/** Most bytes read of an earlier log (8 MiB a request). */
const MAX_BYTES = 64 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;
const CALL_TIMEOUT_MS = 20_000;

/**
 * The reader over `stores`: the staging resource group's storage accounts, the `<guid>/customization.log`
 * created between the build's start (less {@link START_SKEW_MS}) and its end, newest first. Never throws.
 */
export function createEarlierLogReader(stores: BuildLogStores): EarlierLogReader {
  return async ({ stagingResourceGroupId, start, end }) => {
    const group = parseResourceGroupId(stagingResourceGroupId);
    if (!group) return { missing: `'${stagingResourceGroupId}' is not a resource group ID` };
    const signal = () => AbortSignal.timeout(CALL_TIMEOUT_MS);
    try {
      const accounts = (await stores.listAccounts(group.subscriptionId, group.resourceGroup, signal())).filter((a) => a.blobEndpoint);
      if (!accounts.length) return { missing: `the staging resource group ${group.resourceGroup} holds no storage account` };
      for (const account of accounts) {
        const blobs = await stores.listLogBlobs(account.blobEndpoint!, signal());
        const within = blobs
          .filter((b) => /^[^/]+\/customization\.log$/.test(b.name))
          .filter((b) => {
            const created = (b.createdOn ?? b.lastModified)?.getTime() ?? 0;
            return created >= start.getTime() - START_SKEW_MS && (!end || created <= end.getTime());
          })
          .sort((a, b) => (b.createdOn ?? b.lastModified)!.getTime() - (a.createdOn ?? a.lastModified)!.getTime())[0];
        if (!within) continue;
        const chunks: Uint8Array[] = [];
        let offset = 0;
        while (offset < MAX_BYTES) {
          const bytes = await stores.read(account.blobEndpoint!, within.name, offset, CHUNK, signal());
          if (bytes.byteLength === 0) break;
          chunks.push(bytes);
          offset += bytes.byteLength;
          if (bytes.byteLength < CHUNK) break;
        }
        return Buffer.concat(chunks).toString("utf8");
      }
      return { missing: `no customization.log of that build in the staging resource group ${group.resourceGroup}` };
    } catch (error) {
      const verdict = classifyLogError(error, "blob", { stagingResourceGroup: group.resourceGroup });
      return { missing: `its customization.log could not be read (${verdict.reason})` };
    }
  };
}

/** The SDK-backed reader the entry point gives the pipeline; `debug` gets each ARM call (log-blob.ts `createBuildLogStores`). */
export function createEarlierLogOpener(credential: TokenCredential, cloud: CloudEndpoints, debug?: (message: string) => void): EarlierLogReader {
  let reader: EarlierLogReader | undefined;
  return (target) => (reader ??= createEarlierLogReader(createBuildLogStores(credential, cloud, debug)))(target);
}
