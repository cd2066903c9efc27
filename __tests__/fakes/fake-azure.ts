/**
 * An in-memory `AzureGateway` (src/azure/gateway.ts) for in-process tests of the steps: image templates with
 * provisioning states and `lastRunStatus`, builds whose course each test scripts ({@link BuildScript}:
 * succeed, fail at a phase, stay running, cancel, stick in Canceling), run outputs, gallery image versions
 * with tags, exclude-from-latest, end-of-life and replication, marketplace versions, and deletes.
 *
 * It keeps the rules the emulator keeps (emulator/imagebuilder.ts, gallery.ts, with their sources), in
 * the SDK's shapes, and throws what the SDK throws: `RestError` with `statusCode` and ARM `code`
 * (arm-errors.ts). A build advances one phase per status read (`getTemplate`), so a test that follows a
 * build with a poll interval of a millisecond runs in milliseconds; nothing here waits.
 *
 * Every call is recorded in `calls`; `writes()` lists the ones that change Azure. `failNext` and `onCall`
 * inject faults or another run's moves before a call. Not modelled: image definitions (a listing answers
 * [], never 404: those are FakeLookups'), template request validation (the emulator's), LRO timing.
 */
import type { ImageTemplate, ImageTemplateSharedImageDistributor, ImageTemplateUpdateParameters, RunOutput } from "@azure/arm-imagebuilder";
import type { RestError } from "@azure/core-rest-pipeline";
import type { AzureGateway, ImageVersionInfo, ImageVersionUpdate } from "../../src/azure/gateway.ts";
import { armError, notFound, operationNotAllowed, templateUpdateConflict } from "./arm-errors.ts";

/** Image Builder's phases (`lastRunStatus.runSubState`) in order, as the emulator walks them. */
export const PHASES = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"] as const;

/** How a scripted build goes. Each status read moves it one phase on. */
export interface BuildScript {
  /** How it ends. Default `succeed`: the image version and the run output are created at Distributing. */
  end?: "succeed" | "fail" | "running" | "canceled";
  /** For `fail`: the phase it fails in; for `running`: the phase it stays in (default `Customizing` for both). */
  at?: (typeof PHASES)[number];
  /** For `fail`: Image Builder's `lastRunStatus.message`. */
  message?: string;
  /** For `fail` at Distributing: the version exists anyway (a gallery wait timeout), in this provisioning state, with this replication. */
  versionLeft?: { provisioningState: string; replication?: ImageVersionInfo["replication"] };
  /** customization.log lines, written as the build passes Customizing (read by {@link FakeAzure.logOpener}). */
  log?: string[];
  /** A cancel leaves it in Canceling for good (danielsollondon/azvmimagebuilder#48). */
  stuckCanceling?: boolean;
  /** Template provisioning error reported with a failure (`provisioningError`). */
  provisioningError?: { provisioningErrorCode: string; message: string };
}

/** A recorded gateway call. */
export type Call = { method: keyof AzureGateway; args: unknown[] };

const WRITE_METHODS = new Set<keyof AzureGateway>([
  "updateImageVersion",
  "deleteImageVersion",
  "createTemplate",
  "updateTemplate",
  "deleteTemplate",
  "startRun",
  "cancelRun",
]);

/** A build in progress: its script, the index of its phase in {@link PHASES}, and whether a cancel was asked. */
type Build = { script: BuildScript; phase: number; canceling: boolean };

/** A template as the fake keeps it: Azure's read-only properties are the fake's to write. */
type StoredImageTemplate = { -readonly [K in keyof ImageTemplate]: ImageTemplate[K] };

interface StoredTemplate {
  template: StoredImageTemplate;
  build?: Build;
  runOutputs: Map<string, RunOutput>;
  logLines: string[];
}

const lower = (...parts: string[]) => parts.join("/").toLowerCase();

/** What a version seeded with {@link FakeAzure.seedVersion} may say (name required; the rest defaults). */
export type VersionSeed = Partial<ImageVersionInfo> & { name: string };

