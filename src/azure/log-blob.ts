/**
 * The storage side of the live build log: find an Image Builder run's `customization.log` and read what
 * is new of it, through the Azure SDK clients only.
 *
 * - The staging resource group's storage accounts: @azure/arm-storage 20.x, Microsoft.Storage
 *   api-version 2025-08-01 (StorageAccounts_ListByResourceGroup). 20.x is a TypeSpec "modular" client:
 *   redirected with `{ endpoint }` like the other ARM clients, ARM-scoped tokens via `credentials.scopes`.
 *   Only its `api` layer is imported (`createStorageManagement` + `listByResourceGroup`, the functions the
 *   `StorageManagementClient` class wraps): the class instantiates every operation group of the RP and
 *   adds ~170 KB to the bundle.
 * - The log: @azure/storage-blob, container `packerlogs`, blob `<guid>/customization.log` (AIB writes one
 *   folder per run; the one of this run is the newest created since the run started), read with ranged
 *   downloads of only the bytes after the last read (`download(offset)`), with the run's TokenCredential
 *   (scope `https://storage.azure.com/.default`; reading needs 'Storage Blob Data Reader').
 *
 * A log that does not exist yet is normal in a build's first minutes: {@link BuildLogTail.poll} then says
 * `waiting`. A log that cannot be read (no data-plane role, a storage firewall or private endpoint, no
 * access to the staging resource group) throws {@link BuildLogUnavailableError}, once, with why and what
 * to do.
 */

import type { StorageManagementContext } from "@azure/arm-storage/api";
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import type { ContainerClient } from "@azure/storage-blob";
import type { CloudEndpoints } from "../cloud.ts";
import { ActionError } from "../errors.ts";
import { parseResourceGroupId } from "../resource-id.ts";
import { type ArmLog, armCallLogPolicy } from "./arm-options.ts";
import { LOG_CONTAINER, type LogErrorVerdict, classifyLogError } from "./log-errors.ts";

export { LOG_CONTAINER };

/** Blob name of a run's customization log: `<guid>/customization.log`. */
const LOG_BLOB = /^[^/]+\/customization\.log$/;
/** A run's blob is created after the run started; allow for clock skew and second-precision times (ms). */
const CREATED_SKEW_MS = 2000;
/** Most bytes read at once (a log of a long build can be large when a step attaches to it late). */
const MAX_READ_BYTES = 8 * 1024 * 1024;
/** Time allowed for one storage or ARM call of the log, retries included (ms). */
const CALL_TIMEOUT_MS = 20_000;
/** Consecutive transient failures (5xx, dropped connections) tolerated before giving up. */
const MAX_TRANSIENT_FAILURES = 5;
/** Longest gap, in polls, between two searches for the staging storage account while it is missing. */
const MAX_LOCATE_GAP_POLLS = 20;

/** Where a run's log is. */
export interface BuildLogLocation {
  /** Storage account name. */
  account: string;
  /** `<guid>/customization.log`. */
  blobName: string;
  /** URL of the blob. */
  url: string;
}

/** The result of one poll. */
export type BuildLogPoll =
  /** The log is not there yet (quiet: retried at the next poll). */
  | { kind: "waiting"; reason: string }
  /** The bytes written since the last poll (maybe none). */
  | { kind: "data"; bytes: Uint8Array; location: BuildLogLocation };

/** The log cannot be read and will not become readable during this run. */
export class BuildLogUnavailableError extends ActionError {
  override name = "BuildLogUnavailableError";
  /** What to do about it ('' when nothing can be done); also the one line of `details`. */
  readonly remedy: string;
  constructor(reason: string, remedy: string) {
    super(reason, { details: remedy ? [remedy] : [] });
    this.remedy = remedy;
  }
}

/** Follows one run's customization.log. */
export interface BuildLogTail {
  /**
   * Reads what is new. `final` (after the run ended) searches once more even while the storage
   * account search is backing off.
   * @throws BuildLogUnavailableError when the log cannot be read; the abort reason when `abortSignal` aborts.
   */
  poll(options?: { abortSignal?: AbortSignal; final?: boolean }): Promise<BuildLogPoll>;
}

/** What identifies a run's log. */
export interface BuildLogTarget {
  /** `exactStagingResourceGroup` of the template: `/subscriptions/<id>/resourceGroups/<name>`. */
  stagingResourceGroupId: string;
  /** `lastRunStatus.startTime` of the run. */
  buildStartTime: Date;
}

/** Opens the tail of a run's log. */
export type BuildLogOpener = (target: BuildLogTarget) => BuildLogTail;

/** A blob in `packerlogs`. */
export interface LogBlob {
  name: string;
  createdOn?: Date;
  lastModified?: Date;
}

