/**
 * Uploads repository scripts (the `scripts` input) to the blob container the user named, through
 * @azure/storage-blob with the run's TokenCredential (scope `https://storage.azure.com/.default`;
 * the signed-in identity needs 'Storage Blob Data Contributor' on the container).
 *
 * Blob service REST operations (x-ms-version as the SDK sends it): Get Blob Properties to read the
 * `sha256` metadata of a blob, Create Container (if it does not exist) and Put Blob with that metadata.
 * A blob whose `sha256` metadata already equals the script's SHA-256 is not uploaded again. Blob names
 * are `<sha256>/<path>`, so an upload never changes the bytes an older template points at.
 *
 * The build VM downloads the blobs with the image template's managed identity ('Storage Blob Data
 * Reader' on the container): no SAS token is made.
 */
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import { ActionError } from "../errors.ts";
import type { ScriptUpload } from "../template/scripts.ts";

/** Where scripts are stored. Both methods throw the SDK's RestError on failure. */
export interface ScriptStore {
  /** The `sha256` metadata of the upload's blob: undefined when the blob does not exist, '' when it has none. */
  storedSha256(upload: ScriptUpload): Promise<string | undefined>;
  /** Creates the container when needed and writes the blob with `sha256` metadata (overwriting). */
  put(upload: ScriptUpload): Promise<void>;
}

/** Raised when a script cannot be uploaded; the message says why and what to do. */
export class ScriptUploadError extends ActionError {
  override name = "ScriptUploadError";
}

/** Time allowed for one storage call, retries included (ms). */
const CALL_TIMEOUT_MS = 60_000;

/** The store backed by Azure Storage (the blob endpoint of each upload), signed in with `credential`. */
export function createScriptStore(credential: TokenCredential): ScriptStore {
  // Loaded on the first script that needs it: a run without blob scripts never loads the storage SDK chunk.
  let sdk: Promise<typeof import("@azure/storage-blob")> | undefined;
  const services = new Map<string, import("@azure/storage-blob").BlobServiceClient>();
  const containersReady = new Set<string>();
  const service = async (endpoint: string) => {
    let client = services.get(endpoint);
    if (!client) {
      const { BlobServiceClient } = await (sdk ??= import("@azure/storage-blob"));
      client = new BlobServiceClient(endpoint, credential, { retryOptions: { maxTries: 3, tryTimeoutInMs: CALL_TIMEOUT_MS } });
      services.set(endpoint, client);
    }
    return client;
  };
  return {
    async storedSha256(upload) {
      const blob = (await service(upload.blobEndpoint)).getContainerClient(upload.container).getBlobClient(upload.blobName);
      try {
        const properties = await blob.getProperties();
        return properties.metadata?.sha256 ?? "";
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    async put(upload) {
      const container = (await service(upload.blobEndpoint)).getContainerClient(upload.container);
      const key = `${upload.blobEndpoint}${upload.container}`;
      if (!containersReady.has(key)) {
        await container.createIfNotExists();
        containersReady.add(key);
      }
      await container.getBlockBlobClient(upload.blobName).uploadData(upload.content, {
        metadata: { sha256: upload.sha256 },
        blobHTTPHeaders: { blobContentType: /\.ps1$/i.test(upload.path) ? "text/plain; charset=utf-8" : "application/octet-stream" },
      });
    },
  };
}

function explain(upload: ScriptUpload, error: unknown): ScriptUploadError {
  const where = `container '${upload.container}' at ${upload.blobEndpoint}`;
  if (isRestError(error)) {
    const code = (error.code ?? "") as string;
    if (error.statusCode === 403) {
      return new ScriptUploadError(
        `Uploading '${upload.path}' to ${where} was refused (${code || 403}). Give the identity this pipeline signs in with 'Storage Blob Data Contributor' on the storage account or container, ` +
          `and let this runner through the account's firewall; the image template's identity needs 'Storage Blob Data Reader' there.`,
      );
    }
    if (error.statusCode === 404 && /ResourceNotFound|AccountNotFound/i.test(code)) {
      return new ScriptUploadError(
        `Uploading '${upload.path}': storage account at ${upload.blobEndpoint} was not found (${code}); check 'scripts-storage-account'.`,
      );
    }
    return new ScriptUploadError(
      `Uploading '${upload.path}' to ${where} failed: ${error.statusCode ?? ""} ${code} ${error.message.split("\n")[0]}`.replace(/\s+/g, " ").trim(),
    );
  }
  return new ScriptUploadError(
    `Uploading '${upload.path}' to ${where} failed: ${(error as Error).message}. Is the storage account reachable from this runner?`,
  );
}

/**
 * Uploads what is not there yet: for each upload, reads the blob's `sha256` metadata and writes the
 * blob only when it is missing or differs.
 * @param store where to upload; undefined is a programming error when there are uploads.
 * @param log one line per script (uploaded, or unchanged and skipped).
 * @returns the paths uploaded and the paths left as they were.
 * @throws ScriptUploadError naming the script, the container and the fix (e.g. the missing data role).
 */
export async function uploadScripts(
  store: ScriptStore | undefined,
  uploads: readonly ScriptUpload[],
  log: (message: string) => void,
): Promise<{ uploaded: string[]; unchanged: string[] }> {
  const result = { uploaded: [] as string[], unchanged: [] as string[] };
  if (uploads.length === 0) return result;
  if (!store) throw new ScriptUploadError("Repository scripts need uploading but no script store was given to the run.");
  for (const upload of uploads) {
    let stored: string | undefined;
    try {
      stored = await store.storedSha256(upload);
      if (stored === upload.sha256) {
        result.unchanged.push(upload.path);
        log(`Script ${upload.path}: unchanged (sha256 ${upload.sha256.slice(0, 12)}…), already at ${upload.url}; not uploaded again.`);
        continue;
      }
      await store.put(upload);
    } catch (error) {
      throw explain(upload, error);
    }
    result.uploaded.push(upload.path);
    log(`Script ${upload.path}: uploaded (${upload.content.byteLength} bytes, sha256 ${upload.sha256.slice(0, 12)}…) to ${upload.url}.`);
  }
  return result;
}
