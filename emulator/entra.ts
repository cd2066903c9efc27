/**
 * Fake Microsoft Entra ID (v2.0 endpoints as MSAL node / @azure/identity call them with
 * `authorityHost: emu.url, disableInstanceDiscovery: true`), the GitHub Actions OIDC issuer and its
 * token request endpoint (what @actions/core `getIDToken` calls), and validation of the bearer
 * tokens ARM receives.
 *
 * Error wordings (AADSTS codes) come from real responses quoted in public repositories:
 *  - AADSTS7000215 "Invalid client secret provided. Ensure the secret being sent in the request is the
 *    client secret value, not the client secret ID, for a secret added to app '…'." (HTTP 401,
 *    invalid_client; body shape with error_codes/trace_id/correlation_id/error_uri as recorded in
 *    Azure test cassettes).
 *  - AADSTS700024 "Client assertion is not within its valid time range. Current time: …, assertion valid
 *    from …, expiry time of assertion …. Review the documentation at
 *    https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."
 *  - AADSTS700211/700212/700213 "No matching federated identity record found for presented assertion
 *    issuer|audience|subject '…'. … Check your federated identity credential Subject, Audience and
 *    Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
 *    (700213 seen with HTTP 401 invalid_client).
 *  - AADSTS700016 "Application with identifier '…' was not found in the directory '…'. This can happen if
 *    the application has not been installed by the administrator of the tenant or consented to by any
 *    user in the tenant. You may have sent your authentication request to the wrong tenant."
 *  - AADSTS90002 "Tenant '…' not found. …", AADSTS700027 "Client assertion contains an invalid signature.
 *    [Reason - The key was not found.]".
 * ARM 401 bodies/headers: AuthenticationFailed "Authentication failed. The 'Authorization' header is
 * missing." with `WWW-Authenticate: Bearer authorization_uri="…", error="invalid_token",
 * error_description="The authentication failed because of missing 'Authorization' header."` (as the Azure
 * SDK challenge-parsing tests quote it); ExpiredAuthenticationToken "The access token expiry UTC time
 * '8/17/2017 10:54:41 PM' is earlier than current UTC time '8/17/2017 10:55:43 PM'."; InvalidAuthenticationToken.
 */
import { X509Certificate, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ArmError } from './arm.ts';
import type { HandlerResult, RequestContext, Route } from './arm.ts';
import { guidFrom } from './resources.ts';
import { certificateThumbprints, decodeJwt, publicJwk, signJwtRs256, verifyJwtSignature } from './jwt.ts';
import type { Core } from './state.ts';

/** A federated identity credential on an app registration. */
export interface FederatedCredential {
  /** Exact issuer (`iss`) the assertion must carry, e.g. `${emu.url}/github`. */
  issuer: string;
  /** Exact subject, e.g. `repo:org/repo:ref:refs/heads/main`; `*` accepts any subject. */
  subject: string;
  /** Accepted audiences; default `['api://AzureADTokenExchange']`. */
  audiences?: string[];
}

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

/** An OIDC issuer the fake Entra ID trusts for workload identity federation. */
export interface TrustedIssuer {
  /** Its `iss` (a function: the emulator's URL is known only once it listens). */
  issuer: () => string;
  kid: string;
  publicKey: KeyObject;
}

/** A managed identity the emulated IMDS endpoint hands tokens for. */
export interface ManagedIdentityRecord {
  tenantId: string;
  /** Client id (user-assigned: the identity's clientId; system-assigned: the VM's application id). */
  clientId: string;
  /** Object (principal) id: the token's `oid`. */
  principalId: string;
}

interface AppRecord {
  tenantId: string;
  clientId: string;
  objectId: string;
  secrets: Set<string>;
  certificates: { thumbprints: ReturnType<typeof certificateThumbprints>; publicKey: KeyObject }[];
  federated: FederatedCredential[];
}

/** Options of {@link Entra.mintGithubOidcToken}. */
export interface GithubTokenOptions {
  subject?: string;
  audience?: string;
  /** Lifetime in seconds from `issuedAt` (default option githubTokenLifetimeSeconds). */
  lifetimeSeconds?: number;
  /** Unix seconds of `iat`/`nbf` (default now). */
  issuedAt?: number;
  /** Sign with a throwaway key instead of the issuer's (for signature tests). */
  badSignature?: boolean;
  /** Extra/overriding claims. */
  claims?: Record<string, unknown>;
}

