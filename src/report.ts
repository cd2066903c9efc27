/**
 * What a build reports, and all the Markdown and text the action writes about a run for people: the
 * `BuildReport` type (filled in by pipeline.ts) and the records it is made of (template use, preflight
 * checks), the outputs, the job summary of every way a run ends (published, dry run, submitted, skipped by
 * the schedule or as unchanged, promoted, failed), the GitHub release notes, and the dry-run plan as log
 * lines. The changelog section itself is rendered by changelog/render.ts, which this module calls. Pure.
 *
 * Below the pipeline: pipeline.ts, main.ts and the steps import this module; it imports only the pure
 * core (and SDK types), never pipeline.ts, the steps, the hosts or azure/ (.dependency-cruiser.cjs,
 * rule `report-below-pipeline`).
 */
import type { ImageTemplateSharedImageDistributor, RunState } from "@azure/arm-imagebuilder";
import type { Changelog } from "./changelog/diff.ts";
import type { Manifest } from "./changelog/manifest.ts";
import { renderChangelog } from "./changelog/render.ts";
import type { ImageState } from "./changelog/state.ts";
import type { FailureReport } from "./errors.ts";
import type { RetentionVerdict } from "./retention.ts";
import { OUTPUTS, type OutputName } from "./settings/contract.ts";
import type { InputName } from "./settings/inputs.ts";
import type { Settings } from "./settings/types.ts";
import type { TemplatePlan } from "./template/build.ts";
import type { ResolvedSource } from "./template/source.ts";
import { sortNewestFirst } from "./versioning.ts";

/** What a reused or new template needs done in Azure. */
export type TemplateAction =
  /** No template with this hash exists: PUT it. */
  | "create"
  /** A template with this hash exists: PATCH its distribute and vmProfile. */
  | "reuse"
  /** A template with this hash exists but failed to provision: delete it and PUT it again. */
  | "recreate";

/** How a build used the image template: the three template actions, `attach` to a submitted build, or `adopt` the build already running on it. */
export type TemplateUse = TemplateAction | "attach" | "adopt";

/** One check and its outcome, for the log and the job summary. */
export interface PreflightCheck {
  check: string;
  status: "ok" | "warning" | "failed";
  detail: string;
  /** The input to change, for failures. */
  input?: InputName;
}

/** Everything a build decided and did, for outputs and the job summary (`runState` is the `run-state` output). */
export interface BuildReport {
  dryRun: boolean;
  source: ResolvedSource;
  plan: TemplatePlan;
  templateAction: TemplateUse;
  imageVersion: string;
  /** The version's resource ID as Azure reported it (run output), or the planned ID when not built (yet). */
  imageVersionId: string;
  /**
   * `Succeeded`, `DryRun`, `Skipped`, `Running` (wait: false), or `Replicating` (the gallery wait timed out; the version exists):
   * Image Builder's `RunState` (SDK type) when it comes from the build, else the action's own word.
   */
  runState: RunState | "DryRun" | "Skipped" | "Replicating";
  /** Why nothing was built (skip-if-unchanged), when nothing was. */
  skipReason?: string;
  buildStart?: Date;
  buildEnd?: Date;
  retention: RetentionVerdict[];
  prunedVersions: string[];
  /** Deletions that failed, with Azure's message. */
  pruneFailures: { version: string; message: string }[];
  /** Older templates of this image definition deleted before the build (staging resource group), or, in a dry run, to be deleted. */
  collectedTemplates: string[];
  /**
   * Older templates to garbage-collect once the outputs and the summary are written (a finished build):
   * the image definition and the template to keep (`cleanUpOlderTemplates`, bounded, warnings only).
   */
  templateCleanup?: { imageDefinitionId: string; keep: string };
  /** Preflight checks (none when attaching to a submitted build). */
  preflight: PreflightCheck[];
  /** How the version was chosen, in words (empty when attaching). */
  versionDecision: string;
  /** What changed since the previous version (planned in a dry run; none when skipped or submitted). */
  changelog?: Changelog;
  /** The new version's state (template, source, updates, inventory, times), for the manifest. */
  state?: ImageState;
  /** What else the summary must say: an adopted build, status reads that failed while following it. */
  notes?: string[];
  /** Where the manifest was written (set by the entry point). */
  manifestPath?: string;
}

