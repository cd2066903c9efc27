/**
 * One build of an image, in five steps — settings (done by the caller), template, build, version and
 * tag, prune — filling in what the build reports (`BuildReport`, report.ts).
 *
 * Variants: `dry-run` plans and writes nothing; `skip-if-unchanged` stops after planning when nothing
 * changed; `wait: false` submits the build and returns; `attach: true` follows a build a previous step
 * submitted and finishes it (version, tags, pruning).
 */
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { isNotFound } from "./azure/gateway.ts";
import { uploadScripts } from "./azure/scripts-upload.ts";
import { diffStates } from "./changelog/diff.ts";
import { LogFacts } from "./changelog/log-facts.ts";
import type { ImageState } from "./changelog/state.ts";
import { ConflictError } from "./errors.ts";
import { redactUrl } from "./redact.ts";
import { type BuildReport, type PreflightCheck, type TemplateUse, describePlan, describeUse } from "./report.ts";
import { galleryImageId } from "./resource-id.ts";
import { planRetention } from "./retention.ts";
import { adoptBuild, adoptOnConflict, isRunning, isUnfinished, planOfTemplate } from "./steps/adopt.ts";
import { BUILD_STATE, type BuildHandle, type FollowedBuildEnd, followBuild } from "./steps/build.ts";
import { describeFailedReads } from "./steps/build-monitor.ts";
import { type StepContext, galleryOf } from "./steps/context.ts";
import { BUSY_RUN_STATES, decideTemplateAction, retentionPolicy, unchangedSince, versionOf } from "./steps/decisions.ts";
import { pinScriptContent } from "./steps/pin-scripts.ts";
import { preflight } from "./steps/preflight.ts";
import { type PreviousBuild, plannedState, readPreviousBuild } from "./steps/previous.ts";
import { pruneVersions } from "./steps/prune.ts";
import { publishVersion } from "./steps/publish.ts";
import { startBuildWithoutRace } from "./steps/race.ts";
import { finishAfterGalleryWait } from "./steps/replication-timeout.ts";
import { avoidStuckTemplate } from "./steps/stuck-canceling.ts";
import { applyTemplate, collectOlderTemplates, olderTemplates } from "./steps/templates.ts";
import { type TemplatePlan, buildTemplatePlan } from "./template/build.ts";
import { type ResolvedSource, SourceNotFoundError, resolveSource } from "./template/source.ts";
import { chooseNextVersion, formatVersion, sortNewestFirst } from "./versioning.ts";

/**
 * Builds the image: plans, writes the template, runs the build, publishes and tags the version, prunes.
 * @throws BuildFailedError when the Image Builder run does not succeed (no version tagged, nothing pruned).
 * @throws CanceledError when `ctx.signal` aborts (a running build is asked to cancel).
 * @throws ConflictError when the template is being built by another run, or the planned version was taken.
 * @throws VersionChoiceError / SourceNotFoundError before anything is written; RestError when Azure refuses a call.
 */
