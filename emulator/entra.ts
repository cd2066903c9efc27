/**
 * Fake Microsoft Entra ID (v2.0 endpoints as MSAL node / @azure/identity call them with
 * `authorityHost: emu.url, disableInstanceDiscovery: true`). Split by purpose: the GitHub Actions OIDC
 * issuer whose tokens federated credentials trust in `github-oidc.ts`, client assertions and
 * Entra's error bodies in `entra-assertion.ts`, validation of the bearer tokens ARM receives in
 * `arm-token.ts`, the Instance Metadata Service (IMDS) managed identity endpoint in `imds.ts`.
 *
 * Error wordings (AADSTS codes) come from real responses quoted in public repositories:
 *  - AADSTS7000215 "Invalid client secret provided. Ensure the secret being sent in the request is the
 *    client secret value, not the client secret ID, for a secret added to app '…'." (HTTP 401,
 *    invalid_client; body shape with error_codes/trace_id/correlation_id/error_uri as recorded in
 *    Azure test cassettes).
 *  - AADSTS700016 "Application with identifier '…' was not found in the directory '…'. This can happen if
 *    the application has not been installed by the administrator of the tenant or consented to by any
 *    user in the tenant. You may have sent your authentication request to the wrong tenant."
 *  - AADSTS90002 "Tenant '…' not found. …".
 * The assertion errors (AADSTS700024, 700211–700213, 7002138, 700027) are cited in `entra-assertion.ts`,
 * ARM's 401 answers in `arm-token.ts`.
 */

import type { KeyObject } from "node:crypto";
import { X509Certificate, randomUUID } from "node:crypto";
import type { HandlerResult, RequestContext, Route } from "./arm.ts";
import { validateArmToken } from "./arm-token.ts";
import type { Core } from "./core.ts";
import { type AppRecord, type FederatedCredential, type TrustedIssuer, checkAssertion, entraError, tenantNotFound } from "./entra-assertion.ts";
import { type ManagedIdentities, imdsToken } from "./imds.ts";
import { certificateThumbprints, publicJwk, signJwtRs256, signingKeyPair } from "./jwt.ts";
import { guidFrom } from "./resources.ts";

export type { FederatedCredential, TrustedIssuer } from "./entra-assertion.ts";
export type { ManagedIdentityRecord } from "./imds.ts";

/** App registration (service principal) for {@link Entra.registerApp}. Calls merge into an existing app. */
export interface AppRegistration {
  /** Tenant GUID; default the emulator's default tenant. */
  tenantId?: string;
  clientId: string;
  /** A client secret value. */
  secret?: string;
  /** A PEM certificate (public part) whose key signs client assertions (x5t / x5t#S256 header). */
  certificatePem?: string;
  federated?: FederatedCredential[];
}

const FORM = "application/x-www-form-urlencoded";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Fake Entra ID: tenants, app registrations, discovery, keys, the token endpoint and IMDS tokens. */
export class Entra {
  private readonly core: () => Core;
  private readonly entraKey = signingKeyPair("entra");
  private readonly entraKid = randomUUID().replace(/-/g, "").slice(0, 27);
  private readonly tenants = new Map<string, Map<string, AppRecord>>();
  /** OIDC issuers whose tokens federated credentials may name (GitHub's, github-oidc.ts; Azure DevOps'). */
  private readonly trustedIssuers: TrustedIssuer[] = [];
  private tokensIssued = 0;
  private managedIdentityTokens = 0;

  constructor(core: () => Core) {
    this.core = core;
  }

  /** Access tokens issued by the token endpoint. */
  get accessTokensIssued(): number {
    return this.tokensIssued;
  }

  /** Trusts another OIDC issuer for federated credentials (its tokens are verified with `publicKey`, header `kid`). */
  trustIssuer(issuer: TrustedIssuer): void {
    this.trustedIssuers.push(issuer);
  }

  /** Access tokens the managed identity (IMDS) endpoint issued. */
  get managedIdentityTokensIssued(): number {
    return this.managedIdentityTokens;
  }

  /** Adds a tenant (no apps). */
  addTenant(tenantId: string): void {
    if (!this.tenants.has(tenantId.toLowerCase())) this.tenants.set(tenantId.toLowerCase(), new Map());
  }

