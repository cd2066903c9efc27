/**
 * Fake Microsoft Entra ID, client assertions (client_credentials with `client_assertion`, as MSAL node /
 * @azure/identity send them): certificate-signed assertions (x5t / x5t#S256) and federated ones (workload
 * identity federation: GitHub OIDC, Azure DevOps), and Entra's error response shape. Used by `entra.ts`.
 *
 * Error wordings (AADSTS codes) come from real responses quoted in public repositories:
 *  - Error body shape with error_codes/trace_id/correlation_id/error_uri as recorded in Azure test cassettes.
 *  - AADSTS700024 "Client assertion is not within its valid time range. Current time: …, assertion valid
 *    from …, expiry time of assertion …. Review the documentation at
 *    https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."
 *  - AADSTS700211/700212/700213 "No matching federated identity record found for presented assertion
 *    issuer|audience|subject '…'. … Check your federated identity credential Subject, Audience and
 *    Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
 *    (700213 seen with HTTP 401 invalid_client); AADSTS7002138 for a subject that matches only
 *    case-insensitively (Azure/login#515).
 *  - AADSTS90002 "Tenant '…' not found. …", AADSTS700027 "Client assertion contains an invalid signature.
 *    [Reason - The key was not found.]".
 */

import type { KeyObject } from "node:crypto";
import { randomUUID } from "node:crypto";
import type { HandlerResult, RequestContext } from "./arm.ts";
import { type certificateThumbprints, decodeJwt, verifyJwtSignature } from "./jwt.ts";

/** A federated identity credential on an app registration. */
export interface FederatedCredential {
  /** Exact issuer (`iss`) the assertion must carry, e.g. `${emu.url}/github`. */
  issuer: string;
  /** Exact subject, e.g. `repo:org/repo:ref:refs/heads/main`; `*` accepts any subject. */
  subject: string;
  /** Accepted audiences; default `['api://AzureADTokenExchange']`. */
  audiences?: string[];
}

/** An OIDC issuer the fake Entra ID trusts for workload identity federation. */
export interface TrustedIssuer {
  /** Its `iss` (a function: the emulator's URL is known only once it listens). */
  issuer: () => string;
  kid: string;
  publicKey: KeyObject;
}

/** An app registration as the fake Entra ID keeps it. */
export interface AppRecord {
  tenantId: string;
  clientId: string;
  objectId: string;
  secrets: Set<string>;
  certificates: { thumbprints: ReturnType<typeof certificateThumbprints>; publicKey: KeyObject }[];
  federated: FederatedCredential[];
}

/** What an assertion is checked against: the emulator's URL and the OIDC issuers it trusts (GitHub first). */
export interface AssertionContext {
  baseUrl: string;
  issuers: TrustedIssuer[];
}

