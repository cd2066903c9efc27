/**
 * Public API of the local Azure Resource Manager emulator: `startEmulator`, which wires the services
 * together, and the `Emulator` it returns (its interface is api.ts).
 *
 * ```ts
 * const emu = await startEmulator({ phaseDurationsMs: { Customizing: 50 } });
 * emu.seedAvdDefaults();
 * // child process: env NODE_EXTRA_CA_CERTS=emu.caFile, AZURE_AUTHORITY_HOST=emu.url, ...emu.githubOidcEnv()
 * await emu.close();
 * ```
 */
import { appendFileSync, readFileSync } from "node:fs";
import type { Emulator, EmulatorDefaults } from "./api.ts";
import type { Route } from "./arm.ts";
import { ArmError, Operations, isRecord, jsonEqual } from "./arm.ts";
import type { AdoJobInfo, AdoServiceConnection } from "./azure-devops.ts";
import { AzureDevOps } from "./azure-devops.ts";
import type { Azurite } from "./azurite.ts";
import type { CaBundleFile } from "./cert.ts";
import { createServerCertificate, writeCaBundle } from "./cert.ts";
import type { Core } from "./core.ts";
import type { BuildLogRecord } from "./customization-log.ts";
import { CustomizationLog } from "./customization-log.ts";
import type { AppRegistration } from "./entra.ts";
import { Entra } from "./entra.ts";
import { FileHost } from "./file-host.ts";
import { GalleryProvider } from "./gallery.ts";
import type { ImageVersionSummary, SeedImageDefinition, SeedImageVersion } from "./gallery-store.ts";
import { Gallery } from "./gallery-store.ts";
import type { GithubTokenOptions } from "./github-oidc.ts";
import { GithubOidc } from "./github-oidc.ts";
import type { ImageContent } from "./image-content.ts";
import type { BuildFailure, BuildPhaseHook, BuildPlan, TemplateCreateFailure } from "./imagebuilder.ts";
import { ImageBuilder } from "./imagebuilder.ts";
import type { SeedMarketplaceImage } from "./marketplace.ts";
import { Marketplace } from "./marketplace.ts";
import type { IdentityRecord } from "./resources.ts";
import { Resources, guidFrom } from "./resources.ts";
import type { AvdDefaults, SeedFile } from "./seed.ts";
import { applySeed, seedAvdDefaults, seedAvdImageDefinition } from "./seed.ts";
import { EmulatorServer, operationRoutes } from "./server.ts";
import type { EmulatorOptions, FaultHandle, FaultSpec, RequestLogEntry } from "./state.ts";
import { Scheduler, resolveOptions } from "./state.ts";
import type { StagingGroup } from "./storage.ts";
import { Storage } from "./storage.ts";

export type { Emulator, EmulatorDefaults } from "./api.ts";
export type { AdoJobInfo, AdoServiceConnection } from "./azure-devops.ts";
export type { Azurite, AzuriteOptions } from "./azurite.ts";
export type { BuildLogRecord } from "./customization-log.ts";
export type { AppRegistration, FederatedCredential } from "./entra.ts";
export type { FileHost } from "./file-host.ts";
export type { ImageVersionSummary, SeedImageDefinition, SeedImageVersion, TargetRegionInput } from "./gallery-store.ts";
export { compareVersions, parseVersion } from "./gallery-store.ts";
export type { GithubTokenOptions } from "./github-oidc.ts";
export type { EmulatedUpdate, ImageContent } from "./image-content.ts";
export type { BuildFailure, BuildPhaseHook, BuildPlan, TemplateCreateFailure } from "./imagebuilder.ts";
export type { SeedMarketplaceImage } from "./marketplace.ts";
export type { AvdDefaults, SeedFile } from "./seed.ts";
export { AVD_DEFAULTS } from "./seed.ts";
export type { EmulatorOptions, FaultHandle, FaultKind, FaultSpec, RequestKind, RequestLogEntry, RunSubState } from "./state.ts";
export { DEFAULT_OPTIONS, RUN_SUB_STATES } from "./state.ts";
export { ArmError };

/** Options of {@link startEmulator}: any {@link EmulatorOptions} plus an initial seed. */
export type StartEmulatorOptions = Partial<EmulatorOptions> & { seed?: SeedFile; azurite?: Azurite };

