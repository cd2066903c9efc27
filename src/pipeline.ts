/**
 * One run of the action, in the five steps of the design: settings (done by the caller), template,
 * build, version and tag, prune — then the report.
 */
import pLimit from "p-limit";
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { AzureGateway, ImageVersionInfo } from "./azure/gateway.ts";
import { followRun } from "./build-monitor.ts";
import type { Host } from "./hosts/host.ts";
import { type RetentionPolicy, type RetentionVerdict, planRetention } from "./retention.ts";
import { sameResourceId } from "./resource-id.ts";
import type { Settings } from "./settings.ts";
import { TAGS } from "./tags.ts";
import { type TemplatePlan, buildTemplatePlan } from "./template/build.ts";
import { type ResolvedSource, resolveSource } from "./template/source.ts";
import { isScheduledDay, scheduledDay } from "./schedule.ts";
import { chooseNextVersion, formatVersion, sortNewestFirst } from "./versioning.ts";

/** What a reused or new template needs done in Azure. */
export type TemplateAction =
  /** No template with this hash exists: PUT it. */
  | "create"
  /** A template with this hash exists: PATCH its distribute and vmProfile. */
  | "reuse"
  /** A template with this hash exists but failed to provision: delete it and PUT it again. */
  | "recreate";

/** Everything a run decided and did, for outputs and the job summary. */
export interface RunReport {
  dryRun: boolean;
  source: ResolvedSource;
  plan: TemplatePlan;
  templateAction: TemplateAction;
  imageVersion: string;
  /** The version's resource ID as Azure reported it (run output), or the planned ID in a dry run. */
  imageVersionId: string;
  /** `Succeeded`, … `DryRun`, or `Skipped`. */
  runState: string;
  /** Why nothing was built (skip-if-unchanged), when nothing was. */
  skipReason?: string;
  buildStart?: Date;
  buildEnd?: Date;
  retention: RetentionVerdict[];
  prunedVersions: string[];
  /** Deletions that failed, with Azure's message. */
  pruneFailures: { version: string; message: string }[];
  /** Older templates of this image definition deleted (or, in a dry run, to be deleted). */
  collectedTemplates: string[];
}

/** A build that ended in a state other than Succeeded; `message` carries AIB's own words. */
export class BuildFailedError extends Error {
  override name = "BuildFailedError";
}

/** The plan was fine, but something Azure holds stops it (a template in use, a version taken). */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** Minutes AIB allows a build when `buildTimeoutInMinutes` is 0. */
const AIB_DEFAULT_TIMEOUT_MINUTES = 240;
/** Minutes the action waits beyond the build timeout (queueing, distribution) before giving up. */
const WAIT_MARGIN_MINUTES = 60;
/** Image version deletions in flight at once. */
const PRUNE_CONCURRENCY = 4;
const BUSY_RUN_STATES = new Set(["Running", "Canceling"]);

/**
 * Runs the pipeline for validated `settings`.
 * @throws BuildFailedError when the AIB run ends Failed/Canceled/PartiallySucceeded (no version tagged, nothing pruned).
 * @throws ConflictError when the template is being built by another run, or the run output is not the planned version.
 * @throws VersionChoiceError / SourceNotFoundError before anything is written; RestError when Azure refuses a call.
 */
