/**
 * The Azure DevOps side of workload identity federation: the job's OIDC token request endpoint
 * (`System.OidcRequestUri`, what @azure/identity's `AzurePipelinesCredential` POSTs to) and the OIDC
 * issuer whose tokens the fake Entra ID accepts for apps with a matching federated credential.
 *
 * Shapes, as Azure DevOps and @azure/identity use them:
 *  - request: `POST {System.OidcRequestUri}?api-version=7.1&serviceConnectionId=<id>` with
 *    `Authorization: Bearer <System.AccessToken>`, `Content-Type: application/json`,
 *    `X-TFS-FedAuthRedirect: Suppress`; the URI is
 *    `https://dev.azure.com/{org}/{projectId}/_apis/distributedtask/hubs/build/plans/{planId}/jobs/{jobId}/oidctoken`.
 *  - response: `{ "oidcToken": "<JWT>" }`.
 *  - token: issuer `https://vstoken.dev.azure.com/{organizationId}` (here `{emulator}/azure-devops/{organizationId}`),
 *    subject `sc://{organization}/{project}/{service connection name}`, audience `api://AzureADTokenExchange`
 *    (the values Azure DevOps shows on a workload identity federation service connection).
 */
import { randomUUID } from "node:crypto";
import type { HandlerResult, RequestContext, Route } from "./arm.ts";
import type { Core } from "./core.ts";
import { publicJwk, signJwtRs256, signingKeyPair } from "./jwt.ts";
import { guidFrom } from "./resources.ts";

/** Audience of the OIDC tokens Azure DevOps mints for Entra ID. */
export const ADO_OIDC_AUDIENCE = "api://AzureADTokenExchange";

/** An Azure Resource Manager service connection the emulated organization knows (id → name, for the subject). */
export interface AdoServiceConnection {
  /** Service connection id (a GUID): the `serviceConnectionId` query parameter and the task input value. */
  id: string;
  /** Its name: the last part of the token's subject. */
  name: string;
}

/** Options of {@link AzureDevOps.mintOidcToken}. */
export interface AdoTokenOptions {
  /** Lifetime in seconds (default 600). */
  lifetimeSeconds?: number;
  /** Unix seconds of `iat`/`nbf` (default now). */
  issuedAt?: number;
  /** Extra/overriding claims. */
  claims?: Record<string, unknown>;
}

/** Identity of the emulated organization, project and job: what an agent puts in SYSTEM_* variables. */
export interface AdoJobInfo {
  organization: string;
  organizationId: string;
  project: string;
  projectId: string;
  planId: string;
  jobId: string;
  /** `System.OidcRequestUri` of this job (on the emulator). */
  oidcRequestUri: string;
  /** `System.AccessToken` the OIDC request endpoint accepts. */
  accessToken: string;
  /** `iss` of the OIDC tokens. */
  issuer: string;
}

/** Emulated Azure DevOps organization: OIDC token request endpoint and issuer. */
export class AzureDevOps {
  private readonly core: () => Core;
  private readonly key = signingKeyPair("azure-devops");
  readonly kid = randomUUID().replace(/-/g, "").toUpperCase().slice(0, 40);
  readonly organization = "contoso";
  readonly project = "avd-images";
  readonly organizationId = guidFrom("ado-organization:contoso");
  readonly projectId = guidFrom("ado-project:contoso/avd-images");
  readonly planId = guidFrom("ado-plan:1");
  readonly jobId = guidFrom("ado-job:1");
  readonly accessToken = `emulator-ado-access-token-${randomUUID()}`;
  private readonly connections = new Map<string, AdoServiceConnection>();
  private calls = 0;

  constructor(core: () => Core) {
    this.core = core;
  }

  /** `iss` of the tokens, like `https://vstoken.dev.azure.com/{organizationId}`. */
  issuer(): string {
    return `${this.core().baseUrl()}/azure-devops/${this.organizationId}`;
  }

  /** The public key Entra ID verifies the tokens with. */
  get publicKey() {
    return this.key.publicKey;
  }

  /** Times the OIDC request endpoint answered with a token. */
  get oidcCalls(): number {
    return this.calls;
  }