export async function buildImage(ctx: StepContext): Promise<BuildReport> {
  const { host, settings } = ctx;
  if (settings.attach) return attach(ctx);

  const {
    source,
    plan,
    templateAction,
    existing,
    preflight: checks,
    versionDecision,
    previous,
    current,
  } = await host.group("Plan: preflight, source, version and image template", () => makePlan(ctx));
  const base = { dryRun: settings.dryRun, source, plan, templateAction, pruneFailures: [], collectedTemplates: [], preflight: checks, versionDecision };

  const unchanged = settings.skipIfUnchanged ? unchangedSince(existing, plan, settings) : undefined;
  if (unchanged) {
    host.info(`Skipped: ${unchanged.reason}`);
    return {
      ...base,
      imageVersion: unchanged.version.name,
      imageVersionId: unchanged.version.id,
      runState: "Skipped",
      skipReason: unchanged.reason,
      retention: [],
      prunedVersions: [],
    };
  }

  if (settings.dryRun) {
    return host.group("Dry run: the plan (nothing is written)", async () => {
      const retention = planRetention([...existing, { name: versionOf(plan), id: plan.imageVersionId }], retentionPolicy(settings, versionOf(plan)));
      const collectable = (await olderTemplates(ctx, plan.imageDefinitionId, plan.name)).map((t) => t.name!);
      const state = plannedState(plan, source, versionOf(plan));
      const report: BuildReport = {
        ...base,
        imageVersion: versionOf(plan),
        imageVersionId: plan.imageVersionId,
        runState: "DryRun",
        retention,
        prunedVersions: [], // nothing is deleted in a dry run: the plan is the `planned-deletions` output
        collectedTemplates: collectable,
        changelog: diffStates(previous?.state, state, previous?.unavailable),
        state,
      };
      for (const line of describePlan(report)) host.info(line);
      return report;
    });
  }

  if (templateAction === "adopt") {
    const why = isRunning(current)
      ? "it was already running when this run began: a lost runner's build, or an identical run's"
      : "it succeeded, but no run tagged its version: a runner lost after the build";
    const build = adoptBuild(ctx, current!, plan, why);
    if (!settings.wait)
      return {
        ...base,
        plan: build.plan!,
        imageVersion: versionOf(build.plan!),
        imageVersionId: build.plan!.imageVersionId,
        runState: "Running",
        retention: [],
        prunedVersions: [],
      };
    return finish(ctx, {
      source,
      plan: build.plan!,
      templateAction,
      build,
      preflight: checks,
      versionDecision: `adopted: the version the running build publishes (${versionDecision})`,
      previous,
    });
  }

  const adoptedEarly = await host.group(`Template: ${plan.name}`, async () => {
    // A version published since planning (another run, or a person) would fail distribution after an hour.
    if (await ctx.azure.getImageVersion(...galleryOf(settings), versionOf(plan))) {
      throw new ConflictError(
        `Image version ${versionOf(plan)} was created in ${settings.galleryName}/${settings.imageDefinition} while this run was planning ` +
          `(another run racing for the same version?). Run again to take the next version, and give runs for the same image a workflow 'concurrency:' group.`,
      );
    }
    // Image Builder fetches script URLs when the template is created: repository scripts go up first.
    await uploadScripts(ctx.scriptStore, plan.uploads ?? [], host.info);
    // A staging resource group must be empty: the older templates' resources in it go before a new template.
    if (settings.stagingResourceGroup && templateAction !== "reuse") await collectOlderTemplates(ctx, plan.imageDefinitionId, plan.name);
    try {
      await applyTemplate(ctx, plan, templateAction);
      return undefined;
    } catch (error) {
      // Refused because an identical run started building this template meanwhile: follow that build.
      const adopted = await adoptOnConflict(ctx, plan, error, "another run with the same inputs started it while this run was writing the template");
      if (adopted) return adopted;
      throw error;
    }
  });

  const build = adoptedEarly ?? (await host.group(`Submit build: ${plan.name}`, () => startBuildWithoutRace(ctx, plan)));
  if (build.plan) return finish(ctx, { source, plan: build.plan, templateAction: "adopt", build, preflight: checks, versionDecision, previous });
  if (!settings.wait) {
    host.saveState(BUILD_STATE, ""); // the build is meant to outlive this step: the post step must not cancel it
    host.info(`wait is false: the build of ${versionOf(plan)} goes on in Azure. A later step with the same inputs and 'attach: true' finishes it.`);
    return { ...base, imageVersion: versionOf(plan), imageVersionId: plan.imageVersionId, runState: "Running", retention: [], prunedVersions: [] };
  }
  return finish(ctx, { source, plan, templateAction, build, preflight: checks, versionDecision, previous });
}

