/**
 * Real Azure SDK clients and credentials pointed at an emulator, tuned for fast tests
 * (short LRO poll interval and retry delays; the pipeline's retry policy still applies).
 */

import { ComputeManagementClient } from "@azure/arm-compute";
import { ImageBuilderClient } from "@azure/arm-imagebuilder";
import type { TokenCredential } from "@azure/identity";
import { ClientAssertionCredential, ClientSecretCredential } from "@azure/identity";
import type { Emulator } from "../../emulator/index.ts";

/** Poll interval (ms) tests pass as `updateIntervalInMs`; core-lro ignores `Retry-After: 0`. */
export const POLL_MS = 10;

/** Retry options: the SDK's default policy (3 retries) with millisecond delays. */
export const FAST_RETRY = { retryDelayInMs: 5, maxRetryDelayInMs: 20 } as const;

/** ClientSecretCredential for the emulator's default app (or the given one). */
export function secretCredential(emu: Emulator, o: { tenantId?: string; clientId?: string; secret?: string } = {}): ClientSecretCredential {
  return new ClientSecretCredential(o.tenantId ?? emu.defaults.tenantId, o.clientId ?? emu.defaults.clientId, o.secret ?? emu.defaults.clientSecret, {
    authorityHost: emu.url,
    disableInstanceDiscovery: true,
    retryOptions: { maxRetries: 0 },
  });
}

/** ClientAssertionCredential whose assertion is a GitHub OIDC token from the emulator (memoised per call of getAssertion). */
export function githubCredential(emu: Emulator, getAssertion: () => Promise<string> = async () => emu.mintGithubOidcToken()): ClientAssertionCredential {
  return new ClientAssertionCredential(emu.defaults.tenantId, emu.defaults.clientId, getAssertion, {
    authorityHost: emu.url,
    disableInstanceDiscovery: true,
    retryOptions: { maxRetries: 0 },
  });
}

/** ImageBuilderClient on the emulator. */
export function imageBuilderClient(emu: Emulator, cred: TokenCredential = secretCredential(emu)): ImageBuilderClient {
  return new ImageBuilderClient(cred, emu.defaults.subscriptionId, { endpoint: emu.url, retryOptions: FAST_RETRY });
}

/** ComputeManagementClient on the emulator. */
export function computeClient(emu: Emulator, cred: TokenCredential = secretCredential(emu)): ComputeManagementClient {
  return new ComputeManagementClient(cred, emu.defaults.subscriptionId, { endpoint: emu.url, retryOptions: FAST_RETRY });
}

/** Raw HTTPS request to the emulator (trusting it via the default CA list); JSON body in and out. */
export async function raw(
  emu: Emulator,
  method: string,
  path: string,
  o: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? (await armToken(emu))}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path.startsWith("https://") ? path : `${emu.url}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

const tokenCache = new WeakMap<Emulator, { token: string; exp: number }>();

/** An ARM access token for the default app (cached per emulator until 1 minute before expiry). */
export async function armToken(emu: Emulator): Promise<string> {
  const c = tokenCache.get(emu);
  if (c && c.exp > Date.now() + 60_000) return c.token;
  const t = await secretCredential(emu).getToken("https://management.azure.com/.default");
  tokenCache.set(emu, { token: t.token, exp: t.expiresOnTimestamp });
  return t.token;
}

/** Typical AVD image template (flattened SDK model) distributing to `galleryImageId`. */
export function avdTemplate(o: {
  identityId: string;
  galleryImageId: string;
  location?: string;
  runOutputName?: string;
  sourceVersion?: string;
  customizerName?: string;
  buildTimeoutInMinutes?: number;
  tags?: Record<string, string>;
  artifactTags?: Record<string, string>;
}): any {
  return {
    location: o.location ?? "westeurope",
    tags: o.tags,
    identity: { type: "UserAssigned", userAssignedIdentities: { [o.identityId]: {} } },
    source: {
      type: "PlatformImage",
      publisher: "MicrosoftWindowsDesktop",
      offer: "office-365",
      sku: "win11-24h2-avd-m365",
      version: o.sourceVersion ?? "latest",
    },
    customize: [{ type: "PowerShell", name: o.customizerName ?? "install-apps", inline: ["Write-Host hello"], runElevated: true }],
    distribute: [
      {
        type: "SharedImage",
        runOutputName: o.runOutputName ?? "avd-image",
        galleryImageId: o.galleryImageId,
        targetRegions: [{ name: "westeurope", replicaCount: 1, storageAccountType: "Standard_LRS" }],
        artifactTags: o.artifactTags,
      },
    ],
    buildTimeoutInMinutes: o.buildTimeoutInMinutes,
    vmProfile: { vmSize: "Standard_D4s_v5", osDiskSizeGB: 127 },
  };
}
