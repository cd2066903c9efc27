/**
 * Public API of the local Azure Resource Manager emulator.
 *
 * ```ts
 * const emu = await startEmulator({ phaseDurationsMs: { Customizing: 50 } });
 * emu.seedAvdDefaults();
 * // child process: env NODE_EXTRA_CA_CERTS=emu.caFile, AZURE_AUTHORITY_HOST=emu.url, ...emu.githubOidcEnv()
 * await emu.close();
 * ```
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { ArmError, Operations, isRecord, jsonEqual } from './arm.ts';
import type { Route } from './arm.ts';
import { AzureDevOps } from './azure-devops.ts';
import type { AdoJobInfo, AdoServiceConnection } from './azure-devops.ts';
import { createServerCertificate, writeCaBundle } from './cert.ts';
import type { CaBundleFile } from './cert.ts';
import { Entra } from './entra.ts';
import type { AppRegistration, GithubTokenOptions } from './entra.ts';
import { FileHost } from './file-host.ts';
import { Gallery } from './gallery.ts';
import type { ImageVersionSummary, SeedImageDefinition, SeedImageVersion } from './gallery.ts';
import { ImageBuilder } from './imagebuilder.ts';
import type { BuildFailure, BuildPhaseHook, BuildPlan, TemplateCreateFailure } from './imagebuilder.ts';
import { Marketplace, compareDotted } from './marketplace.ts';
import type { SeedMarketplaceImage } from './marketplace.ts';
import { Resources, guidFrom } from './resources.ts';
import type { IdentityRecord } from './resources.ts';
import { AVD_DEFAULTS, applySeed } from './seed.ts';
import { Storage } from './storage.ts';
import type { BuildLogRecord, StagingGroup } from './storage.ts';
import type { ImageContent } from './image-content.ts';
import type { Azurite } from './azurite.ts';
import type { AvdDefaults, SeedFile } from './seed.ts';
import { EmulatorServer, operationRoutes } from './server.ts';
import { Scheduler, resolveOptions } from './state.ts';
import type { Core } from './core.ts';
import type { EmulatorOptions, FaultHandle, FaultSpec, RequestLogEntry } from './state.ts';

export type { AppRegistration, FederatedCredential, GithubTokenOptions } from './entra.ts';
export type { AdoJobInfo, AdoServiceConnection } from './azure-devops.ts';
export type { ImageVersionSummary, SeedImageDefinition, SeedImageVersion, TargetRegionInput } from './gallery.ts';
export type { BuildFailure, BuildPhaseHook, BuildPlan, TemplateCreateFailure } from './imagebuilder.ts';
export type { SeedMarketplaceImage } from './marketplace.ts';
export type { EmulatedUpdate, ImageContent } from './image-content.ts';
export type { AvdDefaults, SeedFile } from './seed.ts';
export type { BuildLogRecord } from './storage.ts';
export type { FileHost } from './file-host.ts';
export type { Azurite, AzuriteOptions } from './azurite.ts';
export type { EmulatorOptions, FaultHandle, FaultKind, FaultSpec, RequestKind, RequestLogEntry, RunSubState } from './state.ts';
export { AVD_DEFAULTS } from './seed.ts';
export { DEFAULT_OPTIONS, RUN_SUB_STATES } from './state.ts';
export { compareVersions, parseVersion } from './gallery.ts';
export { ArmError };

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

  seedResourceGroup(r: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }): { id: string; name: string; location: string };
  seedGallery(g: { subscriptionId?: string; resourceGroup: string; name: string; location?: string; description?: string }): { id: string };
  seedImageDefinition(d: SeedImageDefinition): { id: string };
  seedImageVersion(v: SeedImageVersion): ImageVersionSummary;
  seedMarketplaceImage(m: SeedMarketplaceImage): void;
  /** GET-able Microsoft.ManagedIdentity/userAssignedIdentities resource. */
  seedUserAssignedIdentity(i: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }): { id: string; principalId: string; clientId: string };
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

/** Options of {@link startEmulator}: any {@link EmulatorOptions} plus an initial seed. */
export type StartEmulatorOptions = Partial<EmulatorOptions> & { seed?: SeedFile; azurite?: Azurite };