/** Follows the build, then version, tags, pruning and template garbage collection. */
async function finish(
  ctx: StepContext,
  pending: {
    source: ResolvedSource;
    plan: TemplatePlan;
    templateAction: TemplateUse;
    build: BuildHandle;
    preflight: PreflightCheck[];
    versionDecision: string;
    previous: PreviousBuild | undefined;
  },
): Promise<BuildReport> {
  const { host } = ctx;
  const { source, plan, previous } = pending;
  const facts = new LogFacts();
  const end: FollowedBuildEnd = await host.group(`Build: ${plan.name}`, () => followBuild({ ...ctx, logFacts: facts }, pending.build));
  const state: ImageState = {
    ...plannedState(plan, source, versionOf(plan)),
    ...(facts.lineCount > 0 ? { updates: facts.updates } : {}),
    ...(facts.inventory ? { inventory: facts.inventory } : {}),
    ...(end.startTime ? { buildStart: end.startTime.toISOString() } : {}),
    ...(end.endTime ? { buildEnd: end.endTime.toISOString() } : {}),
  };
  const changelog = diffStates(previous?.state, state, previous?.unavailable);
  // Image Builder gave up waiting on the gallery (replication goes on): tag the version if it exists, prune later.
  const galleryWait = end.galleryWaitTimedOut
    ? await host.group(`Version: ${versionOf(plan)} (distribution timed out)`, () => finishAfterGalleryWait(ctx, plan, source, end, previous?.state.version))
    : undefined;
  const imageVersionId =
    galleryWait?.imageVersionId ?? (await host.group(`Version: ${versionOf(plan)}`, () => publishVersion(ctx, plan, source, end, previous?.state.version)));
  // Older templates go after the outputs and the summary (main.ts, `templateCleanup`): cleanup never holds the job.
  const pruned = galleryWait ? { retention: [], prunedVersions: [], pruneFailures: [] } : await host.group("Prune", () => pruneVersions(ctx, versionOf(plan)));
  return {
    dryRun: false,
    source,
    plan,
    templateAction: pending.templateAction,
    imageVersion: versionOf(plan),
    imageVersionId,
    runState: galleryWait ? "Replicating" : end.runState,
    buildStart: end.startTime,
    buildEnd: end.endTime,
    preflight: pending.preflight,
    versionDecision: pending.versionDecision,
    changelog,
    state,
    notes: [
      ...(pending.build.adopted ? [pending.build.adopted] : []),
      ...(galleryWait ? [galleryWait.note] : []),
      ...(end.failedReads ? [`Following the build, ${describeFailedReads(end.failedReads)}; the build was followed to its end.`] : []),
    ],
    ...pruned,
    collectedTemplates: [],
    templateCleanup: { imageDefinitionId: plan.imageDefinitionId, keep: plan.name },
  };
}

/**
 * Pins the source, runs the preflight, chooses the version, builds the template plan and decides
 * create/reuse/recreate — all reads.
 */
async function makePlan(ctx: StepContext) {
  const { host, settings, azure, lookups } = ctx;
  const source = await resolveSource(settings.source, settings.location, azure).catch((error: unknown) => {
    throw isNotFound(error) && (error as { code?: string }).code !== "SubscriptionNotFound"
      ? new SourceNotFoundError(
          `Input '${host.inputLabel("source")}': ${settingsSourceText(settings)} was not found in ${settings.location}: ${(error as Error).message}`,
        )
      : error;
  });
  host.info(`Source: ${source.display}${source.exactVersion !== source.display ? ` → ${source.exactVersion}` : ""}`);
  // Before listing versions: a missing definition must be a preflight finding, not a paging error.
  const checked = await preflight(settings, source, lookups, host.inputLabel);
  const existing = await azure.listImageVersions(settings.subscriptionId, ...galleryOf(settings));
  // All green is one line (the job summary has the table); a warning is a line of its own.
  const passed = checked.checks.filter((c) => c.status === "ok");
  if (passed.length)
    host.info(
      `Preflight ✔ ${passed.length === checked.checks.length ? "all " : ""}${passed.length} checks passed: ${passed.map((c) => c.check.toLowerCase()).join(", ")}`,
    );
  for (const check of checked.checks) if (check.status === "warning") host.warning(`Preflight ⚠ ${check.check}: ${check.detail}`);
  const purchasePlan = checked.sourceTraits?.plan;
  if (purchasePlan && source.pinned.type === "PlatformImage") {
    source.pinned = { ...source.pinned, planInfo: { planName: purchasePlan.name, planProduct: purchasePlan.product, planPublisher: purchasePlan.publisher } };
  }
  const version = chooseNextVersion(
    existing.map((v) => v.name),
    settings.versionStrategy,
    settings.version,
  );
  // Scripts the build VM downloads are pinned by content, so a script changed in place makes a new template.
  const scripts = ctx.scriptContent ? await pinScriptContent(settings, ctx.scriptContent, host.inputLabel, ctx.signal) : { settings, pinned: [] };
  for (const script of scripts.pinned) host.info(`Script ${redactUrl(script.uri)}: sha256 ${script.sha256} (pinned in the template)`);
  // The preflight resolved the target regions (empty input: the image definition's region).
  const planned = buildTemplatePlan({ ...scripts.settings, targetRegions: checked.targetRegions }, source.pinned, version);
  const newest = sortNewestFirst(existing.map((v) => v.name))[0];
  const versionDecision = settings.version
    ? "explicit 'version'"
    : `'${settings.versionStrategy}' after ${newest ? `${newest} (highest of ${existing.length}, numeric order)` : "no existing version"}`;
  host.info(`Image version: ${formatVersion(version)} (${versionDecision})`);
  const previous = await readPreviousBuild(ctx, existing, formatVersion(version));
  if (previous) {
    const missing = Object.values(previous.unavailable);
    host.info(`Changelog: compared with ${previous.state.version}${missing.length ? ` (${[...new Set(missing)].join("; ")})` : ""}.`);
  }
  // A template stuck in Canceling cannot be run or deleted: the same content goes under the next name.
  const { plan, current } = await avoidStuckTemplate(ctx, planned);
  const templateAction: TemplateUse =
    isRunning(current) || isUnfinished(current, existing, plan.imageDefinitionId) ? "adopt" : decideTemplateAction(current, plan.name, plan.imageVersionId);
  host.info(`Image template: ${plan.name} (${describeUse(templateAction, settings.dryRun)})`);
  return { source, plan, templateAction, existing, preflight: checked.checks, versionDecision, previous, current };
}

