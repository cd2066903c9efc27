/**
 * Reads the content of a script or file the build VM will download (`script-uris`, a template file's
 * `scriptUri` / `sourceUri`), so the action can pin its SHA-256 before the template is created.
 *
 * - Azure Blob Storage URLs (`https://<account>.blob.<storage suffix>/…` of the run's cloud, or under the
 *   `scripts-storage-account` endpoint): @azure/storage-blob `BlobClient.downloadToBuffer` (Get Blob) with
 *   the run's TokenCredential (scope `https://storage.azure.com/.default`; the signed-in identity needs
 *   'Storage Blob Data Reader'). When the credential is refused (401/403) the blob is read anonymously,
 *   as a blob in a public container is.
 * - Other HTTPS URLs: `fetch` (GET), following redirects.
 *
 * Each read is bounded by {@link READ_TIMEOUT_MS}.
 */
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import { ActionError } from "../errors.ts";

/** Reads what a URI serves. */
export interface ScriptContentReader {
  /**
   * @returns the bytes `uri` serves.
   * @throws ScriptReadError saying why it could not be read (status, network error, timeout).
   */
  read(uri: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** A URI that could not be read; `message` says why (HTTP status, network error, timeout). */
export class ScriptReadError extends ActionError {
  override name = "ScriptReadError";
}

/** Time allowed to read one URI, retries included (ms). */
export const READ_TIMEOUT_MS = 30_000;

/** Blob service host suffixes of the Azure clouds. */
const BLOB_HOST = /\.blob\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/i;

/**
 * The reader for a run.
 * @param credential the run's Azure credential (for Blob Storage URLs).
 * @param blobEndpoints blob service endpoints whose URLs are Blob Storage too (the `scripts-storage-account`
 *   endpoint, e.g. a private cloud's or the local Azurite's).
 */
export function createScriptContentReader(credential: TokenCredential, blobEndpoints: string[] = []): ScriptContentReader {
  // Loaded on the first script that needs it: a run without blob scripts never loads the storage SDK chunk.
  let sdk: Promise<typeof import("@azure/storage-blob")> | undefined;
  const isBlob = (url: URL) => BLOB_HOST.test(url.hostname) || blobEndpoints.some((e) => url.href.toLowerCase().startsWith(e.toLowerCase()));
  const anonymous = async (uri: string, signal: AbortSignal) => {
    let response: Response;
    try {
      response = await fetch(uri, { signal, redirect: "follow" });
    } catch (error) {
      throw new ScriptReadError(signal.aborted ? `no answer within ${READ_TIMEOUT_MS / 1000} s` : `${(error as Error).message}${causeOf(error)}`);
    }
    if (!response.ok) throw new ScriptReadError(`HTTP ${response.status} ${response.statusText}`.trim());
    return new Uint8Array(await response.arrayBuffer());
  };
  return {
    async read(uri, outer) {
      const signal = outer ? AbortSignal.any([outer, AbortSignal.timeout(READ_TIMEOUT_MS)]) : AbortSignal.timeout(READ_TIMEOUT_MS);
      const url = new URL(uri);
      if (!isBlob(url)) return anonymous(uri, signal);
      const { BlobClient } = await (sdk ??= import("@azure/storage-blob"));
      try {
        const blob = new BlobClient(uri, credential, { retryOptions: { maxTries: 3, tryTimeoutInMs: READ_TIMEOUT_MS } });
        return new Uint8Array(await blob.downloadToBuffer(0, undefined, { abortSignal: signal }));
      } catch (error) {
        if (isRestError(error) && (error.statusCode === 401 || error.statusCode === 403)) {
          return anonymous(uri, signal).catch((anon: Error) => {
            throw new ScriptReadError(
              `Azure Storage refused the run's identity (${error.statusCode}${error.code ? ` ${error.code}` : ""}) and an anonymous read failed too (${anon.message}); give the identity 'Storage Blob Data Reader' on the container`,
            );
          });
        }
        if (isRestError(error)) {
          // A HEAD (Get Blob Properties) has no body: Storage's code is in the x-ms-error-code header.
          const code = error.response?.headers.get("x-ms-error-code") ?? error.code;
          throw new ScriptReadError(`Azure Storage answered ${error.statusCode ?? "no status"}${code ? ` ${code}` : ""}`);
        }
        throw new ScriptReadError(signal.aborted ? `no answer within ${READ_TIMEOUT_MS / 1000} s` : (error as Error).message);
      }
    },
  };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : "";
}
