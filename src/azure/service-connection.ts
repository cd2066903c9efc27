/**
 * Azure Resource Manager service connections of Azure DevOps, read as the agent hands them to a task,
 * and the @azure/identity credential each kind of connection authenticates with.
 *
 * The agent passes a connection `<id>` (the GUID the `azureSubscription` input resolves to) as
 * environment variables: `ENDPOINT_URL_<id>` (the Resource Manager URL), `ENDPOINT_AUTH_SCHEME_<id>`,
 * `ENDPOINT_AUTH_PARAMETER_<id>_<KEY>` and `ENDPOINT_DATA_<id>_<KEY>` (keys upper-cased). The task
 * library reads them (`getEndpointUrl`, `getEndpointAuthorizationScheme`,
 * `getEndpointAuthorizationParameter`, `getEndpointDataParameter`); this module only sees an
 * {@link EndpointReader}, so it is tested without the task library. Field names are those of
 * azure-pipelines-tasks' AzureRMEndpoint (azure-arm-rest):
 *
 * | scheme | authorization parameters | data |
 * |---|---|---|
 * | `WorkloadIdentityFederation` | `serviceprincipalid`, `tenantid` | `subscriptionId`, `environment` |
 * | `ServicePrincipal` (or none) | `authenticationType` `spnKey` (default): `serviceprincipalid`, `serviceprincipalkey`, `tenantid`; `spnCertificate`: `servicePrincipalCertificate` (PEM: certificate and private key) instead of the key | idem |
 * | `ManagedServiceIdentity` | `tenantid` | idem, and `msiclientId` (user-assigned identity's client id, optional) |
 *
 * Pure except for the credential constructors.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { AzurePipelinesCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import { AZURE_CLOUDS, type AzureEnvironmentName, type CloudEndpoints } from "../cloud.ts";
import { ActionError } from "../errors.ts";

/** The task input that names the service connection. */
export const SERVICE_CONNECTION_INPUT = "azureSubscription";

/** Reads one service connection's fields as the agent provides them; undefined when absent. */
export interface EndpointReader {
  scheme(id: string): string | undefined;
  authParameter(id: string, key: string): string | undefined;
  data(id: string, key: string): string | undefined;
  url(id: string): string | undefined;
}

/** How a connection authenticates, validated. */
export type ConnectionAuth =
  | { kind: "workloadIdentity"; tenantId: string; clientId: string }
  | { kind: "secret"; tenantId: string; clientId: string; clientSecret: string }
  | { kind: "certificate"; tenantId: string; clientId: string; certificatePem: string }
  | { kind: "managedIdentity"; tenantId?: string; clientId?: string };

/** What a connection says about where to go, besides how to authenticate. All optional. */
export interface ConnectionTarget {
  /** Data `subscriptionId` (absent on management-group scoped connections). */
  subscriptionId?: string;
  /** Data `environment`: AzureCloud, AzureUSGovernment, AzureChinaCloud, AzureStack… */
  environment?: string;
  /** `ENDPOINT_URL_<id>`: the Resource Manager URL. */
  armUrl?: string;
  /** Data `activeDirectoryAuthority` (or the older `environmentAuthorityUrl`). */
  authorityUrl?: string;
}

/** What the job provides for workload identity federation. */
export interface JobOidc {
  /** `System.OidcRequestUri` (env SYSTEM_OIDCREQUESTURI). */
  oidcRequestUri?: string;
  /** `System.AccessToken` of the job. */
  accessToken?: string;
}

/** A service connection that is missing, incomplete or of a kind this task cannot use. */
export class ServiceConnectionError extends ActionError {
  override name = "ServiceConnectionError";
}

/** Display names of the schemes, for messages. */
const SCHEME_LABELS: Record<ConnectionAuth["kind"], string> = {
  workloadIdentity: "workload identity federation",
  secret: "service principal with a secret",
  certificate: "service principal with a certificate",
  managedIdentity: "managed identity",
};

/** `Service connection '<id>' (input 'azureSubscription')`. */
export function connectionLabel(id: string): string {
  return `Service connection '${id}' (input '${SERVICE_CONNECTION_INPUT}')`;
}

/**
 * Throws unless the `azureSubscription` input names a connection the agent passed to this job.
 * @throws ServiceConnectionError
 */
export function requireConnection(id: string, read: EndpointReader): void {
  if (!id) {
    throw new ServiceConnectionError(
      `Input '${SERVICE_CONNECTION_INPUT}' is required: the Azure Resource Manager service connection the task authenticates with ` +
        `(workload identity federation, service principal, or managed identity).`,
    );
  }
  if (!read.scheme(id) && !read.url(id) && !read.authParameter(id, "tenantid")) {
    throw new ServiceConnectionError(
      `${connectionLabel(id)} was not passed to this job: check its name, that it is an Azure Resource Manager connection, and that this pipeline is authorized to use it.`,
    );
  }
}