/** The in-memory gateway. Construct it, seed it, pass `fake` as the services' `azure`. */
export class FakeAzure implements AzureGateway {
  readonly calls: Call[] = [];
  readonly subscriptionId: string;
  private readonly templates = new Map<string, StoredTemplate>();
  private readonly versions = new Map<string, ImageVersionInfo>();
  private readonly marketplace = new Map<string, string[]>();
  private readonly scripts: BuildScript[] = [];
  private readonly faults = new Map<keyof AzureGateway, (RestError | Error)[]>();
  private readonly hooks = new Map<keyof AzureGateway, ((...args: unknown[]) => void | Promise<void>)[]>();
  private tick = 0;
  /**
   * The clock builds and publishing read: starts at `start` (default: when the fake was made), one second
   * on per reading, so two build start times always differ.
   */
  readonly now: () => Date;

  constructor(options: { subscriptionId?: string; start?: Date } = {}) {
    this.subscriptionId = options.subscriptionId ?? "11111111-2222-3333-4444-555555555555";
    const start = (options.start ?? new Date()).getTime();
    this.now = () => new Date(start + this.tick++ * 1000);
  }

  /** Marketplace versions of `publisher:offer:sku` in `location`. */
  seedMarketplace(location: string, publisher: string, offer: string, sku: string, versions: string[]): this {
    this.marketplace.set(lower(location, publisher, offer, sku), [...versions]);
    return this;
  }

  /** An image version of `rg/gallery/image` (id built from the names; not excluded, no tags unless given). */
  seedVersion(rg: string, gallery: string, image: string, seed: VersionSeed): ImageVersionInfo {
    const id = `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gallery}/images/${image}/versions/${seed.name}`;
    const version: ImageVersionInfo = {
      id,
      tags: {},
      excludeFromLatest: false,
      blockDeletionBeforeEndOfLife: false,
      provisioningState: "Succeeded",
      regions: ["westeurope"],
      ...seed,
    };
    this.versions.set(lower(rg, gallery, image, seed.name), version);
    return version;
  }

  /** A template as it already is in Azure (another run's, an older one, one stuck): stored as given, provisioned unless it says otherwise. */
  seedTemplate(rg: string, template: Partial<ImageTemplate> & { name: string }, options: { log?: string[] } = {}): ImageTemplate {
    const identity = {
      type: "UserAssigned" as const,
      userAssignedIdentities: {
        [`/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aib`]: {},
      },
    };
    const stored: StoredImageTemplate = {
      provisioningState: "Succeeded",
      location: "westeurope",
      identity,
      ...structuredClone(template),
      id: this.templateId(rg, template.name),
      type: "Microsoft.VirtualMachineImages/imageTemplates",
    };
    stored.exactStagingResourceGroup ??= `/subscriptions/${this.subscriptionId}/resourceGroups/IT_${rg}_${template.name}`;
    this.templates.set(lower(rg, template.name), { template: stored, runOutputs: new Map(), logLines: options.log ?? [] });
    return stored;
  }

  /** Changes a stored template in place (another run's moves: its provisioning state, its last run status…). */
  patchTemplate(rg: string, name: string, patch: Partial<ImageTemplate>): void {
    Object.assign(this.require(rg, name).template, structuredClone(patch));
  }

  /** The template disappears (someone deleted it, whatever its state). */
  dropTemplate(rg: string, name: string): void {
    this.templates.delete(lower(rg, name));
  }