export async function runPipeline(host: Host, settings: Settings, azure: AzureGateway): Promise<RunReport> {
  const gallery = [settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition] as const;

  const { source, plan, templateAction, existing } = await host.group("Plan: source, version and image template", async () => {
    const source = await resolveSource(settings.source, settings.location, azure);
    host.info(`Source: ${source.display}${source.exactVersion !== source.display ? ` → ${source.exactVersion}` : ""}`);
    const existing = await azure.listImageVersions(settings.subscriptionId, ...gallery);
    const version = chooseNextVersion(existing.map((v) => v.name), settings.versionStrategy, settings.version);
    const plan = buildTemplatePlan(settings, source.pinned, version);
    host.info(`Image version: ${formatVersion(version)} (${settings.version ? "explicit 'version'" : `'${settings.versionStrategy}' after ${existing.length} existing version(s)`})`);
    const current = await azure.getTemplate(settings.resourceGroup, plan.name);
    const templateAction = decideTemplateAction(current, plan.name);
    host.info(`Image template: ${plan.name} (${describeAction(templateAction)})`);
    return { source, plan, templateAction, existing };
  });

  const unchanged = settings.skipIfUnchanged ? unchangedSince(existing, plan, settings) : undefined;
  if (unchanged) {
    host.info(`Skipped: ${unchanged.reason}`);
    return {
      dryRun: settings.dryRun,
      source,
      plan,
      templateAction,
      imageVersion: unchanged.version.name,
      imageVersionId: unchanged.version.id,
      runState: "Skipped",
      skipReason: unchanged.reason,
      retention: [],
      prunedVersions: [],
      pruneFailures: [],
      collectedTemplates: [],
    };
  }

  if (settings.dryRun) {
    return host.group("Dry run: the plan (nothing is written)", async () => {
      const retention = planRetention(
        [...existing, { name: versionOf(plan), id: plan.imageVersionId }],
        retentionPolicy(settings, plan),
      );
      const collectable = await collectableTemplates(settings, plan, azure);
      const report: RunReport = {
        dryRun: true,
        source,
        plan,
        templateAction,
        imageVersion: versionOf(plan),
        imageVersionId: plan.imageVersionId,
        runState: "DryRun",
        retention,
        prunedVersions: retention.filter((v) => v.action === "delete").map((v) => v.version.name),
        pruneFailures: [],
        collectedTemplates: collectable.map((t) => t.name!),
      };
      for (const line of describePlan(report, settings)) host.info(line);
      return report;
    });
  }

  await host.group(`Template: ${plan.name}`, async () => {
    // The run must not collide with a version published since planning (another run, or a person).
    if (await azure.getImageVersion(...gallery, versionOf(plan))) {
      throw new ConflictError(
        `Image version ${versionOf(plan)} was created in ${settings.galleryName}/${settings.imageDefinition} while this run was planning ` +
          `(another run racing for the same version?). Run again to take the next version, and give concurrent runs a workflow 'concurrency:' group.`,
      );
    }
    await applyTemplate(settings, plan, templateAction, azure, host);
  });

  const end = await host.group(`Build: ${plan.name}`, async () => {
    const before = await azure.getTemplate(settings.resourceGroup, plan.name);
    await azure.startRun(settings.resourceGroup, plan.name);
    host.info(`Build started. Image Builder runs for tens of minutes; status is read every ${settings.pollIntervalSeconds} s.`);
    const timeout = settings.buildTimeoutMinutes || AIB_DEFAULT_TIMEOUT_MINUTES;
    return followRun(azure, {
      resourceGroup: settings.resourceGroup,
      templateName: plan.name,
      previousStartTime: before?.lastRunStatus?.startTime,
      pollIntervalSeconds: settings.pollIntervalSeconds,
      maxWaitMinutes: timeout + WAIT_MARGIN_MINUTES,
      maxConsecutiveFailures: 5,
      log: (message) => host.info(message),
      onPhase: (phase) => host.setProgress(progressOf(phase), phase),
    });
  });
  if (end.runState !== "Succeeded") {
    throw new BuildFailedError(
      `Image Builder run of template ${plan.name} ended ${end.runState}: ${end.message || "(no message from Image Builder)"}`,
    );
  }

  const imageVersionId = await host.group(`Version: ${versionOf(plan)}`, async () => {
    const output = await azure.getRunOutput(settings.resourceGroup, plan.name, plan.runOutputName);
    if (!output?.artifactId || !sameResourceId(output.artifactId, plan.imageVersionId)) {
      throw new ConflictError(
        `Run output '${plan.runOutputName}' of ${plan.name} reports '${output?.artifactId ?? "nothing"}', not the planned image version ${plan.imageVersionId}.`,
      );
    }
    const version = await azure.getImageVersion(...gallery, versionOf(plan));
    if (!version) throw new ConflictError(`Image version ${plan.imageVersionId} is not in the gallery after a successful build.`);
    const tags = { ...version.tags, ...settings.tags, ...provenanceTags(host, plan, source, end) };
    await azure.setImageVersionTags(...gallery, versionOf(plan), tags);
    host.info(`Tagged ${versionOf(plan)} with ${Object.keys(tags).length} tags.`);
    return output.artifactId;
  });

  const { retention, prunedVersions, pruneFailures, collectedTemplates } = await host.group("Prune", async () => {
    const versions = await azure.listImageVersions(settings.subscriptionId, ...gallery);
    const retention = planRetention(versions, retentionPolicy(settings, plan));
    const doomed = retention.filter((v) => v.action === "delete").map((v) => v.version.name);
    const limit = pLimit(PRUNE_CONCURRENCY);
    const results = await Promise.allSettled(doomed.map((name) => limit(() => azure.deleteImageVersion(...gallery, name))));
    const prunedVersions: string[] = [];
    const pruneFailures: { version: string; message: string }[] = [];
    results.forEach((result, index) => {
      if (result.status === "fulfilled") prunedVersions.push(doomed[index]!);
      else pruneFailures.push({ version: doomed[index]!, message: (result.reason as Error).message });
    });
    host.info(prunedVersions.length ? `Deleted image versions: ${prunedVersions.join(", ")}` : "No image version to delete.");
    for (const failure of pruneFailures) host.error(`Deleting image version ${failure.version} failed: ${failure.message}`);
    const collectedTemplates = await collectTemplates(settings, plan, azure, host);
    return { retention, prunedVersions, pruneFailures, collectedTemplates };
  });

  return {
    dryRun: false,
    source,
    plan,
    templateAction,
    imageVersion: versionOf(plan),
    imageVersionId,
    runState: end.runState,
    buildStart: end.startTime,
    buildEnd: end.endTime,
    retention,
    prunedVersions,
    pruneFailures,
    collectedTemplates,
  };
}