/**
 * The subscription of a run whose `subscriptionId` input is empty: the connection's.
 * @throws ServiceConnectionError when there is no connection, or it has no subscription (management-group scope).
 */
export function connectionSubscription(id: string, read: EndpointReader, target: ConnectionTarget): string {
  requireConnection(id, read);
  if (target.subscriptionId) return target.subscriptionId;
  throw new ServiceConnectionError(
    `${connectionLabel(id)} has no subscription ID (endpoint data 'subscriptionId'; a management-group scoped connection?): set the task input 'subscriptionId'.`,
  );
}

/** The target fields of a connection (never throws: a connection may be absent). */
export function readConnectionTarget(id: string, read: EndpointReader): ConnectionTarget {
  const value = (v: string | undefined) => (v && v.trim() !== "" ? v.trim() : undefined);
  return {
    subscriptionId: value(read.data(id, "subscriptionId")),
    environment: value(read.data(id, "environment")),
    armUrl: value(read.url(id)),
    authorityUrl: value(read.data(id, "activeDirectoryAuthority")) ?? value(read.data(id, "environmentAuthorityUrl")),
  };
}

/**
 * Reads and validates how a connection authenticates.
 * @throws ServiceConnectionError naming the connection and the missing field, or the unsupported scheme.
 */
export function readConnectionAuth(id: string, read: EndpointReader): ConnectionAuth {
  requireConnection(id, read);
  const scheme = read.scheme(id)?.trim();
  const label = connectionLabel(id);
  const param = (key: string) => {
    const v = read.authParameter(id, key);
    return v && v.trim() !== "" ? v.trim() : undefined;
  };
  const need = (kind: ConnectionAuth["kind"], key: string, what: string): string => {
    const v = param(key);
    if (v === undefined) {
      throw new ServiceConnectionError(
        `${label} is incomplete: ${SCHEME_LABELS[kind]} needs ${what} (authorization parameter '${key}'), which the connection does not have. ` +
          `Edit the service connection (Project settings > Service connections) or create it again.`,
      );
    }
    return v;
  };
  switch ((scheme ?? "ServicePrincipal").toLowerCase()) {
    case "workloadidentityfederation":
      return {
        kind: "workloadIdentity",
        clientId: need("workloadIdentity", "serviceprincipalid", "the client ID of its app registration or managed identity"),
        tenantId: need("workloadIdentity", "tenantid", "the Entra ID tenant ID"),
      };
    case "serviceprincipal": {
      const type = param("authenticationType") ?? "spnKey";
      if (type === "spnCertificate") {
        const clientId = need("certificate", "serviceprincipalid", "the service principal's client ID");
        const tenantId = need("certificate", "tenantid", "the Entra ID tenant ID");
        const certificatePem = need("certificate", "servicePrincipalCertificate", "the PEM certificate with its private key");
        if (!/-----BEGIN CERTIFICATE-----/.test(certificatePem) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certificatePem)) {
          throw new ServiceConnectionError(
            `${label} is incomplete: a service principal with a certificate needs a PEM holding both the certificate and its private key ` +
              `(authorization parameter 'servicePrincipalCertificate'), and this one has ${/-----BEGIN CERTIFICATE-----/.test(certificatePem) ? "no private key" : "no certificate"}.`,
          );
        }
        return { kind: "certificate", clientId, tenantId, certificatePem };
      }
      if (type !== "spnKey") {
        throw new ServiceConnectionError(`${label} has authenticationType '${type}'; this task supports 'spnKey' (secret) and 'spnCertificate' (certificate).`);
      }
      return {
        kind: "secret",
        clientId: need("secret", "serviceprincipalid", "the service principal's client ID"),
        tenantId: need("secret", "tenantid", "the Entra ID tenant ID"),
        clientSecret: need("secret", "serviceprincipalkey", "the service principal's secret"),
      };
    }
    case "managedserviceidentity": {
      const clientId = read.data(id, "msiclientId")?.trim() || undefined;
      const tenantId = param("tenantid");
      return { kind: "managedIdentity", ...(clientId ? { clientId } : {}), ...(tenantId ? { tenantId } : {}) };
    }
    default:
      throw new ServiceConnectionError(
        `${label} uses the authentication scheme '${scheme}', which this task does not support. ` +
          `Use an Azure Resource Manager connection with workload identity federation, a service principal (secret or certificate), or a managed identity.`,
      );
  }
}

/**
 * The credential a connection authenticates with, against `cloud`'s authority.
 * @throws ServiceConnectionError when workload identity federation lacks the job's OIDC request URI or access token.
 */