  job(): AdoJobInfo {
    const base = this.core().baseUrl();
    return {
      organization: this.organization,
      organizationId: this.organizationId,
      project: this.project,
      projectId: this.projectId,
      planId: this.planId,
      jobId: this.jobId,
      oidcRequestUri: `${base}/azure-devops/${this.organization}/${this.projectId}/_apis/distributedtask/hubs/build/plans/${this.planId}/jobs/${this.jobId}/oidctoken`,
      accessToken: this.accessToken,
      issuer: this.issuer(),
    };
  }

  /** Registers a service connection; returns the subject its tokens carry. */
  registerServiceConnection(c: AdoServiceConnection): string {
    this.connections.set(c.id.toLowerCase(), { ...c });
    return this.subjectOf(c.name);
  }

  /** `sc://{organization}/{project}/{connection name}`. */
  subjectOf(connectionName: string): string {
    return `sc://${this.organization}/${this.project}/${connectionName}`;
  }

  /** Signs an OIDC token for a registered service connection (RS256). */
  mintOidcToken(connection: AdoServiceConnection, o: AdoTokenOptions = {}): string {
    const iat = o.issuedAt ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      sub: this.subjectOf(connection.name),
      aud: ADO_OIDC_AUDIENCE,
      iss: this.issuer(),
      nbf: iat,
      iat,
      exp: iat + (o.lifetimeSeconds ?? 600),
      ...(o.claims ?? {}),
    };
    return signJwtRs256({ kid: this.kid, x5t: this.kid }, payload, this.key.privateKey);
  }

  routes(): Route[] {
    return [
      {
        method: "POST",
        pattern: "/azure-devops/{org}/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken",
        kind: "other",
        handler: (ctx) => this.oidcTokenRequest(ctx),
      },
      {
        method: "GET",
        pattern: "/azure-devops/{orgId}/.well-known/openid-configuration",
        kind: "other",
        handler: () => ({
          status: 200,
          body: {
            issuer: this.issuer(),
            jwks_uri: `${this.issuer()}/.well-known/jwks`,
            subject_types_supported: ["public"],
            response_types_supported: ["id_token"],
            id_token_signing_alg_values_supported: ["RS256"],
            claims_supported: ["sub", "aud", "exp", "iat", "iss", "nbf", "jti"],
          },
        }),
      },
      {
        method: "GET",
        pattern: "/azure-devops/{orgId}/.well-known/jwks",
        kind: "other",
        handler: () => ({ status: 200, body: { keys: [publicJwk(this.key.publicKey, this.kid)] } }),
      },
    ];
  }

  /** POST …/oidctoken?api-version=…&serviceConnectionId=… with the job's access token → `{ oidcToken }`. */
  private oidcTokenRequest(ctx: RequestContext): HandlerResult {
    const auth = String(ctx.headers.authorization ?? "");
    if (auth !== `Bearer ${this.accessToken}`) {
      // With X-TFS-FedAuthRedirect: Suppress, Azure DevOps answers 401 instead of redirecting to a sign-in page.
      return { status: 401, body: { message: "TF400813: The user is not authorized to access this resource.", typeKey: "UnauthorizedRequestException" } };
    }
    const job = this.job();
    if (ctx.params.org !== this.organization || ctx.params.project !== this.projectId || ctx.params.plan !== this.planId || ctx.params.job !== this.jobId) {
      return {
        status: 404,
        body: { message: `The job ${ctx.params.job} of plan ${ctx.params.plan} was not found.`, typeKey: "TaskOrchestrationJobNotFoundException" },
      };
    }
    if (!ctx.query["api-version"]) {
      return { status: 400, body: { message: "No api-version was supplied for the POST request.", typeKey: "VssVersionNotSpecifiedException" } };
    }
    const id = ctx.query.serviceConnectionId ?? "";
    const connection = this.connections.get(id.toLowerCase());
    if (!connection) {
      return {
        status: 400,
        body: {
          message: `Service connection '${id}' was not found in project ${job.project}, or this pipeline is not authorized to use it.`,
          typeKey: "InvalidServiceEndpointException",
        },
      };
    }
    this.calls++;
    return { status: 200, body: { oidcToken: this.mintOidcToken(connection) } };
  }
}