  /** Registers or extends an app registration. Throws on an unparsable certificate. */
  registerApp(reg: AppRegistration): void {
    const tenantId = reg.tenantId ?? this.core().options.tenantId;
    this.addTenant(tenantId);
    const apps = this.tenants.get(tenantId.toLowerCase())!;
    let app = apps.get(reg.clientId.toLowerCase());
    if (!app) {
      app = { tenantId, clientId: reg.clientId, objectId: guidFrom(`sp:${tenantId}/${reg.clientId}`), secrets: new Set(), certificates: [], federated: [] };
      apps.set(reg.clientId.toLowerCase(), app);
    }
    if (reg.secret) app.secrets.add(reg.secret);
    if (reg.certificatePem) {
      const cert = new X509Certificate(reg.certificatePem);
      app.certificates.push({ thumbprints: certificateThumbprints(cert.raw), publicKey: cert.publicKey });
    }
    for (const f of reg.federated ?? []) app.federated.push({ ...f });
  }

  /**
   * Checks an ARM `Authorization` header; returns the token claims or throws the 401 ArmError ARM
   * sends (with its WWW-Authenticate challenge). `subscriptionTenantId` enables the wrong-tenant check.
   */
  validateArmToken(authorization: string | undefined, subscriptionTenantId: string | undefined): Record<string, unknown> {
    const issuer = { baseUrl: this.core().baseUrl(), defaultTenantId: this.core().options.tenantId, kid: this.entraKid, publicKey: this.entraKey.publicKey };
    return validateArmToken(issuer, authorization, subscriptionTenantId);
  }

  /** Routes of Entra ID (after the GitHub issuer's: `/{tenant}/.well-known/…` would capture `/github/.well-known/…`). */
  routes(): Route[] {
    return [
      { method: "GET", pattern: "/{tenant}/v2.0/.well-known/openid-configuration", kind: "entra", handler: (ctx) => this.openidConfiguration(ctx) },
      { method: "GET", pattern: "/{tenant}/.well-known/openid-configuration", kind: "entra", handler: (ctx) => this.openidConfiguration(ctx) },
      { method: "GET", pattern: "/{tenant}/discovery/v2.0/keys", kind: "entra", handler: () => this.jwks(this.entraKey.publicKey, this.entraKid) },
      { method: "GET", pattern: "/common/discovery/instance", kind: "entra", handler: (ctx) => this.instanceDiscovery(ctx) },
      { method: "POST", pattern: "/{tenant}/oauth2/v2.0/token", kind: "entra", handler: (ctx) => this.token(ctx) },
      { method: "GET", pattern: "/metadata/identity/oauth2/token", kind: "entra", handler: (ctx) => this.imdsToken(ctx) },
    ];
  }

  private jwks(publicKey: KeyObject, kid: string): HandlerResult {
    return { status: 200, body: { keys: [publicJwk(publicKey, kid)] } };
  }

  private tenantOf(ctx: RequestContext): string | undefined {
    const t = ctx.params.tenant!;
    return this.tenants.has(t.toLowerCase()) ? t : undefined;
  }