/** Output names, from the contract (`OUTPUTS` of settings/contract.ts, which action.yml and task.json are written from). */
export const OUTPUT_NAMES = OUTPUTS;

export type { OutputName };

/**
 * The value of every output for a report. `pruned-versions` (what was deleted) and `planned-deletions`
 * (what the retention plan deletes: in a dry run what it would delete) are JSON arrays of `X.Y.Z` strings.
 */
export function outputsOf(report: BuildReport): Record<OutputName, string> {
  return {
    "image-version": report.imageVersion,
    "image-version-id": report.imageVersionId,
    "template-name": report.plan.name,
    "template-reused": String(report.templateAction === "reuse"),
    "source-image-version": report.source.exactVersion,
    "run-state": report.runState,
    "pruned-versions": JSON.stringify(report.prunedVersions),
    "planned-deletions": JSON.stringify(report.retention.filter((v) => v.action === "delete").map((v) => v.version.name)),
    skipped: String(report.runState === "Skipped"),
    changelog: changelogOf(report),
    "manifest-path": report.manifestPath ?? "",
  };
}

/**
 * The `changelog` output and summary section: Markdown, `### What changed since <previous>` (planned in a
 * dry run), or '' when the run has none (skipped, submitted with `wait: false`).
 */
export function changelogOf(report: BuildReport): string {
  return report.changelog ? renderChangelog(report.changelog, { planned: report.dryRun }) : "";
}

/** A template action in words, for the log and the dry-run plan. */
export function describeAction(action: TemplateAction, dryRun = false): string {
  const would = dryRun ? "would " : "";
  return {
    create: `${would}create: no template with this content exists`,
    reuse: `${would}reuse: same content, PATCH distribute and vmProfile`,
    recreate: `${would}recreate: the existing one failed to provision`,
  }[action];
}

/** How the build uses the template, in words (a dry run says what it would do). */
export function describeUse(use: TemplateUse, dryRun = false): string {
  if (use === "attach") return "attach";
  if (use === "adopt") return `${dryRun ? "would adopt" : "adopt"}: it is building this run's image right now; follow that build and finish it`;
  return describeAction(use, dryRun);
}

/** The plan of a dry run in lines of text: what it would create, upload and delete (nothing is written). */
export function describePlan(report: BuildReport): string[] {
  const verdict = { delete: "would delete", keep: "would keep", protect: "protected" } as const;
  return [
    `Source: ${report.source.display} → ${report.source.exactVersion}`,
    `Image template: ${report.plan.name} — ${describeUse(report.templateAction, true)}`,
    `Image version: would create ${report.imageVersion} (${report.imageVersionId})`,
    `Target regions: ${regionsOf(report.plan).join(", ") || "—"}`,
    ...(report.plan.uploads ?? []).map(
      (u) => `Repository script ${u.path}: would upload to ${u.url} unless a blob with sha256 ${u.sha256.slice(0, 12)}… is already there`,
    ),
    `Retention:`,
    ...report.retention.map((v) => `  ${verdict[v.action].padEnd(12)} ${v.version.name} — ${v.reason}`),
    report.collectedTemplates.length ? `Older templates: would delete ${report.collectedTemplates.join(", ")}` : "Older templates: none to delete",
  ];
}

/** `region × replicas` of the plan's SharedImage distributor. */
export function regionsOf(plan: TemplatePlan): string[] {
  const distributor = plan.template.distribute?.find((d): d is ImageTemplateSharedImageDistributor => d.type === "SharedImage");
  return (distributor?.targetRegions ?? []).map((r) => `${r.name} × ${r.replicaCount ?? 1}`);
}

