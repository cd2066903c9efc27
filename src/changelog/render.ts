/**
 * The changelog as Markdown: the job summary section "What changed since <previous>", the `changelog`
 * output, a GitHub release body. Pure.
 */
import type { Changelog } from "./diff.ts";
import type { CustomizerDigest } from "./state.ts";

/** Shortens `inline sha256:<64 hex>` and `… sha256:<hex>` to 12 hex digits for people. */
function shortChecksum(checksum: string): string {
  return checksum.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1…");
}

function describe(c: CustomizerDigest): string {
  return `\`${c.name}\` (${c.type}; ${shortChecksum(c.checksum)}${c.avdParameters ? `; parameters ${c.avdParameters}` : ""})`;
}

function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  return `${fence}${text}${fence}`;
}

/** `52.3 min`. */
function minutes(value: number): string {
  return `${value.toFixed(1)} min`;
}

/** The heading of the changelog section. */
export function changelogHeading(log: Changelog): string {
  return log.previousVersion ? `What changed since ${log.previousVersion}` : `What is in ${log.version}`;
}

/**
 * The changelog as Markdown lines (no heading): for an unchanged rebuild "Nothing changed in what goes
 * into the image" and the updates installed only; otherwise the source, customizers, build settings,
 * template hash, applications, updates, duration, and what could not be compared.
 * @param options.planned a dry run: the build has not run, so updates are "known after the build".
 */
export function renderChangelogBody(log: Changelog, options: { planned?: boolean } = {}): string[] {
  const lines: string[] = [];
  const updates = (): string[] => {
    if (!log.updates)
      return [
        options.planned
          ? "- Windows updates: known after the build (read from its customization.log)."
          : "- Windows updates installed: not known (the build log was not read).",
      ];
    if (log.updates.length === 0) return ["- Windows updates installed: none."];
    return [`- Windows updates installed (${log.updates.length}):`, ...log.updates.map((u) => `  - ${u.kb ? `**${u.kb}** ` : ""}${u.title}`)];
  };
  if (!log.previousVersion) {
    lines.push(`- First version of this image definition: nothing to compare with.`);
    lines.push(...updates());
    return lines;
  }
  if (log.unchanged) {
    lines.push(
      `- Nothing changed in what goes into the image: same source version, customizers and build settings as ${log.previousVersion} (same template hash).`,
    );
    lines.push(...updates());
    return lines;
  }
  if (log.source) lines.push(`- Source version: ${code(log.source.from)} → ${code(log.source.to)}`);
  const c = log.customizers;
  for (const x of c.added) lines.push(`- Customizer added: ${describe(x)}`);
  for (const x of c.removed) lines.push(`- Customizer removed: ${describe(x)}`);
  for (const x of c.changed) {
    const params =
      x.from.avdParameters !== x.to.avdParameters && (x.from.avdParameters || x.to.avdParameters)
        ? `; parameters ${x.from.avdParameters ?? "(none)"} → ${x.to.avdParameters ?? "(none)"}`
        : "";
    lines.push(`- Customizer changed: \`${x.name}\` (${x.type}): ${shortChecksum(x.from.checksum)} → ${shortChecksum(x.to.checksum)}${params}`);
  }
  if (c.moved.length) lines.push(`- Customizers in another order: ${c.moved.map((m) => `\`${m}\``).join(", ")}`);
  for (const s of log.settings) lines.push(`- Build setting ${s.name}: ${code(s.from)} → ${code(s.to)}`);
  if (log.templateHash) lines.push(`- Template hash: ${code(log.templateHash.from.slice(0, 12))} → ${code(log.templateHash.to.slice(0, 12))}`);
  const a = log.applications;
  for (const x of a.added) lines.push(`- Application added: ${x.name} ${x.version}${x.publisher ? ` (${x.publisher})` : ""}`);
  for (const x of a.upgraded) lines.push(`- Application upgraded: ${x.name} ${x.from} → ${x.version}`);
  for (const x of a.removed) lines.push(`- Application removed: ${x.name} ${x.version}`);
  lines.push(...updates());
  if (log.durationMinutes !== undefined || log.previousDurationMinutes !== undefined) {
    lines.push(
      `- Build duration: ${log.durationMinutes !== undefined ? minutes(log.durationMinutes) : options.planned ? "(not built yet)" : "—"} (${log.previousVersion}: ${log.previousDurationMinutes !== undefined ? minutes(log.previousDurationMinutes) : "not recorded"})`,
    );
  }
  for (const line of log.notCompared) lines.push(`- Not compared: ${line}`);
  return lines;
}

/** The changelog as one Markdown document: `### <heading>` and the body. */
export function renderChangelog(log: Changelog, options: { planned?: boolean; level?: number } = {}): string {
  return [
    `${"#".repeat(options.level ?? 3)} ${changelogHeading(log)}${options.planned ? " (planned)" : ""}`,
    "",
    ...renderChangelogBody(log, options),
    "",
  ].join("\n");
}
