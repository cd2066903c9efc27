/**
 * The `Emulator` a test holds (what `startEmulator`, index.ts, returns) and its `EmulatorDefaults`: seeding,
 * build knobs and faults, request log, options. Types only; index.ts implements them.
 */
import type { AdoJobInfo, AdoServiceConnection } from "./azure-devops.ts";
import type { Azurite } from "./azurite.ts";
import type { BuildLogRecord } from "./customization-log.ts";
import type { AppRegistration } from "./entra.ts";
import type { FileHost } from "./file-host.ts";
import type { ImageVersionSummary, SeedImageDefinition, SeedImageVersion } from "./gallery-store.ts";
import type { GithubTokenOptions } from "./github-oidc.ts";
import type { ImageContent } from "./image-content.ts";
import type { TemplateCreateFailure } from "./imagebuilder.ts";
import type { BuildFailure, BuildPhaseHook, BuildPlan } from "./imagebuilder-records.ts";
import type { SeedMarketplaceImage } from "./marketplace.ts";
import type { AvdDefaults, SeedFile } from "./seed.ts";
import type { EmulatorOptions, FaultHandle, FaultSpec, RequestLogEntry } from "./state.ts";

/** Identity values a test or child process needs to talk to the emulator. */
export interface EmulatorDefaults {
  subscriptionId: string;
  tenantId: string;
  /** Client id of the default app (has the secret and the default federated credential). */
  clientId: string;
  clientSecret: string;
  /** `authorityHost` for @azure/identity (= url). */
  authorityHost: string;
  /** Bearer token the GitHub OIDC request endpoint expects (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  githubRequestToken: string;
  /** `iss` of GitHub OIDC tokens, registered on the default app's federated credential. */
  githubIssuer: string;
  /** `sub` of GitHub OIDC tokens, registered on the default app's federated credential. */
  githubSubject: string;
}

/** A running emulator. */
export interface Emulator {
  /** `https://127.0.0.1:PORT` — ARM endpoint, Entra authority host and OIDC issuer base. */
  readonly url: string;
  /** The emulator's self-signed certificate (PEM); trust it as a CA. */
  readonly caCertPem: string;
  /** File with the existing NODE_EXTRA_CA_CERTS bundle + caCertPem, for NODE_EXTRA_CA_CERTS of a child process. */
  readonly caFile: string;
  readonly defaults: EmulatorDefaults;
  /** Live options (read-only view; change with setOptions). */
  readonly options: Readonly<EmulatorOptions>;
  /** Env for a child using @actions/core getIDToken: ACTIONS_ID_TOKEN_REQUEST_URL (with `?api-version=2.0` like GitHub's, so core can append `&audience=`) and ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  githubOidcEnv(): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** Env for a child: NODE_EXTRA_CA_CERTS, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_SUBSCRIPTION_ID, AZURE_AUTHORITY_HOST. */
  azureEnv(): Record<string, string>;
  /** Times the GitHub OIDC request endpoint issued a token. */
  readonly githubOidcCalls: number;
  /** Access tokens the Entra token endpoint issued. */
  readonly accessTokensIssued: number;
  /** Registers (or extends) an app registration: secret, certificate (PEM) and/or federated credentials. */
  registerApp(app: AppRegistration): void;
  /** Signs a GitHub OIDC token as the emulator's GitHub issuer (for assertion tests: expired, other subject…). */
  mintGithubOidcToken(o?: GithubTokenOptions): string;

  /**
   * The emulated Azure DevOps organization, project and job: `System.OidcRequestUri` (on the emulator),
   * the `System.AccessToken` it accepts, and the issuer of its OIDC tokens.
   */
  readonly azureDevOps: AdoJobInfo;
  /**
   * Makes an Azure Resource Manager service connection known to the emulated Azure DevOps OIDC endpoint
   * (id → name). Returns the subject of its tokens, `sc://{org}/{project}/{name}`, for a federated
   * credential (issuer `azureDevOps.issuer`).
   */
  registerAdoServiceConnection(c: AdoServiceConnection): string;
  /** Times the Azure DevOps OIDC request endpoint issued a token. */
  readonly adoOidcCalls: number;
  /**
   * Env for a child process whose @azure/identity ManagedIdentityCredential should reach the emulated
   * Azure Instance Metadata Service (IMDS) token endpoint: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (MSAL's
   * documented IMDS endpoint override). The system-assigned identity is `systemAssignedIdentity`;
   * user-assigned ones are the seeded user-assigned identities (by client id).
   */
  imdsEnv(): { AZURE_POD_IDENTITY_AUTHORITY_HOST: string };
  /** The system-assigned managed identity of the emulated machine (the agent's VM), in the default tenant. */
  readonly systemAssignedIdentity: { clientId: string; principalId: string; tenantId: string };
  /** Access tokens the IMDS endpoint issued. */
  readonly managedIdentityTokensIssued: number;

