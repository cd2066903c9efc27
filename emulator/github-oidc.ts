/**
 * The GitHub Actions OIDC issuer and its token request endpoint: what @actions/core `getIDToken` calls
 * (`ACTIONS_ID_TOKEN_REQUEST_URL` with `&audience=`, bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answer
 * `{ count, value }`), the issuer's `/.well-known/openid-configuration` and JWKS, and RS256 tokens with
 * GitHub's claims (GitHub docs, "About security hardening with OpenID Connect": the token's claims).
 * Entra ID (entra.ts) trusts this issuer for federated credentials.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import type { HandlerResult, RequestContext, Route } from "./arm.ts";
import type { Core } from "./core.ts";
import type { TrustedIssuer } from "./entra-assertion.ts";
import { publicJwk, signJwtRs256, signingKeyPair } from "./jwt.ts";

/** Options of {@link GithubOidc.mintGithubOidcToken}. */
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

/** The emulator's GitHub OIDC issuer (`${url}/github`, or the `githubIssuer` option). */
export class GithubOidc {
  private readonly core: () => Core;
  private readonly githubKey = signingKeyPair("github");
  private readonly githubKid = randomUUID().replace(/-/g, "").toUpperCase().slice(0, 40);
  private githubCalls = 0;

  constructor(core: () => Core) {
    this.core = core;
  }

  /** The issuer as Entra ID trusts it for federated credentials (entra-assertion.ts). */
  get trusted(): TrustedIssuer {
    return { issuer: () => this.githubIssuer(), kid: this.githubKid, publicKey: this.githubKey.publicKey };
  }

  /** `iss` of GitHub OIDC tokens. */
  githubIssuer(): string {
    return this.core().options.githubIssuer ?? `${this.core().baseUrl()}/github`;
  }

  /** Times the GitHub OIDC request endpoint answered with a token. */
  get githubOidcCalls(): number {
    return this.githubCalls;
  }

  /** Signs a GitHub-style OIDC token as the emulator's GitHub issuer (RS256). */
  mintGithubOidcToken(o: GithubTokenOptions = {}): string {
    const opts = this.core().options;
    const iat = o.issuedAt ?? Math.floor(Date.now() / 1000);
    const subject = o.subject ?? opts.githubSubject;
    const repo = /^repo:([^:]+):/.exec(subject)?.[1] ?? "contoso/avd-images";
    const ref = /:ref:(.+)$/.exec(subject)?.[1] ?? "refs/heads/main";
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      sub: subject,
      aud: o.audience ?? "api://AzureADTokenExchange",
      ref,
      sha: "ec0a1f7b2d3c4e5f60718293a4b5c6d7e8f90123",
      repository: repo,
      repository_owner: repo.split("/")[0],
      run_id: "1000001",
      run_number: "1",
      run_attempt: "1",
      actor: "emulator",
      workflow: "build-avd-image",
      event_name: "push",
      ref_type: "branch",
      job_workflow_ref: `${repo}/.github/workflows/build.yml@${ref}`,
      runner_environment: "github-hosted",
      iss: this.githubIssuer(),
      nbf: iat,
      iat,
      exp: iat + (o.lifetimeSeconds ?? opts.githubTokenLifetimeSeconds),
      ...(o.claims ?? {}),
    };
    const key = o.badSignature ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : this.githubKey.privateKey;
    return signJwtRs256({ kid: this.githubKid, x5t: this.githubKid }, payload, key);
  }

  /** Routes of the GitHub OIDC issuer (before Entra ID's). */
  routes(): Route[] {
    return [
      // GitHub routes first: '/{tenant}/.well-known/…' would otherwise capture '/github/.well-known/…'.
      { method: "GET", pattern: "/github/oidc/token", kind: "github-oidc", handler: (ctx) => this.githubTokenRequest(ctx) },
      {
        method: "GET",
        pattern: "/github/.well-known/openid-configuration",
        kind: "github-oidc",
        handler: () => ({
          status: 200,
          body: {
            issuer: this.githubIssuer(),
            jwks_uri: `${this.core().baseUrl()}/github/.well-known/jwks`,
            subject_types_supported: ["public", "pairwise"],
            response_types_supported: ["id_token"],
            claims_supported: [
              "sub",
              "aud",
              "exp",
              "iat",
              "iss",
              "jti",
              "nbf",
              "ref",
              "repository",
              "repository_owner",
              "run_id",
              "actor",
              "workflow",
              "event_name",
              "ref_type",
              "job_workflow_ref",
            ],
            id_token_signing_alg_values_supported: ["RS256"],
            scopes_supported: ["openid"],
          },
        }),
      },
      {
        method: "GET",
        pattern: "/github/.well-known/jwks",
        kind: "github-oidc",
        handler: (): HandlerResult => ({ status: 200, body: { keys: [publicJwk(this.githubKey.publicKey, this.githubKid)] } }),
      },
    ];
  }

  /** GET /github/oidc/token?audience=… with `Authorization: Bearer <request token>` → `{ value }`. */
  private githubTokenRequest(ctx: RequestContext): HandlerResult {
    const auth = String(ctx.headers.authorization ?? "");
    if (auth !== `Bearer ${this.core().options.githubRequestToken}`) {
      return { status: 401, body: { message: "Bad credentials" } };
    }
    this.githubCalls++;
    // Without `audience=`, GitHub's token has "the URL of the repository owner" as `aud` (GitHub docs, "OpenID
    // Connect reference", the token's claims: aud), which Entra's federated credential (api://AzureADTokenExchange)
    // refuses: a client that forgets the audience fails here as it would on GitHub.
    const audience = ctx.query.audience;
    const owner = /^repo:([^/:]+)\//.exec(this.core().options.githubSubject)?.[1] ?? "contoso";
    const o: GithubTokenOptions = { audience: audience || `https://github.com/${owner}` };
    return { status: 200, body: { count: 1, value: this.mintGithubOidcToken(o) } };
  }
}
