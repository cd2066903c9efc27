/**
 * Sign-in and endpoint failures, said in terms of the inputs that fix them.
 *
 * The Azure SDK reports these in its own words — MSAL's `endpoints_resolution_error`, Node's
 * `ECONNREFUSED`, DefaultAzureCredential's list of six unavailable credentials, Entra ID's AADSTS codes —
 * none of which names the input the user got wrong. {@link explainAzureFailure} maps each to a message
 * that names the input (kebab-case on GitHub, camelCase on Azure DevOps) and the fix; the entry point's
 * one catch uses it.
 *
 * Sources of the wordings matched:
 * - MSAL `endpoints_resolution_error` ("See https://aka.ms/msal.js.errors#endpoints_resolution_error"): the
 *   authority's OpenID configuration could not be read — an unknown tenant (Entra answers AADSTS90002
 *   "Tenant '…' not found") or an authority host that does not resolve or answer.
 * - Node's socket errors (`ECONNREFUSED`, `ENOTFOUND`, …) as @azure/core-rest-pipeline's RestError `code`,
 *   with the request's URL.
 * - ARM's 404 `SubscriptionNotFound` "The subscription '…' could not be found."
 * - @azure/identity's `AggregateAuthenticationError` of `CredentialUnavailableError`s (DefaultAzureCredential
 *   found no source).
 * - Entra ID AADSTS700213 / AADSTS7002138 "No matching federated identity record found for presented
 *   assertion subject '…'" (quoted in dotnet/maui#31978, Azure/login#515).
 */
import { AZURE_CLOUDS, type AzureEnvironmentName } from "../cloud.ts";
import type { InputName } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";
import { ARM_UNREACHABLE } from "./reachability.ts";

/** What the explanation needs to know of the run. */
export interface FailureContext {
  /** Validated settings (cloud endpoints, auth, subscription). */
  settings: Settings;
  /** How the host names an input (kebab-case on GitHub, camelCase on Azure DevOps). */
  label: (input: InputName) => string;
  /** The host: on Azure DevOps the identity is the service connection (`azureSubscription`), not `client-id`/`tenant-id`. */
  host: "github" | "azure-pipelines";
}

/** Socket errors that mean "could not reach the host". */
const UNREACHABLE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/;

/** The task input that names the Azure DevOps service connection. */
const SERVICE_CONNECTION = "azureSubscription";

/**
 * The message for a sign-in or endpoint failure, naming the input and the fix; undefined when `error`
 * is not one of them (the caller then reports the error's own message).
 *
 * Recognized: the authority or tenant does not resolve (→ `tenant-id`, `environment`, `authority-host`);
 * Resource Manager cannot be reached (→ `arm-endpoint`); `SubscriptionNotFound` (→ `subscription-id`);
 * no credential at all (→ `client-id` and `tenant-id`, or DefaultAzureCredential's sources); AADSTS700213 /
 * AADSTS7002138 (→ the federated credential's subject, and the job's `environment:`).
 */