/**
 * `attach: true`: finds the build a previous step submitted for this image definition (this action's
 * template, by its tags, that started last), follows it to its end and finishes it (version, tags, pruning).
 * @throws ConflictError when there is no such template.
 */
async function attach(ctx: StepContext): Promise<BuildReport> {
  const { host, settings } = ctx;
  const definitionId = galleryImageId(settings.subscriptionId, settings.galleryResourceGroup, settings.galleryName, settings.imageDefinition);
  const template = await host.group("Attach: find the submitted build", async () => {
    const candidates = (await olderTemplates(ctx, definitionId, "")).filter((t) => t.lastRunStatus?.startTime);
    const latest = candidates.sort((a, b) => b.lastRunStatus!.startTime!.getTime() - a.lastRunStatus!.startTime!.getTime())[0];
    if (!latest) {
      throw new ConflictError(
        `Input 'attach': no image template of this action for ${settings.galleryName}/${settings.imageDefinition} in ${settings.resourceGroup} has a build to attach to. ` +
          `Submit one first with 'wait: false' and the same inputs.`,
      );
    }
    host.info(
      `Attaching to ${latest.name}: ${latest.lastRunStatus?.runState}${BUSY_RUN_STATES.has(latest.lastRunStatus?.runState ?? "") ? ` since ${latest.lastRunStatus?.startTime?.toISOString()}` : ""}.`,
    );
    return latest;
  });
  const plan = planOfTemplate(template, definitionId);
  const previous = await readPreviousBuild(ctx, await ctx.azure.listImageVersions(settings.subscriptionId, ...galleryOf(settings)), versionOf(plan));
  return finish(ctx, {
    source: sourceOf(template, settings.source),
    plan,
    templateAction: "attach",
    build: { templateName: plan.name, attached: true },
    preflight: [],
    versionDecision: "attached: the version the submitted build publishes",
    previous,
  });
}

/** The source a submitted template was built from, for the provenance tags. */
function sourceOf(template: ImageTemplate, configured: StepContext["settings"]["source"]): ResolvedSource {
  const source = template.source as { type: string; version?: string; imageVersionId?: string; imageId?: string } | undefined;
  const display =
    configured.kind === "marketplace"
      ? `${configured.publisher}:${configured.offer}:${configured.sku}:${configured.version}`
      : configured.kind === "gallery"
        ? configured.imageVersionId
        : configured.imageId;
  const exactVersion = source?.version ?? source?.imageVersionId ?? source?.imageId ?? "";
  return { pinned: source as ResolvedSource["pinned"], exactVersion, display };
}

function settingsSourceText(settings: StepContext["settings"]): string {
  const source = settings.source;
  return source.kind === "marketplace"
    ? `marketplace image ${source.publisher}:${source.offer}:${source.sku}`
    : source.kind === "gallery"
      ? `gallery image ${source.imageVersionId}`
      : `managed image ${source.imageId}`;
}
