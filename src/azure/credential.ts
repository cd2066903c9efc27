/**
 * Credentials for Resource Manager, built with @azure/identity.
 *
 * - OIDC federation: `ClientAssertionCredential` fed by the host's OIDC token (GitHub's
 *   `core.getIDToken(audience)`, the audience following the cloud: `api://AzureADTokenExchange`, `…USGov`,
 *   `…China`, or the `audience` input). The assertion is memoized until shortly before it
 *   expires and then minted again, so builds of several hours keep authenticating (an az CLI session
 *   reused from azure/login dies after about an hour with AADSTS700024).
 * - Otherwise `DefaultAzureCredential` (environment variables, workload identity, managed identity,
 *   Azure CLI, …).
 */
import type { TokenCredential } from "@azure/core-auth";
import { ClientAssertionCredential, DefaultAzureCredential } from "@azure/identity";
import type { CloudEndpoints } from "../cloud.ts";

/** Mints an OIDC token (a JWT) for the run's token exchange audience (e.g. `api://AzureADTokenExchange`). */
export type OidcTokenSource = () => Promise<string>;

/** Seconds before an assertion's `exp` at which it is minted again. */
const ASSERTION_REFRESH_MARGIN_SECONDS = 60;
/** Lifetime assumed for an assertion whose `exp` cannot be read, in seconds. */
const ASSERTION_FALLBACK_LIFETIME_SECONDS = 240;

/** The identity options every credential gets for `cloud` (authority host; no instance discovery off Entra's hosts). */
function identityOptions(cloud: CloudEndpoints): { authorityHost: string; disableInstanceDiscovery: boolean } {
  return { authorityHost: cloud.authorityHost, disableInstanceDiscovery: cloud.customAuthority };
}

/**
 * A credential that exchanges an OIDC token for Entra ID access tokens (workload identity federation).
 * The token from `mint` is reused while it has more than 60 s left (its JWT `exp`), so the
 * assertion callback — which MSAL calls more than once per token — does not mint each time.
 */
export function createFederatedCredential(tenantId: string, clientId: string, mint: OidcTokenSource, cloud: CloudEndpoints): TokenCredential {
  return new ClientAssertionCredential(tenantId, clientId, memoizeAssertion(mint), identityOptions(cloud));
}

/** `DefaultAzureCredential` pointed at the cloud's authority. */
export function createDefaultCredential(cloud: CloudEndpoints): TokenCredential {
  return new DefaultAzureCredential(identityOptions(cloud));
}

/**
 * Wraps `mint` so it runs at most once per assertion lifetime; concurrent callers share one mint.
 * @param now clock in milliseconds since the epoch (injectable for tests).
 */
export function memoizeAssertion(mint: OidcTokenSource, now: () => number = Date.now): OidcTokenSource {
  let cached: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return async () => {
    if (cached && now() < cached.refreshAt) return cached.token;
    pending ??= mint()
      .then((token) => {
        const exp = jwtExpiry(token);
        const lifetimeEnd = exp ?? now() / 1000 + ASSERTION_FALLBACK_LIFETIME_SECONDS;
        cached = { token, refreshAt: (lifetimeEnd - ASSERTION_REFRESH_MARGIN_SECONDS) * 1000 };
        return token;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** The `exp` claim (seconds since the epoch) of a JWT, or undefined when it has none or is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