const FORM = 'application/x-www-form-urlencoded';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ARM_AUDIENCES = ['https://management.azure.com', 'https://management.azure.com/', 'https://management.core.windows.net', 'https://management.core.windows.net/'];

/** Fake Entra ID + GitHub OIDC issuer. */
export class Entra {
  private readonly core: () => Core;
  private readonly entraKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly entraKid = randomUUID().replace(/-/g, '').slice(0, 27);
  private readonly githubKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly githubKid = randomUUID().replace(/-/g, '').toUpperCase().slice(0, 40);
  private readonly tenants = new Map<string, Map<string, AppRecord>>();
  /** OIDC issuers besides GitHub whose tokens federated credentials may name (Azure DevOps). */
  private readonly trustedIssuers: TrustedIssuer[] = [];
  private githubCalls = 0;
  private tokensIssued = 0;
  private managedIdentityTokens = 0;

  constructor(core: () => Core) {
    this.core = core;
  }

  /** `iss` of GitHub OIDC tokens. */
  githubIssuer(): string {
    return this.core().options.githubIssuer ?? `${this.core().baseUrl()}/github`;
  }

  /** Times the GitHub OIDC request endpoint answered with a token. */
  get githubOidcCalls(): number {
    return this.githubCalls;
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

  /** Signs a GitHub-style OIDC token as the emulator's GitHub issuer (RS256). */
  mintGithubOidcToken(o: GithubTokenOptions = {}): string {
    const opts = this.core().options;
    const iat = o.issuedAt ?? Math.floor(Date.now() / 1000);
    const subject = o.subject ?? opts.githubSubject;
    const repo = /^repo:([^:]+):/.exec(subject)?.[1] ?? 'contoso/avd-images';
    const ref = /:ref:(.+)$/.exec(subject)?.[1] ?? 'refs/heads/main';
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      sub: subject,
      aud: o.audience ?? 'api://AzureADTokenExchange',
      ref,
      sha: 'ec0a1f7b2d3c4e5f60718293a4b5c6d7e8f90123',
      repository: repo,
      repository_owner: repo.split('/')[0],
      run_id: '1000001',
      run_number: '1',
      run_attempt: '1',
      actor: 'emulator',
      workflow: 'build-avd-image',
      event_name: 'push',
      ref_type: 'branch',
      job_workflow_ref: `${repo}/.github/workflows/build.yml@${ref}`,
      runner_environment: 'github-hosted',
      iss: this.githubIssuer(),
      nbf: iat,
      iat,
      exp: iat + (o.lifetimeSeconds ?? opts.githubTokenLifetimeSeconds),
      ...(o.claims ?? {}),
    };
    const key = o.badSignature ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : this.githubKey.privateKey;
    return signJwtRs256({ kid: this.githubKid, x5t: this.githubKid }, payload, key);
  }