/** The version a plan publishes (`X.Y.Z`, the last segment of its image version ID). */
export function versionOf(plan: TemplatePlan): string {
  return plan.imageVersionId.slice(plan.imageVersionId.lastIndexOf("/") + 1);
}

/**
 * The newest existing version when it was built from the same template hash — and, with Windows Update
 * in the template, is younger than `rebuild-after-days` — so building again would change nothing.
 */
export function unchangedSince(
  existing: readonly ImageVersionInfo[],
  plan: TemplatePlan,
  settings: Pick<Settings, "windowsUpdate" | "rebuildAfterDays">,
  now: Date = new Date(),
): { version: ImageVersionInfo; reason: string } | undefined {
  const newestName = sortNewestFirst(existing.map((v) => v.name))[0];
  const newest = existing.find((v) => v.name === newestName);
  if (!newest || newest.tags[TAGS.templateHash] !== plan.hash) return undefined;
  if (settings.windowsUpdate) {
    const ageDays = newest.publishedDate ? (now.getTime() - newest.publishedDate.getTime()) / 86_400_000 : Infinity;
    if (ageDays >= settings.rebuildAfterDays) return undefined;
    return {
      version: newest,
      reason: `the newest version ${newest.name} was built from the same template (hash ${plan.hash.slice(0, 12)}) ${ageDays.toFixed(1)} days ago, less than rebuild-after-days (${settings.rebuildAfterDays}).`,
    };
  }
  return { version: newest, reason: `the newest version ${newest.name} was built from the same template (hash ${plan.hash.slice(0, 12)}): same source version, scripts and settings.` };
}

/**
 * Why a run with `schedule` builds nothing today, or undefined when it builds: it builds on the scheduled
 * day (UTC) and whenever a person started it.
 */
export function scheduleSkipReason(settings: Pick<Settings, "schedule">, manualTrigger: boolean, now: Date = new Date()): string | undefined {
  if (!settings.schedule || manualTrigger || isScheduledDay(settings.schedule, now)) return undefined;
  const day = scheduledDay(settings.schedule, now).toISOString().slice(0, 10);
  return `schedule is patch-tuesday+${settings.schedule.offsetDays}: this month's build day is ${day} (UTC), today is ${now.toISOString().slice(0, 10)}. Start the workflow by hand to build anyway.`;
}

/** The retention policy of a run from its settings. */
function retentionPolicy(settings: Settings, plan: TemplatePlan): RetentionPolicy {
  return { keepVersions: settings.keepVersions, keepDays: settings.keepDays, pruneForeign: settings.pruneForeign, justBuilt: versionOf(plan) };
}

/**
 * Create, reuse or recreate, from what Azure holds under the planned name.
 * @throws ConflictError when that template is being built or canceled by another run.
 */
export function decideTemplateAction(current: ImageTemplate | undefined, name: string): TemplateAction {
  if (!current) return "create";
  const runState = current.lastRunStatus?.runState;
  if (runState && BUSY_RUN_STATES.has(runState)) {
    throw new ConflictError(
      `Image template ${name} is ${runState.toLowerCase()} a build started ${current.lastRunStatus?.startTime?.toISOString() ?? "earlier"} ` +
        `by another run. Wait for it to end (or cancel it with 'az image builder cancel'), and give runs for the same image a workflow 'concurrency:' group.`,
    );
  }
  return current.provisioningState === "Failed" ? "recreate" : "reuse";
}

function describeAction(action: TemplateAction): string {
  return {
    create: "create: no template with this content exists",
    reuse: "reuse: same content, PATCH distribute and vmProfile",
    recreate: "recreate: the existing one failed to provision",
  }[action];
}