/** Starts an emulator on 127.0.0.1 (HTTPS, certificate made now). */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const { seed, azurite, ...rest } = options;
  const opts = resolveOptions(rest);
  const tls = await createServerCertificate();
  let baseUrl = '';
  const scheduler = new Scheduler();
  scheduler.onError = (e) => process.emitWarning(`ARM emulator: ${String(e)}`);
  let coreRef: Core | undefined;
  const getCore = () => coreRef!;
  const resources = new Resources(() => opts);
  const core: Core = {
    options: opts,
    baseUrl: () => baseUrl,
    scheduler,
    operations: new Operations(() => baseUrl),
    resources,
  };
  coreRef = core;
  const entra = new Entra(getCore);
  const azureDevOps = new AzureDevOps(getCore);
  entra.trustIssuer({ issuer: () => azureDevOps.issuer(), kid: azureDevOps.kid, publicKey: azureDevOps.publicKey });
  const systemAssigned = { tenantId: opts.tenantId, clientId: guidFrom('ado-agent-vm:client'), principalId: guidFrom('ado-agent-vm:principal') };
  entra.managedIdentities = {
    systemAssigned,
    userAssigned: (clientId) => {
      const i = [...resources.identities.values()].find((r) => r.clientId.toLowerCase() === clientId.toLowerCase());
      return i && { tenantId: i.tenantId, clientId: i.clientId, principalId: i.principalId };
    },
  };
  const gallery = new Gallery(getCore);
  const marketplace = new Marketplace();
  const imageBuilder = new ImageBuilder(getCore, gallery, marketplace);
  const storage = new Storage(getCore, () => imageBuilder.listTemplates().flatMap(stagingGroupOf));
  imageBuilder.buildLog = storage;
  const files = new FileHost(() => baseUrl);
  imageBuilder.files = files;
  const routes: Route[] = [...entra.routes(), ...azureDevOps.routes(), ...operationRoutes(core), ...resources.routes(), ...imageBuilder.routes(), ...gallery.routes(), ...marketplace.routes(), ...storage.routes(), ...files.routes()];
  const server = new EmulatorServer(tls, core, entra, routes);
  const port = await server.listen(opts.port);
  baseUrl = `https://127.0.0.1:${port}`;
  const ca: CaBundleFile = writeCaBundle(tls.certPem);

  resources.addSubscription(opts.subscriptionId, opts.tenantId);
  entra.registerApp({
    tenantId: opts.tenantId,
    clientId: opts.clientId,
    secret: opts.clientSecret,
    federated: [{ issuer: entra.githubIssuer(), subject: opts.githubSubject }],
  });

  const emu = new EmulatorImpl({ server, core, entra, azureDevOps, systemAssigned, gallery, marketplace, imageBuilder, storage, files, ca, certPem: tls.certPem });
  if (seed) emu.seed(seed);
  if (azurite) emu.useAzurite(azurite);
  return emu;
}

interface Parts {
  server: EmulatorServer;
  core: Core;
  entra: Entra;
  azureDevOps: AzureDevOps;
  systemAssigned: { clientId: string; principalId: string; tenantId: string };
  gallery: Gallery;
  marketplace: Marketplace;
  imageBuilder: ImageBuilder;
  storage: Storage;
  files: FileHost;
  ca: CaBundleFile;
  certPem: string;
}

class EmulatorImpl implements Emulator {
  private readonly p: Parts;
  private closed = false;
  constructor(p: Parts) {
    this.p = p;
  }