/** The two stores the tail talks to (the SDK clients, or fakes in tests). */
export interface BuildLogStores {
  /** Storage accounts of a resource group: name and blob endpoint. */
  listAccounts(subscriptionId: string, resourceGroup: string, abortSignal: AbortSignal): Promise<{ name: string; blobEndpoint?: string }[]>;
  /** Blobs of `packerlogs` in an account. */
  listLogBlobs(blobEndpoint: string, abortSignal: AbortSignal): Promise<LogBlob[]>;
  /** Bytes of a blob from `offset` (at most `count`); none when nothing is past `offset`. */
  read(blobEndpoint: string, blobName: string, offset: number, count: number, abortSignal: AbortSignal): Promise<Uint8Array>;
  /** URL of a blob, for messages. */
  blobUrl(blobEndpoint: string, blobName: string): string;
}

/**
 * The SDK-backed stores: ARM through @azure/arm-storage at `cloud.armEndpoint`, blobs through
 * @azure/storage-blob. Both SDKs are loaded on first use (a dynamic import, still inside the bundle): they
 * are evaluated only by runs that follow a build, not by dry runs, skips or the post step.
 * @param debug where each ARM call (the storage account list) is logged at debug level (arm-options.ts
 *   `armCallLogPolicy`); the blob reads are not (@azure/storage-blob takes no additional pipeline policies).
 */
export function createBuildLogStores(credential: TokenCredential, cloud: CloudEndpoints, debug?: ArmLog): BuildLogStores {
  const arm = new Map<string, StorageManagementContext>();
  const blobs = new Map<string, ContainerClient>();
  const sdk = lazy(async () => ({
    ...(await import("@azure/arm-storage/api")),
    ...(await import("@azure/arm-storage/api/storageAccounts")),
    ...(await import("@azure/storage-blob")),
  }));
  const container = async (blobEndpoint: string): Promise<ContainerClient> => {
    let client = blobs.get(blobEndpoint);
    if (!client) {
      const { BlobServiceClient } = await sdk();
      const service = new BlobServiceClient(blobEndpoint, credential, {
        retryOptions: { maxTries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 2000, tryTimeoutInMs: CALL_TIMEOUT_MS },
      });
      client = service.getContainerClient(LOG_CONTAINER);
      blobs.set(blobEndpoint, client);
    }
    return client;
  };
  return {
    async listAccounts(subscriptionId, resourceGroup, abortSignal) {
      const { createStorageManagement, listByResourceGroup } = await sdk();
      let context = arm.get(subscriptionId.toLowerCase());
      if (!context) {
        context = createStorageManagement(credential, subscriptionId, {
          endpoint: cloud.armEndpoint,
          credentials: { scopes: [cloud.armScope] },
          ...(debug ? { additionalPolicies: [{ policy: armCallLogPolicy(debug), position: "perRetry" as const }] } : {}),
        });
        arm.set(subscriptionId.toLowerCase(), context);
      }
      const accounts: { name: string; blobEndpoint?: string }[] = [];
      for await (const account of listByResourceGroup(context, resourceGroup, { abortSignal })) {
        accounts.push({ name: account.name ?? "", blobEndpoint: account.primaryEndpoints?.blob });
      }
      return accounts;
    },
    async listLogBlobs(blobEndpoint, abortSignal) {
      const found: LogBlob[] = [];
      for await (const blob of (await container(blobEndpoint)).listBlobsFlat({ abortSignal })) {
        found.push({ name: blob.name, createdOn: blob.properties.createdOn, lastModified: blob.properties.lastModified });
      }
      return found;
    },
    async read(blobEndpoint, blobName, offset, count, abortSignal) {
      try {
        const response = await (await container(blobEndpoint)).getBlobClient(blobName).download(offset, count, { abortSignal });
        return await readAll(response.readableStreamBody);
      } catch (error) {
        // 416 InvalidRange: nothing was written past `offset` (Azure; Azurite answers 206 with no bytes).
        if (isRestError(error) && error.statusCode === 416) return new Uint8Array();
        throw error;
      }
    },
    blobUrl: (blobEndpoint, blobName) => `${blobEndpoint.replace(/\/+$/, "")}/${LOG_CONTAINER}/${blobName.split("/").map(encodeURIComponent).join("/")}`,
  };
}

/** The opener the entry point gives the build step; `debug` as {@link createBuildLogStores}'s. */
export function createBuildLogOpener(credential: TokenCredential, cloud: CloudEndpoints, debug?: ArmLog): BuildLogOpener {
  let stores: BuildLogStores | undefined;
  return (target) => createBuildLogTail((stores ??= createBuildLogStores(credential, cloud, debug)), target);
}

/**
 * The tail of one run's log over `stores`: searches the staging resource group's storage accounts (with
 * a backoff in polls while there is none, to spare ARM requests), then the newest `customization.log`
 * created since the run started, then reads only the bytes past the last read.
 */