  /**
   * Checks an ARM `Authorization` header; returns the token claims or throws the 401 ArmError ARM
   * sends (with its WWW-Authenticate challenge). `subscriptionTenantId` enables the wrong-tenant check.
   */
  validateArmToken(authorization: string | undefined, subscriptionTenantId: string | undefined): Record<string, unknown> {
    const base = this.core().baseUrl();
    const challenge = (desc: string, tenant?: string) => ({
      'www-authenticate': `Bearer authorization_uri="${base}/${tenant ?? subscriptionTenantId ?? this.core().options.tenantId}", error="invalid_token", error_description="${desc}"`,
    });
    if (!authorization) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
        headers: challenge("The authentication failed because of missing 'Authorization' header."),
      });
    }
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", {
        headers: challenge("The authentication failed because of invalid 'Authorization' header."),
      });
    }
    const jwt = decodeJwt(m[1]!);
    if (!jwt || jwt.header.kid !== this.entraKid || !verifyJwtSignature(jwt, this.entraKey.publicKey)) {
      throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', { headers: challenge('The access token is invalid.') });
    }
    const c = jwt.payload;
    const now = Math.floor(Date.now() / 1000);
    if (typeof c.exp !== 'number' || c.exp <= now) {
      throw new ArmError(
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${dotnetTime(Number(c.exp))}' is earlier than current UTC time '${dotnetTime(now)}'.`,
        { headers: challenge('The access token has expired.') },
      );
    }
    if (!ARM_AUDIENCES.includes(String(c.aud))) {
      throw new ArmError(
        401,
        'InvalidAuthenticationToken',
        `The access token has been obtained for wrong audience or resource '${String(c.aud)}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
        { headers: challenge('The access token has been obtained for wrong audience or resource.') },
      );
    }
    if (subscriptionTenantId && String(c.tid).toLowerCase() !== subscriptionTenantId.toLowerCase()) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${String(c.iss)}'. It must match the tenant 'https://sts.windows.net/${subscriptionTenantId}/' associated with this subscription. Please use the authority (URL) '${base}/${subscriptionTenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        { headers: challenge('The access token is from the wrong issuer.', subscriptionTenantId) },
      );
    }
    return c;
  }

  /** Routes of Entra ID and the GitHub OIDC issuer. */
  routes(): Route[] {
    return [
      // GitHub routes first: '/{tenant}/.well-known/…' would otherwise capture '/github/.well-known/…'.
      { method: 'GET', pattern: '/github/oidc/token', kind: 'github-oidc', handler: (ctx) => this.githubTokenRequest(ctx) },
      {
        method: 'GET',
        pattern: '/github/.well-known/openid-configuration',
        kind: 'github-oidc',
        handler: () => ({
          status: 200,
          body: {
            issuer: this.githubIssuer(),
            jwks_uri: `${this.core().baseUrl()}/github/.well-known/jwks`,
            subject_types_supported: ['public', 'pairwise'],
            response_types_supported: ['id_token'],
            claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'actor', 'workflow', 'event_name', 'ref_type', 'job_workflow_ref'],
            id_token_signing_alg_values_supported: ['RS256'],
            scopes_supported: ['openid'],
          },
        }),
      },
      { method: 'GET', pattern: '/github/.well-known/jwks', kind: 'github-oidc', handler: () => this.jwks(this.githubKey.publicKey, this.githubKid) },
      { method: 'GET', pattern: '/{tenant}/v2.0/.well-known/openid-configuration', kind: 'entra', handler: (ctx) => this.openidConfiguration(ctx) },
      { method: 'GET', pattern: '/{tenant}/.well-known/openid-configuration', kind: 'entra', handler: (ctx) => this.openidConfiguration(ctx) },
      { method: 'GET', pattern: '/{tenant}/discovery/v2.0/keys', kind: 'entra', handler: () => this.jwks(this.entraKey.publicKey, this.entraKid) },
      { method: 'GET', pattern: '/common/discovery/instance', kind: 'entra', handler: (ctx) => this.instanceDiscovery(ctx) },
      { method: 'POST', pattern: '/{tenant}/oauth2/v2.0/token', kind: 'entra', handler: (ctx) => this.token(ctx) },
      { method: 'GET', pattern: '/metadata/identity/oauth2/token', kind: 'entra', handler: (ctx) => this.imdsToken(ctx) },
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
    if (!tenant) return this.error(ctx, 400, 'invalid_tenant', 90002, this.tenantNotFound(ctx.params.tenant!));
    const b = `${this.core().baseUrl()}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${b}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${b}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${b}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.core().baseUrl()}/oidc/userinfo`,
        authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
        kerberos_endpoint: `${b}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  private instanceDiscovery(ctx: RequestContext): HandlerResult {
    const host = new URL(this.core().baseUrl()).host;
    const authEndpoint = ctx.query.authorization_endpoint ?? `${this.core().baseUrl()}/common/oauth2/v2.0/authorize`;
    const tenant = /\/([^/]+)\/oauth2\//.exec(authEndpoint)?.[1] ?? 'common';
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.core().baseUrl()}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  /** POST /{tenant}/oauth2/v2.0/token — client_credentials with client_secret or client_assertion. */
  private token(ctx: RequestContext): HandlerResult {
    const form = (ctx.body ?? {}) as Record<string, string>;
    const ctype = String(ctx.headers['content-type'] ?? '');
    if (!ctype.toLowerCase().startsWith(FORM)) {
      return this.error(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    if (form.grant_type !== 'client_credentials') {
      return this.error(ctx, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`);
    }
    const tenant = this.tenantOf(ctx);
    if (!tenant) return this.error(ctx, 400, 'invalid_request', 90002, this.tenantNotFound(ctx.params.tenant!));
    const clientId = form.client_id;
    if (!clientId) return this.error(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.tenants.get(tenant.toLowerCase())!.get(clientId.toLowerCase());
    if (!app) {
      return this.error(
        ctx,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = form.scope;
    if (!scope) return this.error(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");

    let appidacr = '1';
    if (form.client_secret !== undefined) {
      if (!app.secrets.has(form.client_secret)) {
        return this.error(
          ctx,
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
    } else if (form.client_assertion !== undefined) {
      if (form.client_assertion_type !== JWT_BEARER) {
        return this.error(ctx, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
      }
      const res = this.checkAssertion(ctx, app, tenant, form.client_assertion);
      if (res) return res;
      appidacr = '2';
    } else {
      return this.error(
        ctx,
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }

    const lifetime = this.core().options.tokenLifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const aud = scope.split(' ')[0]!.replace(/\/\.default$/, '');
    const payload = {
      aud,
      iss: `https://sts.windows.net/${app.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: app.clientId,
      appidacr,
      idp: `https://sts.windows.net/${app.tenantId}/`,
      idtyp: 'app',
      oid: app.objectId,
      sub: app.objectId,
      tid: app.tenantId,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    };
    this.tokensIssued++;
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: signJwtRs256({ kid: this.entraKid, x5t: this.entraKid }, payload, this.entraKey.privateKey),
      },
    };
  }

  /** Validates a client assertion (certificate-signed or federated); returns an error response or undefined. */
  private checkAssertion(ctx: RequestContext, app: AppRecord, tenant: string, assertion: string): HandlerResult | undefined {
    const jwt = decodeJwt(assertion);
    if (!jwt) return this.error(ctx, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    const now = Math.floor(Date.now() / 1000);
    const p = jwt.payload;
    const timeError = (): HandlerResult | undefined => {
      const exp = typeof p.exp === 'number' ? p.exp : 0;
      const nbf = typeof p.nbf === 'number' ? p.nbf : typeof p.iat === 'number' ? p.iat : 0;
      // Entra allows 5 minutes of clock skew on nbf.
      if (exp <= now || nbf > now + 300) {
        return this.error(
          ctx,
          401,
          'invalid_client',
          700024,
          `Client assertion is not within its valid time range. Current time: ${entraTime(now)}, assertion valid from ${entraTime(nbf)}, expiry time of assertion ${entraTime(exp)}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`,
        );
      }
      return undefined;
    };

    const x5t = typeof jwt.header.x5t === 'string' ? jwt.header.x5t : undefined;
    const x5tS256 = typeof jwt.header['x5t#S256'] === 'string' ? (jwt.header['x5t#S256'] as string) : undefined;
    const iss = String(p.iss ?? '');
    const isCertificateAssertion = (x5t || x5tS256) && iss.toLowerCase() === app.clientId.toLowerCase();
    if (isCertificateAssertion) {
      const cert = app.certificates.find((c) => (x5tS256 && c.thumbprints.x5tS256 === x5tS256) || (x5t && c.thumbprints.x5t === x5t));
      if (!cert) {
        const thumb = x5t ? Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() : Buffer.from(x5tS256!, 'base64url').toString('hex').toUpperCase();
        return this.error(
          ctx,
          401,
          'invalid_client',
          700027,
          `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${thumb}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to learn more.]`,
        );
      }
      if (!verifyJwtSignature(jwt, cert.publicKey)) {
        return this.error(ctx, 401, 'invalid_client', 700027, 'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]');
      }
      const te = timeError();
      if (te) return te;
      const tokenEndpoint = `${this.core().baseUrl()}/${tenant}/oauth2/v2.0/token`.toLowerCase();
      const aud = String(p.aud ?? '').toLowerCase();
      if (aud !== tokenEndpoint && aud !== tokenEndpoint.replace('/v2.0/', '/')) {
        return this.error(ctx, 401, 'invalid_client', 700212, `The audience '${String(p.aud)}' of the client assertion does not match the token endpoint '${tokenEndpoint}'.`);
      }
      if (String(p.sub ?? '').toLowerCase() !== app.clientId.toLowerCase()) {
        return this.error(ctx, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
      }
      return undefined;
    }

    // Federated (workload identity): the assertion must come from one of the emulator's OIDC issuers.
    const suffix =
      'Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
    const byIssuer = app.federated.filter((f) => f.issuer === iss);
    const issuers: TrustedIssuer[] = [{ issuer: () => this.githubIssuer(), kid: this.githubKid, publicKey: this.githubKey.publicKey }, ...this.trustedIssuers];
    const signer = issuers.find((i) => i.issuer() === iss);
    if (!signer || byIssuer.length === 0) {
      return this.error(ctx, 401, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${iss}'. ${suffix}`);
    }
    if (jwt.header.kid !== signer.kid || !verifyJwtSignature(jwt, signer.publicKey)) {
      return this.error(ctx, 401, 'invalid_client', 700027, 'Client assertion contains an invalid signature. [Reason - The key was not found.]');
    }
    const te = timeError();
    if (te) return te;
    const aud = Array.isArray(p.aud) ? p.aud.map(String) : [String(p.aud ?? '')];
    const byAudience = byIssuer.filter((f) => (f.audiences ?? ['api://AzureADTokenExchange']).some((a) => aud.includes(a)));
    if (byAudience.length === 0) {
      return this.error(ctx, 401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${aud.join(',')}'. ${suffix}`);
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
    const sub = String(p.sub ?? '');
    if (!byAudience.some((f) => f.subject === '*' || f.subject === sub)) {
      if (byAudience.some((f) => f.subject.toLowerCase() === sub.toLowerCase())) {
        return this.error(
          ctx,
          401,
          'invalid_client',
          7002138,
          `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ` +
            'Check your federated identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: https://learn.microsoft.com/entra/workload-id/workload-identity-federation. ' +
            'See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.',
        );
      }
      return this.error(
        ctx,
        401,
        'invalid_client',
        700213,
        `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
      );
    }
    return undefined;
  }

  /**
   * Managed identities the IMDS endpoint knows: the system-assigned identity of the machine (the agent's
   * VM), and user-assigned ones by client id. Set by the emulator (see `Emulator.imdsEnv`).
   */
  managedIdentities: { systemAssigned?: ManagedIdentityRecord; userAssigned: (clientId: string) => ManagedIdentityRecord | undefined } = {
    userAssigned: () => undefined,
  };

  /**
   * GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…] with `Metadata: true`:
   * the Azure Instance Metadata Service token endpoint, as MSAL calls it when AZURE_POD_IDENTITY_AUTHORITY_HOST
   * points it here. Errors as IMDS words them (400 invalid_request "Required metadata header not specified",
   * "Identity not found").
   */
  private imdsToken(ctx: RequestContext): HandlerResult {
    if (String(ctx.headers.metadata ?? '').toLowerCase() !== 'true') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Required metadata header not specified' } };
    }
    const resource = ctx.query.resource;
    if (!resource) return { status: 400, body: { error: 'invalid_request', error_description: 'Required query variable \'resource\' is missing' } };
    const clientId = ctx.query.client_id;
    if (ctx.query.object_id || ctx.query.msi_res_id || ctx.query.mi_res_id) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } };
    }
    const identity = clientId ? this.managedIdentities.userAssigned(clientId) : this.managedIdentities.systemAssigned;
    if (!identity) return { status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } };
    const lifetime = this.core().options.tokenLifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const aud = resource.replace(/\/\.default$/, '');
    const payload = {
      aud,
      iss: `https://sts.windows.net/${identity.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: identity.clientId,
      appidacr: '2',
      idp: `https://sts.windows.net/${identity.tenantId}/`,
      idtyp: 'app',
      oid: identity.principalId,
      sub: identity.principalId,
      tid: identity.tenantId,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    };
    this.managedIdentityTokens++;
    this.tokensIssued++;
    return {
      status: 200,
      body: {
        access_token: signJwtRs256({ kid: this.entraKid, x5t: this.entraKid }, payload, this.entraKey.privateKey),
        client_id: identity.clientId,
        expires_in: String(lifetime),
        expires_on: String(now + lifetime),
        ext_expires_in: String(lifetime),
        not_before: String(now),
        resource,
        token_type: 'Bearer',
      },
    };
  }

  /** GET /github/oidc/token?audience=… with `Authorization: Bearer <request token>` → `{ value }`. */
  private githubTokenRequest(ctx: RequestContext): HandlerResult {
    const auth = String(ctx.headers.authorization ?? '');
    if (auth !== `Bearer ${this.core().options.githubRequestToken}`) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    this.githubCalls++;
    const audience = ctx.query.audience;
    const o: GithubTokenOptions = {};
    if (audience) o.audience = audience;
    return { status: 200, body: { count: 1, value: this.mintGithubOidcToken(o) } };
  }

  private tenantNotFound(tenant: string): string {
    return `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
  }

  /** Entra-style error response: `{ error, error_description: "AADSTSnnn: …\r\nTrace ID…", error_codes, … }`. */
  private error(ctx: RequestContext, status: number, error: string, code: number, message: string): HandlerResult {
    const ts = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
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
        error_uri: `${this.core().baseUrl()}/error?code=${code}`,
      },
    };
  }
}

/** .NET-style UTC time ARM prints in ExpiredAuthenticationToken: `8/17/2017 10:54:41 PM`. */
function dotnetTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** Entra's time format in AADSTS700024: `2023-08-01T11:08:01.5274809Z`. */
function entraTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
