/**
 * Azure clouds: which Resource Manager endpoint and Entra ID authority a run talks to.
 *
 * Pure. Endpoints are those of the Azure CLI's `az cloud show` for each cloud; the token audience of
 * Resource Manager is its `activeDirectoryResourceId`.
 */

/** The named Azure clouds the `environment` input accepts. */
export type AzureEnvironmentName = "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";

/** Where a run sends Resource Manager requests and gets its tokens. */
export interface CloudEndpoints {
  /** Name of the cloud, or `Custom` when `arm-endpoint` overrides it. */
  name: AzureEnvironmentName | "Custom";
  /** Resource Manager base URL, no trailing slash, e.g. `https://management.azure.com`. */
  armEndpoint: string;
  /** Entra ID authority host, no trailing slash, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** OAuth scope of Resource Manager tokens, e.g. `https://management.azure.com/.default`. */
  armScope: string;
  /** True when the authority is not a well-known Entra ID host (skip MSAL instance discovery). */
  customAuthority: boolean;
  /**
   * Audience (`aud`) of the OIDC token exchanged with this cloud's Entra ID (workload identity
   * federation), e.g. `api://AzureADTokenExchange`: the value a federated identity credential expects by
   * default in that cloud (Microsoft Entra workload identity federation docs; @azure/identity's
   * GitHub credential `deriveAudience`). The `audience` input overrides it.
   */
  tokenExchangeAudience: string;
}

/** Known clouds, by the name Azure CLI and Azure DevOps service connections use. */
export const AZURE_CLOUDS: Record<AzureEnvironmentName, Omit<CloudEndpoints, "customAuthority">> = {
  AzureCloud: {
    name: "AzureCloud",
    armEndpoint: "https://management.azure.com",
    authorityHost: "https://login.microsoftonline.com",
    armScope: "https://management.azure.com/.default",
    tokenExchangeAudience: "api://AzureADTokenExchange",
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    armEndpoint: "https://management.usgovcloudapi.net",
    authorityHost: "https://login.microsoftonline.us",
    armScope: "https://management.core.usgovcloudapi.net/.default",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    armEndpoint: "https://management.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    armScope: "https://management.core.chinacloudapi.cn/.default",
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
  },
};

/**
 * Resolves the endpoints of a run: the named cloud, with `armEndpoint` / `authorityHost` overriding
 * its Resource Manager endpoint and Entra authority (private endpoints and proxies, and the local
 * emulator). Tokens keep the named cloud's Resource Manager audience.
 * Both overrides must already be validated `https://` URLs.
 */
export function resolveCloud(environment: AzureEnvironmentName, armEndpoint?: string, authorityHost?: string): CloudEndpoints {
  const base = AZURE_CLOUDS[environment];
  const arm = armEndpoint ? trimSlash(armEndpoint) : base.armEndpoint;
  const authority = authorityHost ? trimSlash(authorityHost) : base.authorityHost;
  return {
    name: armEndpoint ? "Custom" : base.name,
    armEndpoint: arm,
    authorityHost: authority,
    // The token audience stays the named cloud's: an overridden endpoint fronts that cloud's Resource Manager.
    armScope: base.armScope,
    customAuthority: Boolean(authorityHost),
    // Overridden endpoints front the named cloud's Entra ID too: its token exchange audience stays.
    tokenExchangeAudience: base.tokenExchangeAudience,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