export function explainAzureFailure(error: unknown, ctx: FailureContext): string | undefined {
  const { settings, label } = ctx;
  const text = messageChain(error);
  const ado = ctx.host === "azure-pipelines";
  const identity = ado
    ? `the service connection (input '${SERVICE_CONNECTION}')`
    : settings.auth.kind === "oidc"
      ? `input '${label("client-id")}' (${settings.auth.clientId})`
      : "the identity DefaultAzureCredential found";

  // First: the aggregate's inner messages (managed identity's network_error, …) are not the failure.
  if (isNoCredential(error)) {
    return ado
      ? `No Azure credential: set input '${SERVICE_CONNECTION}' to an Azure Resource Manager service connection.`
      : [
          "No Azure credential to sign in with. Either:",
          `- set inputs '${label("client-id")}' and '${label("tenant-id")}' to sign in with GitHub OIDC (the job needs 'permissions: id-token: write'), or`,
          "- give DefaultAzureCredential a source before this step: azure/login, AZURE_CLIENT_ID + AZURE_TENANT_ID (+ AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE), or a managed identity on a self-hosted runner.",
        ].join("\n");
  }

  const subject = /AADSTS(700213|7002138)\b[^']*presented assertion subject '([^']*)'/.exec(text);
  if (subject) {
    const [, code, sub] = subject;
    const caseOnly = code === "7002138" ? " It differs from a credential's subject only in upper/lower case: the match is case-sensitive." : "";
    if (ado) {
      return (
        `Sign-in failed (AADSTS${code}): the app or managed identity of the service connection (input '${SERVICE_CONNECTION}') has no federated credential ` +
        `for the subject '${sub}'.${caseOnly} Fix the federated credential's subject to exactly '${sub}' (issuer and audience as the service connection shows them), ` +
        `or let Azure DevOps create the connection's credential.`
      );
    }
    return (
      `Sign-in failed (AADSTS${code}): the app of ${identity} has no federated credential for this job's subject '${sub}'.${caseOnly} ` +
      `Either add a federated credential with exactly that subject, or run the job in the GitHub environment the credential names: ` +
      `'environment: <name>' on the job makes the subject 'repo:<owner>/<repo>:environment:<name>' (setup/setup.sh trusts 'environment:avd-images').`
    );
  }

  if (/endpoints_resolution_error|AADSTS90002\b/.test(text)) {
    const authority = settings.cloud.authorityHost;
    const tenant = settings.auth.kind === "oidc" ? settings.auth.tenantId : process.env.AZURE_TENANT_ID;
    const tenantFix = ado
      ? `the tenant ID of the service connection (input '${SERVICE_CONNECTION}')`
      : settings.auth.kind === "oidc"
        ? `input '${label("tenant-id")}' (the directory (tenant) ID of your Entra ID; now ${tenant})`
        : `AZURE_TENANT_ID${tenant ? ` (now ${tenant})` : ""}`;
    return (
      `Sign-in failed: Entra ID at ${authority} did not resolve the tenant${tenant ? ` '${tenant}'` : ""} (the authority's OpenID configuration could not be read). ` +
      `Check ${tenantFix}; input '${label("environment")}' (the cloud: AzureCloud, AzureUSGovernment or AzureChinaCloud; now ${environmentOf(settings)}); ` +
      `and input '${label("authority-host")}' (leave it empty unless your cloud has its own Entra ID host; now ${authority}).`
    );
  }

  const code = errorCode(error);
  const url = requestUrl(error);
  if (code && (UNREACHABLE.test(code) || code === ARM_UNREACHABLE) && url && sameOrigin(url, settings.cloud.armEndpoint)) {
    const cause = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\b/.exec(text)?.[1] ?? code;
    return (
      `Cannot connect to Azure Resource Manager at ${settings.cloud.armEndpoint} (${cause}). Check input '${label("arm-endpoint")}' ` +
      `(leave it empty for the own endpoint of ${environmentOf(settings)}, ${AZURE_CLOUDS[environmentOf(settings)].armEndpoint}; set it only for a private endpoint or proxy), ` +
      `and that this ${ado ? "agent" : "runner"} can reach it (proxy, firewall, DNS).`
    );
  }

  if (code === "SubscriptionNotFound") {
    return (
      `Input '${label("subscription-id")}': Resource Manager found no subscription '${settings.subscriptionId}' (SubscriptionNotFound). ` +
      `Check the ID (az account list), and that ${identity} has a role on it: a subscription of another tenant, or one the identity has no role on, is not found.`
    );
  }

  return undefined;
}

/** The error's message and those of its causes and aggregated errors, one per line. */
function messageChain(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 4) return error === undefined ? "" : String(error);
  const inner = [
    ...((error as { errors?: unknown[] }).errors ?? []).map((e) => messageChain(e, depth + 1)),
    error.cause !== undefined ? messageChain(error.cause, depth + 1) : "",
  ];
  return [error.message, ...inner].filter(Boolean).join("\n");
}

/** The named cloud of a run (the `environment` input), also when `arm-endpoint` overrides its endpoint. */
function environmentOf(settings: Settings): AzureEnvironmentName {
  const named = (Object.keys(AZURE_CLOUDS) as AzureEnvironmentName[]).find((name) => AZURE_CLOUDS[name].armScope === settings.cloud.armScope);
  return named ?? "AzureCloud";
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

function requestUrl(error: unknown): string | undefined {
  const url = (error as { request?: { url?: unknown } } | undefined)?.request?.url;
  return typeof url === "string" ? url : undefined;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** DefaultAzureCredential found no source: an AggregateAuthenticationError whose every error is a CredentialUnavailableError. */
function isNoCredential(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== "AggregateAuthenticationError") return false;
  const errors = (error as { errors?: unknown[] }).errors ?? [];
  return errors.length > 0 && errors.every((e) => e instanceof Error && e.name === "CredentialUnavailableError");
}