  get url(): string {
    return this.p.core.baseUrl();
  }
  get caCertPem(): string {
    return this.p.certPem;
  }
  get caFile(): string {
    return this.p.ca.path;
  }
  get options(): Readonly<EmulatorOptions> {
    return this.p.core.options;
  }
  get defaults(): EmulatorDefaults {
    const o = this.p.core.options;
    return {
      subscriptionId: o.subscriptionId,
      tenantId: o.tenantId,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      authorityHost: this.url,
      githubRequestToken: o.githubRequestToken,
      githubIssuer: this.p.entra.githubIssuer(),
      githubSubject: o.githubSubject,
    };
  }
  githubOidcEnv() {
    return { ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}/github/oidc/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.p.core.options.githubRequestToken };
  }
  azureEnv(): Record<string, string> {
    const d = this.defaults;
    return { NODE_EXTRA_CA_CERTS: this.caFile, AZURE_TENANT_ID: d.tenantId, AZURE_CLIENT_ID: d.clientId, AZURE_SUBSCRIPTION_ID: d.subscriptionId, AZURE_AUTHORITY_HOST: d.authorityHost };
  }
  get githubOidcCalls(): number {
    return this.p.entra.githubOidcCalls;
  }
  get accessTokensIssued(): number {
    return this.p.entra.accessTokensIssued;
  }
  registerApp(app: AppRegistration): void {
    this.p.entra.registerApp(app);
  }
  mintGithubOidcToken(o?: GithubTokenOptions): string {
    return this.p.entra.mintGithubOidcToken(o);
  }
  get azureDevOps(): AdoJobInfo {
    return this.p.azureDevOps.job();
  }
  registerAdoServiceConnection(c: AdoServiceConnection): string {
    return this.p.azureDevOps.registerServiceConnection(c);
  }
  get adoOidcCalls(): number {
    return this.p.azureDevOps.oidcCalls;
  }
  imdsEnv() {
    return { AZURE_POD_IDENTITY_AUTHORITY_HOST: this.url };
  }
  get systemAssignedIdentity() {
    return { ...this.p.systemAssigned };
  }
  get managedIdentityTokensIssued(): number {
    return this.p.entra.managedIdentityTokensIssued;
  }

  seedResourceGroup(r: { subscriptionId?: string; name: string; location?: string; tags?: Record<string, string> }) {
    const g = this.p.core.resources.addResourceGroup(r);
    return { id: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.name}`, name: g.name, location: g.location };
  }
  seedGallery(g: { subscriptionId?: string; resourceGroup: string; name: string; location?: string; description?: string }) {
    return { id: this.p.gallery.galleryId(this.p.gallery.seedGallery(g)) };
  }
  seedImageDefinition(d: SeedImageDefinition) {
    return { id: this.p.gallery.imageId(this.p.gallery.seedImageDefinition(d)) };
  }
  seedImageVersion(v: SeedImageVersion): ImageVersionSummary {
    return this.p.gallery.seedImageVersion(v);
  }
  seedMarketplaceImage(m: SeedMarketplaceImage): void {
    this.p.marketplace.seed(m);
  }
  seedUserAssignedIdentity(i: { subscriptionId?: string; resourceGroup: string; name: string; location?: string }) {
    const rec: IdentityRecord = this.p.core.resources.addIdentity(i);
    return { id: this.p.core.resources.identityId(rec), principalId: rec.principalId, clientId: rec.clientId };
  }
  seedAvdImageDefinition(name: string, overrides: Partial<SeedImageDefinition> = {}) {
    const a = AVD_DEFAULTS;
    return this.seedImageDefinition({
      resourceGroup: a.resourceGroup,
      gallery: a.gallery,
      name,
      osType: 'Windows',
      osState: 'Generalized',
      hyperVGeneration: 'V2',
      publisher: 'contoso',
      offer: 'avd',
      sku: name,
      securityType: 'TrustedLaunchSupported',
      ...overrides,
    });
  }
  seedAvdDefaults(): AvdDefaults {
    const a = AVD_DEFAULTS;
    const sub = this.p.core.options.subscriptionId;
    this.seedResourceGroup({ name: a.resourceGroup, location: a.location });
    const ident = this.seedUserAssignedIdentity({ resourceGroup: a.resourceGroup, name: a.identity, location: a.location });
    const gal = this.seedGallery({ resourceGroup: a.resourceGroup, name: a.gallery, location: a.location });
    const def = this.seedAvdImageDefinition(a.imageDefinition);
    const m = a.marketplace;
    this.seedMarketplaceImage({ location: a.location, publisher: m.publisher, offer: m.offer, sku: m.sku, versions: [...m.versions], hyperVGeneration: 'V2', securityType: 'TrustedLaunchSupported' });
    const sorted = [...m.versions].sort(compareDotted);
    const text = [...m.versions].sort();
    return {
      subscriptionId: sub,
      resourceGroup: a.resourceGroup,
      location: a.location,
      gallery: a.gallery,
      imageDefinition: a.imageDefinition,
      identity: a.identity,
      identityId: ident.id,
      identityPrincipalId: ident.principalId,
      identityClientId: ident.clientId,
      galleryId: gal.id,
      imageDefinitionId: def.id,
      marketplace: { publisher: m.publisher, offer: m.offer, sku: m.sku, versions: [...m.versions], latest: sorted.at(-1)!, textLatest: text.at(-1)! },
    };
  }
  seed(seed: SeedFile): void {
    applySeed(this, seed);
  }

  listImageVersions(subscriptionId: string, resourceGroup: string, gallery: string, image: string): ImageVersionSummary[] {
    return this.p.gallery.listImageVersions(subscriptionId, resourceGroup, gallery, image);
  }
  getImageTemplate(subscriptionId: string, resourceGroup: string, name: string) {
    return this.p.imageBuilder.getTemplate(subscriptionId, resourceGroup, name);
  }
  listImageTemplates(subscriptionId?: string, resourceGroup?: string) {
    return this.p.imageBuilder.listTemplates(subscriptionId, resourceGroup);
  }

  injectFault(spec: FaultSpec): FaultHandle {
    return this.p.server.injectFault(spec);
  }
  clearFaults(): void {
    this.p.server.clearFaults();
  }
  stickTemplateInCanceling(subscriptionId: string, resourceGroup: string, name: string): void {
    this.p.imageBuilder.stickInCanceling(subscriptionId, resourceGroup, name);
  }
  releaseStuckCanceling(subscriptionId: string, resourceGroup: string, name: string): void {
    this.p.imageBuilder.releaseStuckCanceling(subscriptionId, resourceGroup, name);
  }
  failNextBuild(f: BuildFailure & { templateName?: string }): void {
    this.p.imageBuilder.failNextBuild(f);
  }
  nextBuild(plan: BuildPlan): void {
    this.p.imageBuilder.nextBuild(plan);
  }
  failNextTemplateCreate(f?: TemplateCreateFailure): void {
    this.p.imageBuilder.failNextTemplateCreate(f);
  }
  onBuildPhase(hook: BuildPhaseHook): () => void {
    return this.p.imageBuilder.onBuildPhase(hook);
  }
  useAzurite(azurite: Azurite | undefined): void {
    this.p.storage.useAzurite(azurite);
    if (azurite && !readFileSync(this.p.ca.path, 'utf8').includes(azurite.certPem.trim())) appendFileSync(this.p.ca.path, `\n${azurite.certPem}`);
  }
  get files(): FileHost {
    return this.p.files;
  }

  buildLogs(): BuildLogRecord[] {
    return this.p.storage.logs();
  }
  setImageContent(content: Partial<ImageContent>): void {
    this.p.storage.setImageContent(content);
  }
  imageContent(): ImageContent {
    return this.p.storage.imageContent();
  }

  get requests(): readonly RequestLogEntry[] {
    return this.p.server.log;
  }
  writeRequests(): RequestLogEntry[] {
    return this.p.server.log.filter((e) => e.kind === 'arm' && ['PUT', 'PATCH', 'POST', 'DELETE'].includes(e.method));
  }
  resetLog(): void {
    this.p.server.log.length = 0;
  }
  bodyChecks(): { checked: Record<string, number>; violations: string[] } {
    return { checked: { ...this.p.server.bodyChecks.checked }, violations: [...this.p.server.bodyChecks.violations] };
  }
  setOptions(partial: Partial<EmulatorOptions>): void {
    const next = resolveOptions(partial, this.p.core.options);
    for (const k of ['port', 'subscriptionId', 'tenantId', 'clientId', 'clientSecret', 'githubRequestToken', 'githubIssuer'] as const) {
      if (partial[k] !== undefined && !jsonEqual(partial[k], this.p.core.options[k])) {
        throw new Error(`setOptions: '${k}' can only be set at start`);
      }
    }
    Object.assign(this.p.core.options, next);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.p.core.scheduler.close();
    await this.p.server.close();
    this.p.ca.dispose();
  }
}

/** The staging resource group of an image template body (once provisioned). */
function stagingGroupOf(template: Record<string, unknown>): StagingGroup[] {
  const props = isRecord(template.properties) ? template.properties : {};
  const id = typeof props.exactStagingResourceGroup === 'string' ? props.exactStagingResourceGroup : '';
  const tags = isRecord(props.managedResourceTags) ? Object.fromEntries(Object.entries(props.managedResourceTags).map(([k, v]) => [k, String(v)])) : undefined;
  return id ? [{ id, location: String(template.location ?? 'westeurope'), ...(tags ? { tags } : {}) }] : [];
}