async function applyTemplate(settings: Settings, plan: TemplatePlan, action: TemplateAction, azure: AzureGateway, host: Host): Promise<void> {
  if (action === "recreate") {
    host.info(`Deleting ${plan.name}, left Failed in provisioning.`);
    await azure.deleteTemplate(settings.resourceGroup, plan.name);
  }
  if (action === "reuse") {
    await azure.updateTemplate(settings.resourceGroup, plan.name, {
      properties: { distribute: plan.template.distribute, vmProfile: plan.template.vmProfile },
    });
    host.info(`Reused ${plan.name}: distribute now publishes ${versionOf(plan)}.`);
    return;
  }
  const created = await azure.createTemplate(settings.resourceGroup, plan.name, plan.template);
  if (created.provisioningState === "Failed") {
    throw new BuildFailedError(
      `Image template ${plan.name} failed to provision: ${created.provisioningError?.message ?? "no message"} (${created.provisioningError?.provisioningErrorCode ?? "no code"}).`,
    );
  }
  host.info(`Created ${plan.name}.`);
}

/** Templates this action made for the same image definition, other than the current one, not building. */
async function collectableTemplates(settings: Settings, plan: TemplatePlan, azure: AzureGateway): Promise<ImageTemplate[]> {
  const templates = await azure.listTemplates(settings.resourceGroup);
  return templates.filter(
    (t) =>
      t.tags?.[TAGS.managed] === "true" &&
      sameResourceId(t.tags?.[TAGS.imageDefinition], plan.imageDefinitionId) &&
      t.name?.toLowerCase() !== plan.name.toLowerCase(),
  );
}

async function collectTemplates(settings: Settings, plan: TemplatePlan, azure: AzureGateway, host: Host): Promise<string[]> {
  const deleted: string[] = [];
  for (const template of await collectableTemplates(settings, plan, azure)) {
    const runState = template.lastRunStatus?.runState;
    if (runState && BUSY_RUN_STATES.has(runState)) {
      host.info(`Keeping older template ${template.name}: a build is ${runState.toLowerCase()}.`);
      continue;
    }
    try {
      await azure.deleteTemplate(settings.resourceGroup, template.name!);
      deleted.push(template.name!);
      host.info(`Deleted older template ${template.name} (and its staging resource group).`);
    } catch (error) {
      host.warning(`Could not delete older template ${template.name}: ${(error as Error).message}`);
    }
  }
  return deleted;
}

function provenanceTags(host: Host, plan: TemplatePlan, source: ResolvedSource, end: { startTime?: Date; endTime?: Date }): Record<string, string> {
  const origin = host.provenance();
  const tags: Record<string, string | undefined> = {
    [TAGS.managed]: "true",
    [TAGS.template]: plan.name,
    [TAGS.templateHash]: plan.hash,
    [TAGS.source]: truncate(source.display),
    [TAGS.sourceVersion]: truncate(source.exactVersion),
    [TAGS.repository]: origin.repository,
    [TAGS.commit]: origin.commit,
    [TAGS.runUrl]: origin.runUrl && truncate(origin.runUrl),
    [TAGS.buildStart]: end.startTime?.toISOString(),
    [TAGS.buildEnd]: end.endTime?.toISOString(),
  };
  return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Azure tag values hold at most 256 characters. */
function truncate(value: string): string {
  return value.length <= 256 ? value : `${value.slice(0, 253)}...`;
}

/** Build phase → rough percent done, for hosts with a progress indicator. */
function progressOf(phase: string): number {
  const order = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"];
  const index = order.indexOf(phase);
  return index < 0 ? 0 : Math.round(((index + 1) / (order.length + 1)) * 100);
}

/** The plan of a run in lines of text (the dry run prints them). */
export function describePlan(report: RunReport, settings: Settings): string[] {
  const lines = [
    `Source: ${report.source.display} → ${report.source.exactVersion}`,
    `Image template: ${report.plan.name} — ${describeAction(report.templateAction)}`,
    `Image version: ${report.imageVersion} (${report.imageVersionId})`,
    `Target regions: ${settings.targetRegions.map((r) => `${r.name} (${r.replicaCount} replica${r.replicaCount === 1 ? "" : "s"})`).join(", ")}; ` +
      `storage ${settings.storageAccountType}; exclude from latest: ${settings.excludeFromLatest}`,
    `Retention (keep-versions ${settings.keepVersions}):`,
    ...report.retention.map((v) => `  ${v.action.padEnd(7)} ${v.version.name} — ${v.reason}`),
    report.collectedTemplates.length
      ? `Older templates to delete: ${report.collectedTemplates.join(", ")}`
      : "Older templates to delete: none",
  ];
  return lines;
}