/** Minutes between two dates, one decimal, or `—`. */
function minutesBetween(start?: Date, end?: Date): string {
  return start && end ? `${((end.getTime() - start.getTime()) / 60_000).toFixed(1)} min` : "—";
}

/**
 * The job summary of a run, for people: the headline first ("1.10.1 is now latest in galAvd/win11-avd-m365",
 * or "staged, excluded from latest"; a dry run says what it would create), then the version ID, the target
 * regions, what went into the image, retention, and the preflight table — collapsed when all green —
 * then the changelog ({@link changelogOf}).
 */
export function summaryOf(report: BuildReport, settings: Settings): string {
  const where = `${settings.galleryName}/${settings.imageDefinition}`;
  if (report.skipReason) {
    return `## AVD image: ${settings.imageDefinition} — nothing built\n\nSkipped: ${report.skipReason}\n\nCurrent version: \`${report.imageVersion}\`\n`;
  }
  if (report.runState === "Running") {
    return (
      `## AVD image: ${settings.imageDefinition} ${report.imageVersion} submitted\n\nThe build of \`${report.plan.name}\` goes on in Azure (wait: false). ` +
      `A later step with the same inputs and \`attach: true\` finishes it.\n`
    );
  }
  const dry = report.dryRun;
  const excluded = distributorOf(report.plan)?.excludeFromLatest ?? settings.excludeFromLatest;
  const higher = sortNewestFirst(report.retention.map((v) => v.version.name)).find((name) => name !== report.imageVersion);
  const isHighest = !higher || sortNewestFirst([higher, report.imageVersion])[0] === report.imageVersion;
  // Azure Compute Gallery's "latest" is the highest version number not excluded from latest.
  const standing = excluded ? "staged, excluded from latest" : isHighest ? "latest" : `not latest: ${higher} has a higher version number`;
  const headline = dry
    ? `## Dry run: would create ${report.imageVersion} in ${where} (${standing === "latest" ? "would be latest" : standing}); nothing was written`
    : report.runState !== "Succeeded"
      ? `## ${report.imageVersion} in ${where}: ${report.runState}`
      : standing === "latest"
        ? `## ${report.imageVersion} is now latest in ${where}`
        : `## ${report.imageVersion} published in ${where}: ${standing}`;
  const templateUse = dry
    ? { reuse: "would reuse", recreate: "would recreate", create: "would create", attach: "attach", adopt: "would adopt its running build" }[
        report.templateAction
      ]
    : { reuse: "reused", recreate: "recreated", create: "created", attach: "attached", adopt: "adopted its running build" }[report.templateAction];
  const deleted = report.retention.filter((v) => v.action === "delete").map((v) => v.version.name);
  const rows: [string, string][] = [
    ["Version ID", `\`${report.imageVersionId}\``],
    ["Target regions", regionsOf(report.plan).join(", ") || "—"],
    ["Version", `\`${report.imageVersion}\` — ${report.versionDecision}`],
    ["Source", `${report.source.display}<br>exact: \`${report.source.exactVersion}\``],
    ["Image template", `\`${report.plan.name}\` (${templateUse})`],
    ...(dry ? [] : [["Build duration", minutesBetween(report.buildStart, report.buildEnd)] as [string, string]]),
    // With a retention table below, it says what was (or would be) deleted.
    ...(report.retention.length
      ? []
      : ([
          dry
            ? ["Would delete", deleted.length ? deleted.join(", ") : "none"]
            : ["Deleted versions", report.prunedVersions.length ? report.prunedVersions.join(", ") : "none"],
        ] as [string, string][])),
    ...(report.notes ?? []).map((note): [string, string] => ["Note", note]),
  ];
  const lines = [headline, "", "| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`), ""];
  const content = contentOf(report.plan);
  const count = report.plan.template.customize?.length ?? 0;
  if (content.length) lines.push(`### What went into the image (${count} customizer${count === 1 ? "" : "s"})`, "", ...content, "");
  if (report.retention.length) {
    const table = ["| Version | Decision | Why |", "|---|---|---|"];
    for (const verdict of report.retention) {
      const failed = report.pruneFailures.find((f) => f.version === verdict.version.name);
      const decision = failed
        ? "delete failed"
        : verdict.action === "delete"
          ? dry
            ? "would delete"
            : "deleted"
          : verdict.action === "protect"
            ? "protected"
            : dry
              ? "would keep"
              : "kept";
      table.push(`| ${verdict.version.name} | ${decision} | ${failed ? failed.message : verdict.reason} |`);
    }
    // Nothing deleted (or to delete) and nothing failed: the table is collapsed, as an all-green preflight is.
    const title = `Retention (keep-versions: ${settings.keepVersions})`;
    if (deleted.length === 0 && report.pruneFailures.length === 0)
      lines.push(`<details><summary>${title}: nothing ${dry ? "to delete" : "deleted"}</summary>`, "", ...table, "", "</details>", "");
    else lines.push(`### ${title}`, "", ...table, "");
  }
  if (report.collectedTemplates.length) {
    lines.push(`Older image templates ${dry ? "it would delete" : "deleted"}: ${report.collectedTemplates.map((t) => `\`${t}\``).join(", ")}`, "");
  }
  if (report.preflight.length) {
    const table = [
      "| Check | Result | Detail |",
      "|---|---|---|",
      ...report.preflight.map((c) => `| ${c.check} | ${{ ok: "✔ ok", warning: "⚠ warning", failed: "✖ failed" }[c.status]} | ${c.detail} |`),
    ];
    const green = report.preflight.every((c) => c.status === "ok");
    if (green) lines.push(`<details><summary>Preflight: all ${report.preflight.length} checks passed</summary>`, "", ...table, "", "</details>", "");
    else lines.push("### Preflight", "", ...table, "");
  }
  if (report.templateCleanup) {
    lines.push(
      "Older image templates of this image definition are deleted after this summary, within minutes; the log says which. What cannot go now is retried by the next run.",
      "",
    );
  }
  // A blank line before the changelog, so it starts a block of its own.
  return `${lines.join("\n")}\n${changelogOf(report)}`;
}

/** The SharedImage distributor of a plan. */
function distributorOf(plan: TemplatePlan): ImageTemplateSharedImageDistributor | undefined {
  return plan.template.distribute?.find((d): d is ImageTemplateSharedImageDistributor => d.type === "SharedImage");
}

/**
 * What went into the image, one line per kind, from the template's customizers (by the names the
 * template builder gives them): AVD built-in steps, safety steps, scripts, Windows Update, others.
 */
export function contentOf(plan: TemplatePlan): string[] {
  const customizers = plan.template.customize ?? [];
  const avd: string[] = [];
  const safety: string[] = [];
  const scripts: string[] = [];
  const other: string[] = [];
  let updates = 0;
  for (const c of customizers) {
    const name = c.name ?? c.type;
    if (c.type === "WindowsRestart") continue;
    if (c.type === "WindowsUpdate") updates += 1;
    else if (name.startsWith("avdBuiltInScript_")) {
      const step = name.slice("avdBuiltInScript_".length).replace(/-parameter$/, "");
      if (!avd.includes(step)) avd.push(step);
    } else if (name.startsWith("safety-")) safety.push(name.slice("safety-".length));
    else if (/^(repo-script-|script-\d+-|inline-script$)/.test(name)) scripts.push(name);
    else other.push(name);
  }
  const lines: string[] = [];
  if (avd.length) lines.push(`- AVD built-in steps (${avd.length}): ${avd.join(", ")}`);
  if (scripts.length) lines.push(`- Scripts: ${scripts.map((n) => `\`${n}\``).join(", ")}`);
  if (other.length) lines.push(`- Other customizers: ${other.map((n) => `\`${n}\``).join(", ")}`);
  if (updates) lines.push(`- Windows Update: ${updates} pass${updates === 1 ? "" : "es"}`);
  if (safety.length) lines.push(`- Windows 11 safety steps: ${safety.join(", ")}`);
  return lines;
}

/** What `mode: promote` did, as the promote step reports it (steps/promote.ts `PromoteReport`). */
export interface PromoteOutcome {
  version: { name: string };
  /** `Promoted`, `Skipped` (too young, or already in latest), or `DryRun` (would promote; nothing written). */
  runState: "Promoted" | "Skipped" | "DryRun";
  /** Why, in words. */
  reason: string;
}

/** The job summary of `mode: promote`: the version and what happened to it (a dry run says nothing was written), then why. */
export function promoteSummary(settings: Settings, promoted: PromoteOutcome): string {
  const outcome = promoted.runState === "DryRun" ? "dry run, nothing written" : promoted.runState.toLowerCase();
  return `## AVD image: ${settings.imageDefinition} ${promoted.version.name} — ${outcome}\n\n${promoted.reason}\n`;
}

/** The job summary of a run the schedule guard skipped (`schedule`, before anything was planned): nothing built, and why. */
export function scheduleSkipSummary(settings: Settings, reason: string): string {
  return `## AVD image: ${settings.imageDefinition} — nothing built\n\nSkipped: ${reason}\n`;
}

/**
 * The body of the GitHub release of a published version (`github-release: true`, steps/release.ts): the
 * changelog, then the source, the image template and the gallery (the manifest is attached beside it).
 */
export function releaseNotesOf(report: BuildReport, manifest: Manifest): string {
  return `${changelogOf(report)}\nSource \`${manifest.source.given}\` → \`${manifest.source.exactVersion}\`, image template \`${manifest.template.name}\`, gallery ${manifest.gallery.name}. The manifest is attached.\n`;
}

/**
 * The job summary of a run that failed or was canceled, for people: the failing customizer by its template
 * name in the title (packer's provisioner N mapped to the template's steps, log-lines.ts), what happened
 * and Image Builder's message once, then the key (error and warning) lines of customization.log, where
 * to dig further, and the last lines of the log collapsed. Input-validation failures (no settings) get
 * one too. `failure`: an `ActionError` (errors.ts), or the message of any other error with no details.
 */
export function failureSummary(settings: Settings | undefined, failure: FailureReport): string {
  const { headline: message, details, log, facts } = failure;
  const step = facts?.step;
  const title = !settings
    ? "## AVD image: inputs not valid, nothing done"
    : step && step.kind !== "image-builder"
      ? `## AVD image ${settings.imageDefinition}: failed in ${step.kind} \`${step.name}\``
      : `## AVD image: ${settings.imageDefinition} — failed`;
  // Image Builder's message once: after the lead, not also in the details.
  const lead = facts ? [`${facts.lead}.`, "", `**Image Builder:** ${facts.imageBuilder}`] : [message];
  const lines = [title, "", ...lead, ""];
  // A fence longer than any run of backticks in the log, so no log line can end the block.
  const fenceOf = (block: string[]) => "`".repeat(Math.max(3, ...block.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))));
  if (log?.stuck) {
    const fence = fenceOf(log.stuck.lines);
    lines.push(`### What customization.log shows (${log.stuck.title})`, "", `${fence}text`, ...log.stuck.lines, fence, "");
  }
  if (log?.keyLines?.length) {
    const fence = fenceOf(log.keyLines);
    lines.push("### Key lines of customization.log", "", `${fence}text`, ...log.keyLines, fence, "");
  }
  if (details.length) lines.push(...details.map((d) => `- ${d}`), "");
  if (log?.lines.length) {
    const fence = fenceOf(log.lines);
    lines.push(
      `<details><summary>Last ${log.lines.length} lines of customization.log</summary>`,
      "",
      `${fence}text`,
      ...log.lines,
      fence,
      "",
      "</details>",
      "",
    );
  }
  return lines.join("\n");
}