export function createBuildLogTail(stores: BuildLogStores, target: BuildLogTarget): BuildLogTail {
  const group = parseResourceGroupId(target.stagingResourceGroupId);
  const rgName = group?.resourceGroup ?? target.stagingResourceGroupId;
  let accounts: { name: string; blobEndpoint: string; readBefore: boolean }[] | undefined;
  let located: (BuildLogLocation & { blobEndpoint: string }) | undefined;
  let offset = 0;
  let polls = 0;
  let nextLocatePoll = 0;
  let locateGap = 1;
  let transientFailures = 0;

  const withTimeout = (signal?: AbortSignal) =>
    signal ? AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]) : AbortSignal.timeout(CALL_TIMEOUT_MS);

  /** Handles a failed call: rethrows aborts, throws unavailable, counts transients; returns a waiting poll. */
  const failed = (error: unknown, verdict: LogErrorVerdict, signal?: AbortSignal): BuildLogPoll => {
    if (signal?.aborted) throw signal.reason ?? error;
    if (verdict.kind === "unavailable") throw new BuildLogUnavailableError(verdict.reason, verdict.remedy);
    if (verdict.kind === "transient") {
      transientFailures += 1;
      if (transientFailures >= MAX_TRANSIENT_FAILURES) {
        throw new BuildLogUnavailableError(
          `${verdict.reason} (${transientFailures} times in a row)`,
          `The log stays in the '${LOG_CONTAINER}' container of the staging resource group ${rgName}'s storage account.`,
        );
      }
    }
    return { kind: "waiting", reason: verdict.reason };
  };

  const findAccounts = async (signal: AbortSignal | undefined, final: boolean): Promise<BuildLogPoll | undefined> => {
    if (!group) throw new BuildLogUnavailableError(`the template's staging resource group '${target.stagingResourceGroupId}' is not a resource group ID`, "");
    if (!final && polls < nextLocatePoll) return { kind: "waiting", reason: `no storage account in the staging resource group ${rgName} yet` };
    try {
      const found = await stores.listAccounts(group.subscriptionId, group.resourceGroup, withTimeout(signal));
      transientFailures = 0;
      const usable = found.filter((a): a is { name: string; blobEndpoint: string } => Boolean(a.blobEndpoint));
      if (usable.length > 0) {
        accounts = usable.map((a) => ({ ...a, readBefore: false }));
        return undefined;
      }
    } catch (error) {
      const verdict = classifyLogError(error, "arm", { stagingResourceGroup: rgName });
      if (verdict.kind !== "waiting") return failed(error, verdict, signal);
    }
    // Nothing there yet: search again after 1, 2, 4, … polls (at most MAX_LOCATE_GAP_POLLS apart).
    nextLocatePoll = polls + locateGap;
    locateGap = Math.min(locateGap * 2, MAX_LOCATE_GAP_POLLS);
    return { kind: "waiting", reason: `no storage account in the staging resource group ${rgName}` };
  };

  const findBlob = async (signal: AbortSignal | undefined): Promise<BuildLogPoll | undefined> => {
    const notBefore = target.buildStartTime.getTime() - CREATED_SKEW_MS;
    let waiting: BuildLogPoll | undefined;
    let unavailable: { error: unknown; verdict: LogErrorVerdict } | undefined;
    for (const account of accounts!) {
      try {
        const blobs = await stores.listLogBlobs(account.blobEndpoint, withTimeout(signal));
        account.readBefore = true;
        transientFailures = 0;
        const newest = blobs
          .filter((b) => LOG_BLOB.test(b.name) && (b.createdOn ?? b.lastModified ?? new Date(0)).getTime() >= notBefore)
          .sort((a, b) => (b.createdOn ?? b.lastModified)!.getTime() - (a.createdOn ?? a.lastModified)!.getTime())[0];
        if (newest) {
          located = {
            account: account.name,
            blobName: newest.name,
            blobEndpoint: account.blobEndpoint,
            url: stores.blobUrl(account.blobEndpoint, newest.name),
          };
          return undefined;
        }
        waiting ??= { kind: "waiting", reason: `no customization.log of this run in ${account.name} yet` };
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        const verdict = classifyLogError(error, "blob", { stagingResourceGroup: rgName, account: account.name }, account.readBefore);
        if (verdict.kind === "waiting") waiting ??= verdict;
        else if (verdict.kind === "transient") waiting ??= failed(error, verdict, signal);
        else unavailable ??= { error, verdict };
      }
    }
    if (waiting) return waiting;
    return failed(unavailable!.error, unavailable!.verdict, signal);
  };

  return {
    async poll(options = {}) {
      const { abortSignal, final = false } = options;
      polls += 1;
      if (!located) {
        if (!accounts) {
          const result = await findAccounts(abortSignal, final);
          if (result) return result;
        }
        const result = await findBlob(abortSignal);
        if (result) return result;
      }
      const log = located!;
      try {
        const bytes = await stores.read(log.blobEndpoint, log.blobName, offset, MAX_READ_BYTES, withTimeout(abortSignal));
        transientFailures = 0;
        offset += bytes.byteLength;
        return { kind: "data", bytes, location: { account: log.account, blobName: log.blobName, url: log.url } };
      } catch (error) {
        const verdict = classifyLogError(error, "blob", { stagingResourceGroup: rgName, account: log.account }, true);
        // The blob was found: a 404 now is not "not yet" but a blip (or a deleted log), counted as transient.
        return failed(error, verdict.kind === "waiting" ? { kind: "transient", reason: verdict.reason } : verdict, abortSignal);
      }
    },
  };
}

/** `load` run once, on first call. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