  private openidConfiguration(ctx: RequestContext): HandlerResult {
    const tenant = this.tenantOf(ctx);
    if (!tenant) return this.error(ctx, 400, "invalid_tenant", 90002, tenantNotFound(ctx.params.tenant!));
    const b = `${this.core().baseUrl()}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${b}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${b}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        issuer: `${b}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.core().baseUrl()}/oidc/userinfo`,
        authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/oauth2/v2.0/logout`,
        claims_supported: [
          "sub",
          "iss",
          "cloud_instance_name",
          "cloud_instance_host_name",
          "cloud_graph_host_name",
          "msgraph_host",
          "aud",
          "exp",
          "iat",
          "auth_time",
          "acr",
          "nonce",
          "preferred_username",
          "name",
          "tid",
          "ver",
          "at_hash",
          "c_hash",
          "email",
        ],
        kerberos_endpoint: `${b}/kerberos`,
        tenant_region_scope: "EU",
        cloud_instance_name: "microsoftonline.com",
        cloud_graph_host_name: "graph.windows.net",
        msgraph_host: "graph.microsoft.com",
        rbac_url: "https://pas.windows.net",
      },
    };
  }

  private instanceDiscovery(ctx: RequestContext): HandlerResult {
    const host = new URL(this.core().baseUrl()).host;
    const authEndpoint = ctx.query.authorization_endpoint ?? `${this.core().baseUrl()}/common/oauth2/v2.0/authorize`;
    const tenant = /\/([^/]+)\/oauth2\//.exec(authEndpoint)?.[1] ?? "common";
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.core().baseUrl()}/${tenant}/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  /** POST /{tenant}/oauth2/v2.0/token — client_credentials with client_secret or client_assertion. */
  private token(ctx: RequestContext): HandlerResult {
    const form = (ctx.body ?? {}) as Record<string, string>;
    const ctype = String(ctx.headers["content-type"] ?? "");
    if (!ctype.toLowerCase().startsWith(FORM)) {
      return this.error(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    if (form.grant_type !== "client_credentials") {
      return this.error(ctx, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${form.grant_type ?? ""}'.`);
    }
    const tenant = this.tenantOf(ctx);
    if (!tenant) return this.error(ctx, 400, "invalid_request", 90002, tenantNotFound(ctx.params.tenant!));
    const clientId = form.client_id;
    if (!clientId) return this.error(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.tenants.get(tenant.toLowerCase())!.get(clientId.toLowerCase());
    if (!app) {
      return this.error(
        ctx,
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = form.scope;
    if (!scope) return this.error(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");

    let appidacr = "1";
    if (form.client_secret !== undefined) {
      if (!app.secrets.has(form.client_secret)) {
        return this.error(
          ctx,
          401,
          "invalid_client",
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
    } else if (form.client_assertion !== undefined) {
      if (form.client_assertion_type !== JWT_BEARER) {
        return this.error(ctx, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
      }
      const res = checkAssertion(ctx, this.assertionContext(), app, tenant, form.client_assertion);
      if (res) return res;
      appidacr = "2";
    } else {
      return this.error(ctx, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }

    const lifetime = this.core().options.tokenLifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const aud = scope.split(" ")[0]!.replace(/\/\.default$/, "");
    const payload = {
      aud,
      iss: `https://sts.windows.net/${app.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: app.clientId,
      appidacr,
      idp: `https://sts.windows.net/${app.tenantId}/`,
      idtyp: "app",
      oid: app.objectId,
      sub: app.objectId,
      tid: app.tenantId,
      uti: randomUUID().replace(/-/g, "").slice(0, 22),
      ver: "1.0",
    };
    this.tokensIssued++;
    return {
      status: 200,
      body: {
        token_type: "Bearer",
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: signJwtRs256({ kid: this.entraKid, x5t: this.entraKid }, payload, this.entraKey.privateKey),
      },
    };
  }

  /** The emulator's URL and the issuers federated credentials may name (GitHub's, then Azure DevOps'). */
  private assertionContext() {
    return { baseUrl: this.core().baseUrl(), issuers: this.trustedIssuers };
  }

  /**
   * Managed identities the IMDS endpoint knows: the system-assigned identity of the machine (the agent's
   * VM), and user-assigned ones by client id. Set by the emulator (see `Emulator.imdsEnv`).
   */
  managedIdentities: ManagedIdentities = {
    userAssigned: () => undefined,
  };

  /** GET /metadata/identity/oauth2/token (imds.ts), signed as the fake Entra ID. */
  private imdsToken(ctx: RequestContext): HandlerResult {
    return imdsToken(ctx, {
      identities: this.managedIdentities,
      lifetimeSeconds: this.core().options.tokenLifetimeSeconds,
      sign: (payload) => signJwtRs256({ kid: this.entraKid, x5t: this.entraKid }, payload, this.entraKey.privateKey),
      issued: () => {
        this.managedIdentityTokens++;
        this.tokensIssued++;
      },
    });
  }

  /** Entra-style error response (entra-assertion.ts `entraError`). */
  private error(ctx: RequestContext, status: number, error: string, code: number, message: string): HandlerResult {
    return entraError(ctx, this.core().baseUrl(), status, error, code, message);
  }
}
