/**
 * The changelog of a new image version against the previous one (the newest version of the same image
 * definition before it, numeric order): what changed in what goes into the image, the Windows updates
 * the build installed, and the build duration beside the previous one. Pure; fed by plain data
 * (state.ts), rendered as Markdown by render.ts.
 *
 * Nothing here fails for want of data: what could not be compared is listed in `notCompared`, one line each.
 */
import type { InstalledApplication, WindowsUpdateInstalled } from "./log-facts.ts";
import type { CustomizerDigest, ImageState } from "./state.ts";

/** A value before and after. */
export interface Change {
  name: string;
  from: string;
  to: string;
}

/** A customizer that changed: same template name, other content. */
export interface CustomizerChange {
  name: string;
  type: string;
  from: CustomizerDigest;
  to: CustomizerDigest;
}

/** The changelog of one version. */
export interface Changelog {
  /** The new version. */
  version: string;
  /** The previous version, or undefined for the first version of the definition. */
  previousVersion?: string;
  /** Source exact version old → new, when it changed. */
  source?: Change;
  /** Template hash old → new, when it changed. */
  templateHash?: Change;
  customizers: { added: CustomizerDigest[]; removed: CustomizerDigest[]; changed: CustomizerChange[]; moved: string[] };
  settings: Change[];
  applications: { added: InstalledApplication[]; removed: InstalledApplication[]; upgraded: (InstalledApplication & { from: string })[] };
  /** True when the template hash is the same (same source version, customizers, unpatchable settings) and no build setting changed. */
  unchanged: boolean;
  /** Updates this build installed; undefined when its log was not read (or the build has not run). */
  updates?: WindowsUpdateInstalled[];
  /** Build duration in minutes, this build and the previous one. */
  durationMinutes?: number;
  previousDurationMinutes?: number;
  /** One line for each thing that could not be compared, and why. */
  notCompared: string[];
}

/** Minutes between two ISO times, or undefined. */
export function minutesOf(start?: string, end?: string): number | undefined {
  if (!start || !end) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms / 60_000 : undefined;
}

/**
 * Compares the new version's state with the previous one's.
 * @param previous the previous version's state (from its tags, template, log or manifest), or undefined when there is none.
 * @param unavailable why parts of the previous state are missing (e.g. `the image template x of 1.10.0 no longer exists`), keyed by part.
 */
export function diffStates(
  previous: ImageState | undefined,
  current: ImageState,
  unavailable: Partial<Record<"template" | "log" | "tags", string>> = {},
): Changelog {
  const log: Changelog = {
    version: current.version,
    customizers: { added: [], removed: [], changed: [], moved: [] },
    settings: [],
    applications: { added: [], removed: [], upgraded: [] },
    unchanged: false,
    notCompared: [],
    ...(current.updates ? { updates: current.updates } : {}),
  };
  const duration = minutesOf(current.buildStart, current.buildEnd);
  if (duration !== undefined) log.durationMinutes = duration;
  if (!previous) return log;
  log.previousVersion = previous.version;
  const previousDuration = minutesOf(previous.buildStart, previous.buildEnd);
  if (previousDuration !== undefined) log.previousDurationMinutes = previousDuration;

  if (previous.sourceVersion && current.sourceVersion) {
    if (previous.sourceVersion !== current.sourceVersion) log.source = { name: "source", from: previous.sourceVersion, to: current.sourceVersion };
  } else log.notCompared.push(`Source version: ${unavailable.tags ?? `not recorded on ${previous.version}`}.`);

  if (previous.templateHash && current.templateHash) {
    if (previous.templateHash !== current.templateHash) log.templateHash = { name: "template hash", from: previous.templateHash, to: current.templateHash };
  } else log.notCompared.push(`Template hash: not recorded on ${previous.version}.`);

  if (previous.customizers && current.customizers) {
    const before = new Map(previous.customizers.map((c) => [c.name, c]));
    const after = new Map(current.customizers.map((c) => [c.name, c]));
    for (const c of current.customizers) {
      const old = before.get(c.name);
      if (!old) log.customizers.added.push(c);
      else if (old.checksum !== c.checksum || old.type !== c.type || old.avdParameters !== c.avdParameters)
        log.customizers.changed.push({ name: c.name, type: c.type, from: old, to: c });
    }
    for (const c of previous.customizers) if (!after.has(c.name)) log.customizers.removed.push(c);
    const keptBefore = previous.customizers.filter((c) => after.has(c.name)).map((c) => c.name);
    const keptAfter = current.customizers.filter((c) => before.has(c.name)).map((c) => c.name);
    log.customizers.moved = keptAfter.filter((name, i) => keptBefore[i] !== name);
  } else if (current.customizers)
    log.notCompared.push(`Customizers: ${unavailable.template ?? `the image template of ${previous.version} could not be read`}.`);

  if (previous.settings && current.settings) {
    const names = [...new Set([...Object.keys(previous.settings), ...Object.keys(current.settings)])];
    for (const name of names) {
      const from = previous.settings[name] ?? "(not set)";
      const to = current.settings[name] ?? "(not set)";
      if (from !== to) log.settings.push({ name, from, to });
    }
  } else if (current.settings)
    log.notCompared.push(`Build settings: ${unavailable.template ?? `the image template of ${previous.version} could not be read`}.`);

  if (previous.inventory && current.inventory) {
    const before = new Map(previous.inventory.applications.map((a) => [a.name, a]));
    const after = new Map(current.inventory.applications.map((a) => [a.name, a]));
    for (const app of current.inventory.applications) {
      const old = before.get(app.name);
      if (!old) log.applications.added.push(app);
      else if (old.version !== app.version) log.applications.upgraded.push({ ...app, from: old.version });
    }
    for (const app of previous.inventory.applications) if (!after.has(app.name)) log.applications.removed.push(app);
  } else if (current.inventory) {
    log.notCompared.push(`Applications: ${unavailable.log ?? `no inventory of ${previous.version} was found`}.`);
  }
  const c = log.customizers;
  log.unchanged = Boolean(
    previous.templateHash &&
      previous.templateHash === current.templateHash &&
      !log.source &&
      !log.settings.length &&
      !c.added.length &&
      !c.removed.length &&
      !c.changed.length,
  );
  return log;
}

/** True when anything that goes into the image differs (customizers, settings, source, applications). */
export function hasChanges(log: Changelog): boolean {
  const c = log.customizers;
  const a = log.applications;
  return Boolean(
    log.source ||
      log.templateHash ||
      c.added.length ||
      c.removed.length ||
      c.changed.length ||
      c.moved.length ||
      log.settings.length ||
      a.added.length ||
      a.removed.length ||
      a.upgraded.length,
  );
}