/** Starts an emulator on 127.0.0.1 (HTTPS, certificate made now). */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const { seed, azurite, ...rest } = options;
  const opts = resolveOptions(rest);
  const tls = await createServerCertificate();
  let baseUrl = "";
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
  const github = new GithubOidc(getCore);
  entra.trustIssuer(github.trusted);
  const azureDevOps = new AzureDevOps(getCore);
  entra.trustIssuer({ issuer: () => azureDevOps.issuer(), kid: azureDevOps.kid, publicKey: azureDevOps.publicKey });
  const systemAssigned = { tenantId: opts.tenantId, clientId: guidFrom("ado-agent-vm:client"), principalId: guidFrom("ado-agent-vm:principal") };
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
  const buildLog = new CustomizationLog(getCore, storage);
  imageBuilder.buildLog = buildLog;
  const files = new FileHost(() => baseUrl);
  imageBuilder.files = files;
  const routes: Route[] = [
    ...github.routes(),
    ...entra.routes(),
    ...azureDevOps.routes(),
    ...operationRoutes(core),
    ...resources.routes(),
    ...imageBuilder.routes(),
    ...new GalleryProvider(getCore, gallery).routes(),
    ...marketplace.routes(),
    ...storage.routes(),
    ...files.routes(),
  ];
  const server = new EmulatorServer(tls, core, entra, routes);
  const port = await server.listen(opts.port);
  baseUrl = `https://127.0.0.1:${port}`;
  const ca: CaBundleFile = writeCaBundle(tls.certPem);

  resources.addSubscription(opts.subscriptionId, opts.tenantId);
  entra.registerApp({
    tenantId: opts.tenantId,
    clientId: opts.clientId,
    secret: opts.clientSecret,
    federated: [{ issuer: github.githubIssuer(), subject: opts.githubSubject }],
  });

  const emu = new EmulatorImpl({
    server,
    core,
    entra,
    github,
    azureDevOps,
    systemAssigned,
    gallery,
    marketplace,
    imageBuilder,
    storage,
    buildLog,
    files,
    ca,
    certPem: tls.certPem,
  });
  if (seed) emu.seed(seed);
  if (azurite) emu.useAzurite(azurite);
  return emu;
}

interface Parts {
  server: EmulatorServer;
  core: Core;
  entra: Entra;
  github: GithubOidc;
  azureDevOps: AzureDevOps;
  systemAssigned: { clientId: string; principalId: string; tenantId: string };
  gallery: Gallery;
  marketplace: Marketplace;
  imageBuilder: ImageBuilder;
  storage: Storage;
  buildLog: CustomizationLog;
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
      githubIssuer: this.p.github.githubIssuer(),
      githubSubject: o.githubSubject,
    };
  }
  githubOidcEnv() {
    return {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}/github/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.p.core.options.githubRequestToken,
    };
  }
  azureEnv(): Record<string, string> {
    const d = this.defaults;
    return {
      NODE_EXTRA_CA_CERTS: this.caFile,
      AZURE_TENANT_ID: d.tenantId,
      AZURE_CLIENT_ID: d.clientId,
      AZURE_SUBSCRIPTION_ID: d.subscriptionId,
      AZURE_AUTHORITY_HOST: d.authorityHost,
    };
  }
  get githubOidcCalls(): number {
    return this.p.github.githubOidcCalls;
  }
  get accessTokensIssued(): number {
    return this.p.entra.accessTokensIssued;
  }
  registerApp(app: AppRegistration): void {
    this.p.entra.registerApp(app);
  }
  mintGithubOidcToken(o?: GithubTokenOptions): string {
    return this.p.github.mintGithubOidcToken(o);
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
    return seedAvdImageDefinition(this, name, overrides);
  }
  seedAvdDefaults(): AvdDefaults {
    return seedAvdDefaults(this, this.p.core.options.subscriptionId);
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
    if (azurite && !readFileSync(this.p.ca.path, "utf8").includes(azurite.certPem.trim())) appendFileSync(this.p.ca.path, `\n${azurite.certPem}`);
  }
  get files(): FileHost {
    return this.p.files;
  }

  buildLogs(): BuildLogRecord[] {
    return this.p.buildLog.logs();
  }
  setImageContent(content: Partial<ImageContent>): void {
    this.p.buildLog.setImageContent(content);
  }
  imageContent(): ImageContent {
    return this.p.buildLog.imageContent();
  }

  get requests(): readonly RequestLogEntry[] {
    return this.p.server.log;
  }
  writeRequests(): RequestLogEntry[] {
    return this.p.server.log.filter((e) => e.kind === "arm" && ["PUT", "PATCH", "POST", "DELETE"].includes(e.method));
  }
  resetLog(): void {
    this.p.server.log.length = 0;
  }
  bodyChecks(): { checked: Record<string, number>; violations: string[] } {
    return { checked: { ...this.p.server.bodyChecks.checked }, violations: [...this.p.server.bodyChecks.violations] };
  }
  setOptions(partial: Partial<EmulatorOptions>): void {
    const next = resolveOptions(partial, this.p.core.options);
    for (const k of ["port", "subscriptionId", "tenantId", "clientId", "clientSecret", "githubRequestToken", "githubIssuer"] as const) {
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
  const id = typeof props.exactStagingResourceGroup === "string" ? props.exactStagingResourceGroup : "";
  const tags = isRecord(props.managedResourceTags) ? Object.fromEntries(Object.entries(props.managedResourceTags).map(([k, v]) => [k, String(v)])) : undefined;
  return id ? [{ id, location: String(template.location ?? "westeurope"), ...(tags ? { tags } : {}) }] : [];
}