export function createConnectionCredential(id: string, auth: ConnectionAuth, cloud: CloudEndpoints, job: JobOidc): TokenCredential {
  const options = { authorityHost: cloud.authorityHost, disableInstanceDiscovery: cloud.customAuthority };
  switch (auth.kind) {
    case "workloadIdentity":
      if (!job.oidcRequestUri) {
        throw new ServiceConnectionError(
          `${connectionLabel(id)} uses workload identity federation, but this job has no OIDC request URI (variable System.OidcRequestUri, env SYSTEM_OIDCREQUESTURI): ` +
            `run it on Azure DevOps Services, or use a service principal connection.`,
        );
      }
      if (!job.accessToken) {
        throw new ServiceConnectionError(
          `${connectionLabel(id)} uses workload identity federation, which needs the job's access token (System.AccessToken) to request an OIDC token, ` +
            `and the task did not receive it. Do not disable access to the OAuth token for this job.`,
        );
      }
      // AzurePipelinesCredential asks Azure DevOps for a new OIDC token on every getToken, even when MSAL
      // then serves a cached access token: share the access token between the SDK clients instead.
      return shareTokens(new AzurePipelinesCredential(auth.tenantId, auth.clientId, id, job.accessToken, options));
    case "secret":
      return new ClientSecretCredential(auth.tenantId, auth.clientId, auth.clientSecret, options);
    case "certificate":
      return new ClientCertificateCredential(auth.tenantId, auth.clientId, { certificate: auth.certificatePem }, options);
    case "managedIdentity":
      return auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
  }
}

/** Seconds before expiry at which a shared access token is fetched again (the SDK's bearer policy refreshes 2 minutes before). */
const SHARED_TOKEN_MARGIN_SECONDS = 300;

/**
 * Wraps `credential` so the clients of one run share each access token (per scope list) until it is
 * 5 minutes from expiry; concurrent requests share one fetch.
 */
export function shareTokens(credential: TokenCredential, now: () => number = Date.now): TokenCredential {
  const cache = new Map<string, Promise<AccessToken | null>>();
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const key = [scopes].flat().join(" ") + (options?.tenantId ? `@${options.tenantId}` : "") + (options?.claims ? `#${options.claims}` : "");
      const cached = cache.get(key);
      if (cached) {
        const token = await cached.catch(() => null);
        if (token && token.expiresOnTimestamp - SHARED_TOKEN_MARGIN_SECONDS * 1000 > now()) return token;
        if (cache.get(key) !== cached) return cache.get(key)!;
      }
      const fetching = credential.getToken(scopes, options);
      cache.set(key, fetching);
      fetching.catch(() => {
        if (cache.get(key) === fetching) cache.delete(key);
      });
      return fetching;
    },
  };
}

/** Entra ID hosts of each named cloud (the authority of a connection on one of them is not an override). */
const KNOWN_AUTHORITY_HOSTS: Record<AzureEnvironmentName, string[]> = {
  AzureCloud: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
  AzureUSGovernment: ["login.microsoftonline.us", "login.usgovcloudapi.net"],
  AzureChinaCloud: ["login.chinacloudapi.cn", "login.partner.microsoftonline.cn"],
};

function isEnvironmentName(value: string | undefined): value is AzureEnvironmentName {
  return value !== undefined && Object.hasOwn(AZURE_CLOUDS, value);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The `environment` a run uses: the connection's when it names one of the supported clouds and the
 * input is left at its default (or empty); otherwise the input.
 */
export function effectiveEnvironment(input: string, inputDefault: string, target: ConnectionTarget): string {
  if ((input === "" || input === inputDefault) && isEnvironmentName(target.environment)) return target.environment;
  return input;
}

/**
 * Why the connection cannot be used in `environment`, or undefined: it is for another supported cloud
 * than the input names, or for an environment this task does not support (Azure Stack, Azure Germany).
 */
export function environmentProblem(id: string, environment: string, target: ConnectionTarget): string | undefined {
  if (!target.environment) return undefined;
  if (!isEnvironmentName(target.environment)) {
    return `${connectionLabel(id)} is for the Azure environment '${target.environment}', which this task does not support (AzureCloud, AzureUSGovernment, AzureChinaCloud).`;
  }
  if (target.environment !== environment) {
    return `Input 'environment' is '${environment}', but ${connectionLabel(id)} is for '${target.environment}'. Leave 'environment' at its default to follow the connection, or use a connection for ${environment}.`;
  }
  return undefined;
}

/**
 * The Resource Manager endpoint of a connection when it is not the named cloud's own (a custom cloud,
 * a private endpoint): `ENDPOINT_URL_<id>` without its trailing slash; '' otherwise.
 */
export function connectionArmEndpoint(environment: string, target: ConnectionTarget): string {
  if (!target.armUrl || !isEnvironmentName(environment)) return "";
  const host = hostOf(target.armUrl);
  if (!host || host === hostOf(AZURE_CLOUDS[environment].armEndpoint)) return "";
  return target.armUrl.replace(/\/+$/, "");
}

/** The Entra authority of a connection when it is not one of the named cloud's hosts; '' otherwise. */
export function connectionAuthorityHost(environment: string, target: ConnectionTarget): string {
  if (!target.authorityUrl || !isEnvironmentName(environment)) return "";
  const host = hostOf(target.authorityUrl);
  if (!host || KNOWN_AUTHORITY_HOSTS[environment].includes(host)) return "";
  return target.authorityUrl.replace(/\/+$/, "");
}