  seedResourceGroup(r: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }): {
    id: string;
    name: string;
    location: string;
  };
  seedGallery(g: { subscriptionId?: string; resourceGroup: string; name: string; location?: string; description?: string }): { id: string };
  seedImageDefinition(d: SeedImageDefinition): { id: string };
  seedImageVersion(v: SeedImageVersion): ImageVersionSummary;
  seedMarketplaceImage(m: SeedMarketplaceImage): void;
  /** GET-able Microsoft.ManagedIdentity/userAssignedIdentities resource. */
  seedUserAssignedIdentity(i: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }): {
    id: string;
    principalId: string;
    clientId: string;
  };
  /** rg-avd-images (westeurope), gallery galAvd, definition win11-avd-m365 (Windows, Generalized, V2, TrustedLaunchSupported), identity, marketplace image. */
  seedAvdDefaults(): AvdDefaults;
  /**
   * One more image definition `name` in the AVD defaults' gallery, shaped like theirs (Windows, Generalized,
   * V2, TrustedLaunchSupported, publisher contoso, offer avd, sku = name), with `overrides` on top.
   */
  seedAvdImageDefinition(name: string, overrides?: Partial<SeedImageDefinition>): { id: string };
  /** Applies a seed file. */
  seed(seed: SeedFile): void;

  /** Versions of an image definition: name, id, tags, properties. */
  listImageVersions(subscriptionId: string, resourceGroup: string, gallery: string, image: string): ImageVersionSummary[];
  /** ImageTemplate body as GET returns it, or undefined. */
  getImageTemplate(subscriptionId: string, resourceGroup: string, name: string): Record<string, unknown> | undefined;
  /** ImageTemplate bodies, optionally filtered. */
  listImageTemplates(subscriptionId?: string, resourceGroup?: string): Record<string, unknown>[];

  /** Injects a transport fault (429 + Retry-After, 500, dropped connection) for matching requests. */
  injectFault(spec: FaultSpec): FaultHandle;
  clearFaults(): void;
  /** Fails the next matching build at the end of a phase with AIB's message (packer failure for Customizing). */
  failNextBuild(f: BuildFailure & { templateName?: string }): void;
  /**
   * Puts an image template's last run into Canceling for good (a running build stops and publishes
   * nothing): cancel, run, delete and writes answer 405 OperationNotAllowed "… run state: canceling."
   * (danielsollondon/azvmimagebuilder #48, #79, #116) until {@link releaseStuckCanceling}.
   */
  stickTemplateInCanceling(subscriptionId: string, resourceGroup: string, name: string): void;
  /** Ends a stuck cancel, as Azure support does: the last run becomes Canceled. */
  releaseStuckCanceling(subscriptionId: string, resourceGroup: string, name: string): void;
  /** Per-build settings (phase durations, failure) for the next matching run. */
  nextBuild(plan: BuildPlan): void;
  /** Makes the next matching template PUT end in provisioningState Failed with provisioningError. */
  failNextTemplateCreate(f?: TemplateCreateFailure): void;
  /** Called when a build enters each phase (awaited); returns an unsubscribe function. */
  onBuildPhase(hook: BuildPhaseHook): () => void;
  /**
   * Backs the staging resource groups with Azurite (emulator/azurite.ts): ARM then lists one storage
   * account per staging resource group, its `primaryEndpoints.blob` at Azurite, and each build writes its
   * customization.log there as it walks its phases. Adds Azurite's certificate to `caFile`.
   * Undefined (the default): staging resource groups hold no storage account and builds write no log.
   */
  useAzurite(azurite: Azurite | undefined): void;
  /** The customization.log of each build so far (with useAzurite), oldest first. */
  buildLogs(): BuildLogRecord[];
  /**
   * The emulator's HTTPS file host (`${url}/files/<name>`, same TLS): scripts customizers download. Image
   * Builder copies them and computes their sha256Checksum when a template is created (file-host.ts).
   */
  readonly files: FileHost;
  /**
   * What the next builds' VMs install and hold (emulator/image-content.ts): the Windows updates the first
   * Windows Update customizer finds, and the OS build, applications, hotfixes and Appx packages an
   * inventory customizer prints. Parts not given keep their value (defaults: a June 2025 Windows 11 24H2 build).
   */
  setImageContent(content: Partial<ImageContent>): void;
  /** What the next builds' VMs install and hold. */
  imageContent(): ImageContent;

  /** Every request so far. */
  readonly requests: readonly RequestLogEntry[];
  /** ARM writes: PUT/PATCH/POST/DELETE on /subscriptions/… (not token or OIDC endpoints). */
  writeRequests(): RequestLogEntry[];
  resetLog(): void;
  /**
   * Request bodies checked against the vendored specs since start (not reset by `resetLog`): how many
   * were checked per operation (`PUT imageTemplates`, `PATCH versions`…) and each violation found
   * (`METHOD path: message`). Bodies with a violation were answered 400 (request-validation.ts).
   */
  bodyChecks(): { checked: Record<string, number>; violations: string[] };
  /** Changes options at run time (durations, page size, token lifetimes, auth…). */
  setOptions(partial: Partial<EmulatorOptions>): void;
  /** Closes the server, all connections and timers; removes the CA file. */
  close(): Promise<void>;
}
