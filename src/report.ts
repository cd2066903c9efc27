/**
 * The run's outputs and its job summary (markdown), from a RunReport. Pure.
 */
import { type RunReport, regionsOf } from "./pipeline.ts";
import type { BuildLogExcerpt } from "./errors.ts";
import type { Settings } from "./settings.ts";
import { renderChangelog } from "./changelog/render.ts";

/** Output names, exactly as action.yml (and task.json) declare them. */
export const OUTPUT_NAMES = [
  "image-version",
  "image-version-id",
  "template-name",
  "template-reused",
  "source-image-version",
  "run-state",
  "pruned-versions",
  "skipped",
  "changelog",
] as const;

export type OutputName = (typeof OUTPUT_NAMES)[number];

/** The value of every output for a report. `pruned-versions` is a JSON array of `X.Y.Z` strings. */
export function outputsOf(report: RunReport): Record<OutputName, string> {
  return {
    "image-version": report.imageVersion,
    "image-version-id": report.imageVersionId,
    "template-name": report.plan.name,
    "template-reused": String(report.templateAction === "reuse"),
    "source-image-version": report.source.exactVersion,
    "run-state": report.runState,
    "pruned-versions": JSON.stringify(report.prunedVersions),
    skipped: String(report.runState === "Skipped"),
    changelog: changelogOf(report),
  };
}

/**
 * The `changelog` output and summary section: Markdown, `### What changed since <previous>` (planned in a
 * dry run), or '' when the run has none (skipped, submitted with `wait: false`).
 */
export function changelogOf(report: RunReport): string {
  return report.changelog ? renderChangelog(report.changelog, { planned: report.dryRun }) : "";
}

/** Minutes between two dates, one decimal, or `—`. */
function minutesBetween(start?: Date, end?: Date): string {
  return start && end ? `${((end.getTime() - start.getTime()) / 60_000).toFixed(1)} min` : "—";
}

/** The job summary: a table of the version, source, template, duration, regions and retention. */
export function summaryOf(report: RunReport, settings: Settings): string {
  if (report.skipReason) {
    return `## AVD image: ${settings.imageDefinition} — nothing built\n\nSkipped: ${report.skipReason}\n\nCurrent version: \`${report.imageVersion}\`\n`;
  }
  const title = report.dryRun
    ? `## AVD image: dry run for ${settings.imageDefinition} ${report.imageVersion}`
    : `## AVD image: ${settings.imageDefinition} ${report.imageVersion} ${report.runState === "Succeeded" ? "published" : report.runState}`;
  if (report.runState === "Running") {
    return `## AVD image: ${settings.imageDefinition} ${report.imageVersion} submitted\n\nThe build of \`${report.plan.name}\` goes on in Azure (wait: false). ` +
      `A later step with the same inputs and \`attach: true\` finishes it.\n`;
  }
  const rows: [string, string][] = [
    ["Image version", `\`${report.imageVersion}\` — ${report.versionDecision}`],
    ["Gallery", `${settings.galleryName} / ${settings.imageDefinition}`],
    ["Source", `${report.source.display}<br>exact: \`${report.source.exactVersion}\``],
    ["Image template", `\`${report.plan.name}\` (${{ reuse: "reused", recreate: "recreated", create: "created", attach: "attached", adopt: "adopted its running build" }[report.templateAction]})`],
    ["Build duration", minutesBetween(report.buildStart, report.buildEnd)],
    ["Target regions", regionsOf(report.plan).join(", ")],
    ["Exclude from latest", String(settings.excludeFromLatest)],
    ["Run state", report.runState],
    ["Pruned versions", report.prunedVersions.length ? report.prunedVersions.join(", ") : "none"],
    ...(report.notes ?? []).map((note): [string, string] => ["Note", note]),
  ];
  const lines = [title, "", "| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`), ""];
  if (report.preflight.length) {
    lines.push("### Preflight", "", "| Check | Result | Detail |", "|---|---|---|");
    for (const check of report.preflight) lines.push(`| ${check.check} | ${{ ok: "✔ ok", warning: "⚠ warning", failed: "✖ failed" }[check.status]} | ${check.detail} |`);
    lines.push("");
  }
  if (report.retention.length) {
    lines.push(`### Retention (keep-versions: ${settings.keepVersions})`, "", "| Version | Decision | Why |", "|---|---|---|");
    for (const verdict of report.retention) {
      const failed = report.pruneFailures.find((f) => f.version === verdict.version.name);
      const decision = failed
        ? "delete failed"
        : verdict.action === "delete"
          ? report.dryRun ? "would delete" : "deleted"
          : verdict.action === "protect" ? "protected" : "kept";
      lines.push(`| ${verdict.version.name} | ${decision} | ${failed ? failed.message : verdict.reason} |`);
    }
    lines.push("");
  }
  if (report.collectedTemplates.length) {
    lines.push(`Older image templates ${report.dryRun ? "to delete" : "deleted"}: ${report.collectedTemplates.map((t) => `\`${t}\``).join(", ")}`, "");
  }
  if (report.templateCleanup) {
    lines.push("Older image templates of this image definition are deleted after this summary, within minutes; the log says which. What cannot go now is retried by the next run.", "");
  }
  return lines.join("\n");
}

/**
 * The job summary of a run that failed or was canceled: what happened, where to dig further, and — when
 * the build log was read — the customizer it failed in and the last lines of customization.log.
 */
export function failureSummary(settings: Settings | undefined, message: string, details: string[], log?: BuildLogExcerpt): string {
  const lines = [`## AVD image: ${settings ? `${settings.imageDefinition} — failed` : "inputs not valid, nothing done"}`, "", message, "", ...details.map((d) => `- ${d}`), ""];
  // A fence longer than any run of backticks in the log, so no log line can end the block.
  const fenceOf = (block: string[]) => "`".repeat(Math.max(3, ...block.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))));
  if (log?.stuck) {
    const fence = fenceOf(log.stuck.lines);
    lines.push(`### What customization.log shows (${log.stuck.title})`, "", fence + "text", ...log.stuck.lines, fence, "");
  }
  if (log?.lines.length) {
    const fence = fenceOf(log.lines);
    lines.push(`### Last ${log.lines.length} lines of customization.log`, "", fence + "text", ...log.lines, fence, "");
  }
  return lines.join("\n");
}