  /** The course of the next builds started, in order (a build with no script left succeeds). */
  scriptBuilds(...scripts: BuildScript[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  /** The next `times` calls of `method` throw `error` (before doing anything). */
  failNext(method: keyof AzureGateway, error: RestError | Error, times = 1): this {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.faults.set(method, queue);
    return this;
  }

  /** Runs `moves` as another run (or a person) would: the calls it makes are not recorded in `calls`. */
  async asAnotherRun(moves: (azure: this) => Promise<void> | void): Promise<void> {
    const before = this.calls.length;
    await moves(this);
    this.calls.splice(before);
  }

  /** Runs `hook` before every call of `method` (it may change the fake, e.g. another run's moves, or throw). */
  onCall(method: keyof AzureGateway, hook: (...args: unknown[]) => void | Promise<void>): this {
    this.hooks.set(method, [...(this.hooks.get(method) ?? []), hook]);
    return this;
  }

  /** The calls that change Azure, as `method name…` lines (e.g. `createTemplate tpl-1`, `deleteImageVersion 1.0.0`). */
  writes(): string[] {
    return this.calls.filter((c) => WRITE_METHODS.has(c.method)).map((c) => `${c.method} ${c.method.endsWith("ImageVersion") ? c.args[3] : c.args[1]}`);
  }

  /** The calls of `method`. */
  callsOf(method: keyof AzureGateway): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Every stored template of `rg` (a copy). */
  templatesIn(rg: string): ImageTemplate[] {
    return [...this.templates.entries()].filter(([k]) => k.startsWith(`${rg.toLowerCase()}/`)).map(([, t]) => structuredClone(t.template));
  }

  /** Names of the image versions of `rg/gallery/image`, in no order. */
  versionNames(rg: string, gallery: string, image: string): string[] {
    const prefix = `${lower(rg, gallery, image)}/`;
    return [...this.versions.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v.name);
  }

  /** One stored image version (the object itself), or undefined. */
  version(rg: string, gallery: string, image: string, name: string): ImageVersionInfo | undefined {
    return this.versions.get(lower(rg, gallery, image, name));
  }

  /** The customization.log written so far by the build of `rg/name`. */
  logOf(rg: string, name: string): string[] {
    return this.templates.get(lower(rg, name))?.logLines ?? [];
  }

  async listMarketplaceVersions(location: string, publisher: string, offer: string, sku: string): Promise<string[]> {
    await this.enter("listMarketplaceVersions", location, publisher, offer, sku);
    const found = this.marketplace.get(lower(location, publisher, offer, sku));
    // VirtualMachineImages_List of an unknown SKU: 404 (emulator/marketplace.ts).
    if (!found) throw armError(404, "NotFound", `Artifact: VMImage was not found.`);
    return [...found];
  }

  async listImageVersions(subscriptionId: string, rg: string, gallery: string, image: string): Promise<ImageVersionInfo[]> {
    await this.enter("listImageVersions", subscriptionId, rg, gallery, image);
    return this.versionNames(rg, gallery, image).map((name) => structuredClone(this.versions.get(lower(rg, gallery, image, name))!));
  }

  async getImageVersion(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    options?: { replicationStatus?: boolean },
  ): Promise<ImageVersionInfo | undefined> {
    await this.enter("getImageVersion", rg, gallery, image, version, options);
    const found = this.versions.get(lower(rg, gallery, image, version));
    if (!found) return undefined;
    const copy = structuredClone(found);
    if (!options?.replicationStatus) delete copy.replication;
    return copy;
  }

  async updateImageVersion(rg: string, gallery: string, image: string, version: string, update: ImageVersionUpdate): Promise<void> {
    await this.enter("updateImageVersion", rg, gallery, image, version, update);
    const found = this.versions.get(lower(rg, gallery, image, version));
    if (!found) throw notFound(`Microsoft.Compute/galleries/${gallery}/images/${image}/versions/${version}`, rg);
    if (found.provisioningState === "Deleting")
      throw armError(409, "OperationNotAllowed", `Operation 'Update' is not allowed on gallery image version '${version}' since it is marked for deletion.`);
    if (update.tags) found.tags = { ...update.tags };
    if (update.excludeFromLatest !== undefined) found.excludeFromLatest = update.excludeFromLatest;
    if (update.endOfLifeDate !== undefined) found.endOfLifeDate = update.endOfLifeDate;
  }

  async deleteImageVersion(rg: string, gallery: string, image: string, version: string): Promise<void> {
    await this.enter("deleteImageVersion", rg, gallery, image, version);
    const found = this.versions.get(lower(rg, gallery, image, version));
    if (!found) return; // DELETE of a missing version: 204
    if (found.blockDeletionBeforeEndOfLife && found.endOfLifeDate && found.endOfLifeDate.getTime() > Date.now()) {
      // emulator/gallery.ts: modelled on Compute's OperationNotAllowed (no public wording found).
      throw armError(
        409,
        "OperationNotAllowed",
        `Gallery image version '${version}' cannot be deleted before its end of life date '${found.endOfLifeDate.toISOString()}' because 'safetyProfile.blockDeletionBeforeEndOfLife' is set to true.`,
      );
    }
    this.versions.delete(lower(rg, gallery, image, version));
  }

  async getTemplate(rg: string, name: string): Promise<ImageTemplate | undefined> {
    await this.enter("getTemplate", rg, name);
    const stored = this.templates.get(lower(rg, name));
    if (!stored) return undefined;
    this.advance(stored);
    return structuredClone(stored.template);
  }

  async listTemplates(rg: string): Promise<ImageTemplate[]> {
    await this.enter("listTemplates", rg);
    return this.templatesIn(rg);
  }

  async createTemplate(rg: string, name: string, template: ImageTemplate): Promise<ImageTemplate> {
    await this.enter("createTemplate", rg, name, template);
    const existing = this.templates.get(lower(rg, name));
    if (existing) {
      const t = existing.template;
      if (t.lastRunStatus?.runState === "Canceling") throw operationNotAllowed("write", t.provisioningState ?? "", "Canceling");
      const same = t.provisioningState !== "Failed" && JSON.stringify(contentOf(t)) === JSON.stringify(contentOf(template));
      if (!same) throw templateUpdateConflict();
      t.tags = { ...(template.tags ?? {}) };
      return structuredClone(t);
    }
    return this.seedTemplate(rg, { ...structuredClone(template), name, provisioningState: "Succeeded" });
  }

  async updateTemplate(rg: string, name: string, update: ImageTemplateUpdateParameters): Promise<ImageTemplate> {
    await this.enter("updateTemplate", rg, name, update);
    const stored = this.require(rg, name);
    const t = stored.template;
    const runState = t.lastRunStatus?.runState ?? "";
    if (runState === "Running" || runState === "Canceling" || t.provisioningState !== "Succeeded")
      throw operationNotAllowed("write", t.provisioningState ?? "", runState);
    const distribute = update.properties?.distribute;
    if (distribute) {
      const names = new Set(distribute.map((d) => d.runOutputName.toLowerCase()));
      const dropped = (t.distribute ?? []).find((d) => !names.has(d.runOutputName.toLowerCase()));
      if (dropped)
        throw armError(
          400,
          "InvalidParameter",
          `Validation failed: Distribute target with Runoutput name ${dropped.runOutputName} not found in the update request. Deleting a distribution target is not allowed.`,
        );
      t.distribute = structuredClone(distribute);
    }
    if (update.properties?.vmProfile) t.vmProfile = structuredClone(update.properties.vmProfile);
    if (update.tags) t.tags = { ...update.tags };
    if (update.identity) t.identity = structuredClone(update.identity);
    return structuredClone(t);
  }

  async deleteTemplate(rg: string, name: string): Promise<void> {
    await this.enter("deleteTemplate", rg, name);
    const stored = this.templates.get(lower(rg, name));
    if (!stored) return;
    const t = stored.template;
    const runState = t.lastRunStatus?.runState ?? "";
    if (runState === "Running" || runState === "Canceling" || t.provisioningState === "Creating" || t.provisioningState === "Updating") {
      throw operationNotAllowed("delete", t.provisioningState ?? "", runState);
    }
    this.templates.delete(lower(rg, name));
  }

  async startRun(rg: string, name: string): Promise<void> {
    await this.enter("startRun", rg, name);
    const stored = this.require(rg, name);
    const t = stored.template;
    const runState = t.lastRunStatus?.runState ?? "";
    if (t.provisioningState !== "Succeeded" || runState === "Running" || runState === "Canceling")
      throw operationNotAllowed("run/action", t.provisioningState ?? "", runState);
    stored.build = { script: this.scripts.shift() ?? {}, phase: 0, canceling: false };
    stored.runOutputs.clear();
    stored.logLines = [];
    t.lastRunStatus = { runState: "Running", runSubState: PHASES[0], startTime: this.now(), message: "" };
    delete t.provisioningError;
  }

  async cancelRun(rg: string, name: string): Promise<void> {
    await this.enter("cancelRun", rg, name);
    const stored = this.require(rg, name);
    const t = stored.template;
    if (t.lastRunStatus?.runState !== "Running") throw operationNotAllowed("cancel/action", t.provisioningState ?? "", t.lastRunStatus?.runState ?? "");
    t.lastRunStatus.runState = "Canceling";
    if (stored.build) stored.build.canceling = true;
  }

  async getRunOutput(rg: string, name: string, runOutputName: string): Promise<RunOutput | undefined> {
    await this.enter("getRunOutput", rg, name, runOutputName);
    return structuredClone(this.templates.get(lower(rg, name))?.runOutputs.get(runOutputName.toLowerCase()));
  }

  /** One status read's worth of progress of the build on `stored`. */
  private advance(stored: StoredTemplate): void {
    const build = stored.build;
    const status = stored.template.lastRunStatus;
    if (!build || !status) return;
    if (build.canceling) {
      if (build.script.stuckCanceling) return;
      Object.assign(status, { runState: "Canceled", endTime: this.now(), message: "" });
      stored.build = undefined;
      return;
    }
    const { script } = build;
    if (script.end === "running" && build.phase >= PHASES.indexOf(script.at ?? "Customizing")) return;
    build.phase += 1;
    const phase = PHASES[build.phase];
    if (build.phase === PHASES.indexOf("Customizing")) stored.logLines.push(...(script.log ?? []));
    const failAt = script.end === "fail" ? PHASES.indexOf(script.at ?? "Customizing") : -1;
    if (failAt >= 0 && build.phase > failAt) {
      if (script.versionLeft) this.distribute(stored, script.versionLeft);
      Object.assign(status, { runState: "Failed", endTime: this.now(), message: script.message ?? "Failed while customizing" });
      if (script.provisioningError) stored.template.provisioningError = script.provisioningError;
      stored.build = undefined;
      return;
    }
    if (script.end === "canceled" && build.phase >= 2) {
      Object.assign(status, { runState: "Canceled", endTime: this.now(), message: "" });
      stored.build = undefined;
      return;
    }
    if (phase) {
      status.runSubState = phase;
      return;
    }
    // Past Distributing: the version and run output exist, the run succeeded.
    this.distribute(stored, { provisioningState: "Succeeded" });
    Object.assign(status, { runState: "Succeeded", runSubState: "Distributing", endTime: this.now(), message: "" });
    stored.build = undefined;
  }

  /** What Distributing creates: each SharedImage distributor's image version and run output. */
  private distribute(stored: StoredTemplate, state: { provisioningState: string; replication?: ImageVersionInfo["replication"] }): void {
    for (const d of (stored.template.distribute ?? []) as ImageTemplateSharedImageDistributor[]) {
      if (d.type !== "SharedImage") continue;
      const match = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+)$/i.exec(d.galleryImageId);
      if (!match) continue;
      const [, vrg, gallery, image, name] = match as unknown as [string, string, string, string, string];
      this.versions.set(lower(vrg, gallery, image, name), {
        name,
        id: d.galleryImageId,
        tags: {},
        excludeFromLatest: d.excludeFromLatest ?? false,
        publishedDate: this.now(),
        blockDeletionBeforeEndOfLife: false,
        provisioningState: state.provisioningState,
        regions: (d.targetRegions ?? []).map((r) => r.name),
        ...(state.replication ? { replication: state.replication } : {}),
      });
      stored.runOutputs.set(d.runOutputName.toLowerCase(), { name: d.runOutputName, artifactId: azureCase(d.galleryImageId), provisioningState: "Succeeded" });
    }
  }

  private async enter(method: keyof AzureGateway, ...args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    for (const hook of this.hooks.get(method) ?? []) await hook(...args);
    const fault = this.faults.get(method)?.shift();
    if (fault) throw fault;
  }

  private require(rg: string, name: string): StoredTemplate {
    const stored = this.templates.get(lower(rg, name));
    if (!stored) throw notFound(`Microsoft.VirtualMachineImages/imageTemplates/${name}`, rg);
    return stored;
  }

  private templateId(rg: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
  }
}

/** Properties a PUT does not compare: the tags and what Azure sets. */
const NOT_CONTENT = new Set([
  "tags",
  "id",
  "name",
  "type",
  "provisioningState",
  "provisioningError",
  "lastRunStatus",
  "exactStagingResourceGroup",
  "systemData",
]);

/** What a PUT compares of a template (everything but {@link NOT_CONTENT}). */
function contentOf(t: ImageTemplate): unknown {
  return JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(t).filter(([k]) => !NOT_CONTENT.has(k)))));
}

/** A resource ID as Image Builder's run output writes it: `resourcegroups` in lower case, as the emulator's imagebuilder-distribute.ts writes it, so the product's comparisons must ignore case. */
function azureCase(id: string): string {
  return id.replace(/\/resourceGroups\//i, "/resourcegroups/");
}