/** Validates a client assertion (certificate-signed or federated); returns an error response or undefined. */
export function checkAssertion(ctx: RequestContext, ac: AssertionContext, app: AppRecord, tenant: string, assertion: string): HandlerResult | undefined {
  const jwt = decodeJwt(assertion);
  if (!jwt) return entraError(ctx, ac.baseUrl, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
  const now = Math.floor(Date.now() / 1000);
  const p = jwt.payload;
  const timeError = (): HandlerResult | undefined => {
    const exp = typeof p.exp === "number" ? p.exp : 0;
    const nbf = typeof p.nbf === "number" ? p.nbf : typeof p.iat === "number" ? p.iat : 0;
    // Entra allows 5 minutes of clock skew on nbf.
    if (exp <= now || nbf > now + 300) {
      return entraError(
        ctx,
        ac.baseUrl,
        401,
        "invalid_client",
        700024,
        `Client assertion is not within its valid time range. Current time: ${entraTime(now)}, assertion valid from ${entraTime(nbf)}, expiry time of assertion ${entraTime(exp)}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`,
      );
    }
    return undefined;
  };

  const x5t = typeof jwt.header.x5t === "string" ? jwt.header.x5t : undefined;
  const x5tS256 = typeof jwt.header["x5t#S256"] === "string" ? (jwt.header["x5t#S256"] as string) : undefined;
  const iss = String(p.iss ?? "");
  const isCertificateAssertion = (x5t || x5tS256) && iss.toLowerCase() === app.clientId.toLowerCase();
  if (isCertificateAssertion) {
    const cert = app.certificates.find((c) => (x5tS256 && c.thumbprints.x5tS256 === x5tS256) || (x5t && c.thumbprints.x5t === x5t));
    if (!cert) {
      const thumb = x5t ? Buffer.from(x5t, "base64url").toString("hex").toUpperCase() : Buffer.from(x5tS256!, "base64url").toString("hex").toUpperCase();
      return entraError(
        ctx,
        ac.baseUrl,
        401,
        "invalid_client",
        700027,
        `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${thumb}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to learn more.]`,
      );
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      return entraError(
        ctx,
        ac.baseUrl,
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]",
      );
    }
    const te = timeError();
    if (te) return te;
    const tokenEndpoint = `${ac.baseUrl}/${tenant}/oauth2/v2.0/token`.toLowerCase();
    const aud = String(p.aud ?? "").toLowerCase();
    if (aud !== tokenEndpoint && aud !== tokenEndpoint.replace("/v2.0/", "/")) {
      return entraError(
        ctx,
        ac.baseUrl,
        401,
        "invalid_client",
        700212,
        `The audience '${String(p.aud)}' of the client assertion does not match the token endpoint '${tokenEndpoint}'.`,
      );
    }
    if (String(p.sub ?? "").toLowerCase() !== app.clientId.toLowerCase()) {
      return entraError(ctx, ac.baseUrl, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
    }
    return undefined;
  }

  // Federated (workload identity): the assertion must come from one of the emulator's OIDC issuers.
  const suffix =
    "Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
  const byIssuer = app.federated.filter((f) => f.issuer === iss);
  const signer = ac.issuers.find((i) => i.issuer() === iss);
  if (!signer || byIssuer.length === 0) {
    return entraError(
      ctx,
      ac.baseUrl,
      401,
      "invalid_client",
      700211,
      `No matching federated identity record found for presented assertion issuer '${iss}'. ${suffix}`,
    );
  }
  if (jwt.header.kid !== signer.kid || !verifyJwtSignature(jwt, signer.publicKey)) {
    return entraError(ctx, ac.baseUrl, 401, "invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The key was not found.]");
  }
  const te = timeError();
  if (te) return te;
  const aud = Array.isArray(p.aud) ? p.aud.map(String) : [String(p.aud ?? "")];
  const byAudience = byIssuer.filter((f) => (f.audiences ?? ["api://AzureADTokenExchange"]).some((a) => aud.includes(a)));
  if (byAudience.length === 0) {
    return entraError(
      ctx,
      ac.baseUrl,
      401,
      "invalid_client",
      700212,
      `No matching federated identity record found for presented assertion audience '${aud.join(",")}'. ${suffix}`,
    );
  }
  // The subject is matched exactly, case-sensitively (Entra's breaking change of August 2024,
  // learn.microsoft.com/entra/identity-platform/reference-breaking-changes#august-2024). Entra's words:
  //  - no credential with this subject: "AADSTS700213: No matching federated identity record found for
  //    presented assertion subject '…'. Check your federated identity credential Subject, Audience and Issuer
  //    against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
  //    (quoted from Entra's answers in dotnet/maui#31978, 2025-10-13, and Azure/azure-workload-identity#1200,
  //    2025-04-22; the GitHub case — a job without `environment:` whose subject is `…:ref:refs/heads/main`
  //    while the credential names `…:environment:<name>` — in Azure/login#379 and #482);
  //  - only a case-insensitive match: AADSTS7002138, as quoted in Azure/login#515 (2025-02-22).
  const sub = String(p.sub ?? "");
  if (!byAudience.some((f) => f.subject === "*" || f.subject === sub)) {
    if (byAudience.some((f) => f.subject.toLowerCase() === sub.toLowerCase())) {
      return entraError(
        ctx,
        ac.baseUrl,
        401,
        "invalid_client",
        7002138,
        `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ` +
          "Check your federated identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: https://learn.microsoft.com/entra/workload-id/workload-identity-federation. " +
          "See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.",
      );
    }
    return entraError(
      ctx,
      ac.baseUrl,
      401,
      "invalid_client",
      700213,
      `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
  }
  return undefined;
}

/** Entra's AADSTS90002 text for an unknown tenant. */
export function tenantNotFound(tenant: string): string {
  return `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
}

/** Entra-style error response: `{ error, error_description: "AADSTSnnn: …\r\nTrace ID…", error_codes, … }`. */
export function entraError(ctx: RequestContext, baseUrl: string, status: number, error: string, code: number, message: string): HandlerResult {
  const ts = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  const trace = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${ts}`,
      error_codes: [code],
      timestamp: ts,
      trace_id: trace,
      correlation_id: ctx.correlationId,
      error_uri: `${baseUrl}/error?code=${code}`,
    },
  };
}

/** Entra's time format in AADSTS700024: `2023-08-01T11:08:01.5274809Z`. */
function entraTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}
