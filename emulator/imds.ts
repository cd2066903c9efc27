/**
 * The Azure Instance Metadata Service (IMDS) managed identity token endpoint, as MSAL calls it when
 * AZURE_POD_IDENTITY_AUTHORITY_HOST points it at the emulator: tokens for the machine's system-assigned
 * identity (the agent's VM) and for user-assigned identities by client id. Used by `entra.ts`.
 *
 * Errors as IMDS words them: 400 invalid_request "Required metadata header not specified", "Identity not
 * found".
 */
import { randomUUID } from "node:crypto";
import type { HandlerResult, RequestContext } from "./arm.ts";

/** A managed identity the emulated IMDS endpoint hands tokens for. */
export interface ManagedIdentityRecord {
  tenantId: string;
  /** Client id (user-assigned: the identity's clientId; system-assigned: the VM's application id). */
  clientId: string;
  /** Object (principal) id: the token's `oid`. */
  principalId: string;
}

/** Managed identities the IMDS endpoint knows (set by the emulator, see `Emulator.imdsEnv`). */
export interface ManagedIdentities {
  systemAssigned?: ManagedIdentityRecord;
  userAssigned: (clientId: string) => ManagedIdentityRecord | undefined;
}

/** What the endpoint needs: the identities, the token lifetime (seconds), Entra's signer, a counter. */
export interface ImdsIssuer {
  identities: ManagedIdentities;
  lifetimeSeconds: number;
  /** Signs the access token's payload as the fake Entra ID. */
  sign(payload: Record<string, unknown>): string;
  /** Called for each token issued. */
  issued(): void;
}

/**
 * GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…] with `Metadata: true`:
 * the Azure Instance Metadata Service token endpoint, as MSAL calls it when AZURE_POD_IDENTITY_AUTHORITY_HOST
 * points it here. Errors as IMDS words them (400 invalid_request "Required metadata header not specified",
 * "Identity not found").
 */
export function imdsToken(ctx: RequestContext, issuer: ImdsIssuer): HandlerResult {
  if (String(ctx.headers.metadata ?? "").toLowerCase() !== "true") {
    return { status: 400, body: { error: "invalid_request", error_description: "Required metadata header not specified" } };
  }
  const resource = ctx.query.resource;
  if (!resource) return { status: 400, body: { error: "invalid_request", error_description: "Required query variable 'resource' is missing" } };
  const clientId = ctx.query.client_id;
  if (ctx.query.object_id || ctx.query.msi_res_id || ctx.query.mi_res_id) {
    return { status: 400, body: { error: "invalid_request", error_description: "Identity not found" } };
  }
  const identity = clientId ? issuer.identities.userAssigned(clientId) : issuer.identities.systemAssigned;
  if (!identity) return { status: 400, body: { error: "invalid_request", error_description: "Identity not found" } };
  const lifetime = issuer.lifetimeSeconds;
  const now = Math.floor(Date.now() / 1000);
  const aud = resource.replace(/\/\.default$/, "");
  const payload = {
    aud,
    iss: `https://sts.windows.net/${identity.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    appid: identity.clientId,
    appidacr: "2",
    idp: `https://sts.windows.net/${identity.tenantId}/`,
    idtyp: "app",
    oid: identity.principalId,
    sub: identity.principalId,
    tid: identity.tenantId,
    uti: randomUUID().replace(/-/g, "").slice(0, 22),
    ver: "1.0",
  };
  issuer.issued();
  return {
    status: 200,
    body: {
      access_token: issuer.sign(payload),
      client_id: identity.clientId,
      expires_in: String(lifetime),
      expires_on: String(now + lifetime),
      ext_expires_in: String(lifetime),
      not_before: String(now),
      resource,
      token_type: "Bearer",
    },
  };
}
