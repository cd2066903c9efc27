/**
 * The AVD built-in image steps: the scripts the Azure Virtual Desktop portal's "custom image templates"
 * offer (Azure/RDS-Templates `CustomImageTemplateScripts_2024-03-27`), as the `avd-steps` input names them,
 * with their parameters checked against each script's `param()` block and laid out as the portal lays
 * them out in an Azure VM Image Builder template (Microsoft.VirtualMachineImages api-version 2025-10-01
 * customizers).
 *
 * Pure. The data is `catalog-data.json` (see SOURCES.md): every script URL pinned to one commit of
 * Azure/RDS-Templates and given the SHA-256 of the file at that commit, so Image Builder refuses a file
 * Microsoft edited in place instead of running it.
 */
import type {
  ImageTemplateCustomizerUnion,
  ImageTemplateFileCustomizer,
  ImageTemplatePowerShellCustomizer,
  ImageTemplateRestartCustomizer,
  ImageTemplateWindowsUpdateCustomizer,
} from "@azure/arm-imagebuilder";
import data from "./catalog-data.json" with { type: "json" };
import { type WindowsUpdateOptions, windowsUpdateCustomizer } from "../template/windows-update.ts";

/** One parameter of a script's `param()` block, as the catalog records it. */
export interface CatalogParam {
  name: string;
  /** `string` or `string[]` (PowerShell types). */
  type: string;
  mandatory: boolean;
  /** The ValidateSet values, or a description of what the script accepts, or null (anything). */
  allowed: string[] | string | null;
  default: string | null;
  /** The value the portal passes when the admin leaves the field alone. */
  portalValue?: string;
}

/** One built-in script (or, for `windowsUpdate`, the portal's Windows Update step), as the catalog records it. */
export interface CatalogScript {
  id: string;
  file: string | null;
  pinnedRawUrl?: string;
  commit: string | null;
  lastChangedDate?: string;
  /** SHA-256 (hex) of the file's bytes at `commit`. */
  sha256: string | null;
  bytes?: number;
  portalStepName: string;
  portalInvocation: string;
  runAsSystem?: boolean;
  runElevated?: boolean;
  params: CatalogParam[];
  /** The portal follows the step with Windows Update and a restart. */
  restartAfter: boolean;
  restartDetail?: string;
  /** Known defects and what the script does. */
  notes: string;
}

/** The catalog: where the scripts come from and the scripts, in the portal's order. */
export interface Catalog {
  repo: string;
  headCommit: string;
  headCommitDate: string;
  latestFolder: string;
  scripts: CatalogScript[];
}

export const CATALOG: Catalog = data as Catalog;

/** How the value of a parameter is checked. */
export type ParamFormat =
  /** One (or, for `string[]`, one or more) of the ValidateSet values, case-insensitive. */
  | "choice"
  /** An `https://` URL (the build VM downloads it). */
  | "https-url"
  /** A whole number (minutes, megabytes). */
  | "whole-number"
  /** Any text (for `string[]`: comma-separated). */
  | "text";

/** A built-in step as `avd-steps` names it. */
export interface AvdStepDefinition {
  /** The name in `avd-steps`, e.g. `language-packs`. */
  key: string;
  /** What the portal calls it. */
  title: string;
  script: CatalogScript;
  /** The parameter a bare value fills (`language-packs: English (United Kingdom)`). */
  primary?: string;
  /** How each parameter's value is checked. */
  formats: Record<string, ParamFormat>;
  /** The portal's customizer name, e.g. `avdBuiltInScript_installLanguagePacks`. */
  stepName: string;
  /** Scripts with parameters: downloaded by a File customizer to this path, then called inline. Undefined: run by `scriptUri`. */
  destination?: string;
  /** Follow-up the portal adds: Windows Update (updateLimit 0) then a restart with this timeout (undefined: AIB's default). */
  restart?: { restartTimeout?: string };
}

/** A checked use of a step: its definition and its parameters in `param()` order (portal values filled in). */
export interface AvdStepCall {
  step: AvdStepDefinition;
  params: { name: string; value: string | string[] }[];
}

/** Curated per script: the `avd-steps` name, the title, the bare-value parameter and the value formats. */
const STEP_INFO: Record<string, { key: string; title: string; primary?: string; formats?: Record<string, ParamFormat> }> = {
  installLanguagePacks: { key: "language-packs", title: "Install language packs", primary: "LanguageList" },
  setDefaultLanguage: { key: "default-language", title: "Set default OS language", primary: "Language" },
  timeZoneRedirection: { key: "timezone-redirection", title: "Time zone redirection" },
  disableStorageSense: { key: "disable-storage-sense", title: "Disable Storage Sense" },
  enableFsLogix: { key: "fslogix", title: "Install and configure FSLogix", primary: "ProfilePath", formats: { ProfilePath: "text", FSLogixInstaller: "https-url", VHDSize: "whole-number" } },
  fsLogixKerberos: { key: "fslogix-kerberos", title: "FSLogix with Microsoft Entra Kerberos" },
  configureRdpShortpath: { key: "rdp-shortpath", title: "Configure RDP Shortpath" },
  screenCaptureProtection: { key: "screen-capture-protection", title: "Screen capture protection", primary: "BlockOption", formats: { BlockOption: "text" } },
  teamsOptimization: {
    key: "teams-optimization",
    title: "Teams optimization",
    formats: { TeamsDownloadLink: "https-url", VCRedistributableLink: "https-url", WebRTCInstaller: "https-url", TeamsBootStrapperUrl: "https-url" },
  },
  configureSessionTimeouts: {
    key: "session-timeouts",
    title: "Session timeouts",
    formats: { MaxDisconnectionTime: "whole-number", MaxIdleTime: "whole-number", MaxConnectionTime: "whole-number", RemoteAppLogoffTimeLimit: "whole-number", fResetBroken: "text" },
  },
  configureOfficeApps: { key: "office-apps", title: "Add or remove Microsoft 365 apps" },
  multiMediaRedirection: { key: "multimedia-redirection", title: "Multimedia redirection", formats: { VCRedistributableLink: "https-url" } },
  windowsOptimization: { key: "windows-optimization", title: "Windows optimizations (VDOT)", primary: "Optimizations" },
  disableAutoUpdates: { key: "disable-auto-updates", title: "Disable automatic updates" },
  removeAppxPackages: { key: "remove-appx", title: "Remove Appx packages", primary: "AppxPackages", formats: { AppxPackages: "text" } },
  adminSysPrep: { key: "admin-sysprep", title: "Admin sysprep (sysprep /mode:vm)" },
};

/** The catalog id of the portal's Windows Update step, which is the `windows-update` input here. */
const WINDOWS_UPDATE_ID = "windowsUpdate";
/** The catalog id of the step that must be the last customizer. */
export const ADMIN_SYSPREP_ID = "adminSysPrep";

function defineStep(script: CatalogScript): AvdStepDefinition {
  const info = STEP_INFO[script.id];
  if (!info) throw new Error(`catalog-data.json: script '${script.id}' has no avd-steps name`);
  const portalName = /avdBuiltInScript_[A-Za-z0-9]+/.exec(script.portalStepName)?.[0] ?? `avdBuiltInScript_${script.id}`;
  const fileInvocation = script.portalInvocation.startsWith("File");
  const destination = fileInvocation
    ? (/File\((C:\\[^)]+\.ps1)\)/.exec(script.portalInvocation)?.[1] ?? /destination (C:\\\S+\.ps1)/.exec(script.portalStepName)?.[1] ?? `C:\\AVDImage\\${script.id}.ps1`)
    : undefined;
  const formats: Record<string, ParamFormat> = {};
  for (const param of script.params) formats[param.name] = info.formats?.[param.name] ?? (Array.isArray(param.allowed) ? "choice" : "text");
  const timeout = /restartTimeout (\d+[smh])/.exec(script.restartDetail ?? "")?.[1];
  return {
    key: info.key,
    title: info.title,
    script,
    primary: info.primary,
    formats,
    stepName: portalName,
    destination,
    restart: script.restartAfter ? (timeout ? { restartTimeout: timeout } : {}) : undefined,
  };
}

/** Every step `avd-steps` accepts, in the portal's order. */
export const AVD_STEPS: readonly AvdStepDefinition[] = CATALOG.scripts.filter((s) => s.id !== WINDOWS_UPDATE_ID).map(defineStep);

/** The step named `key` (its `avd-steps` name or catalog id, case-insensitive), or undefined. */
export function findStep(key: string): AvdStepDefinition | undefined {
  const k = key.toLowerCase();
  return AVD_STEPS.find((s) => s.key === k || s.script.id.toLowerCase() === k);
}

/** Whether `value` is an https URL. */
function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/**
 * Splits a list of ValidateSet values, some of which contain commas (`Chinese (Simplified, China)`,
 * `Norwegian, Bokmål (Norway)`): at each position the longest allowed value followed by a comma or the
 * end wins; otherwise the text up to the next comma is taken (and reported as not allowed).
 */
function splitChoices(text: string, allowed: string[]): string[] {
  const result: string[] = [];
  let rest = text.trim();
  const byLength = [...allowed].sort((a, b) => b.length - a.length);
  while (rest !== "") {
    const lower = rest.toLowerCase();
    const match = byLength.find((a) => lower.startsWith(a.toLowerCase()) && /^\s*(,|$)/.test(rest.slice(a.length)));
    const token = match ? rest.slice(0, match.length) : rest.split(",")[0]!;
    result.push(unquote(token));
    rest = rest.slice(token.length).replace(/^\s*,\s*/, "").trim();
  }
  return result.filter((t) => t !== "");
}

function listOf(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(", ");
}

/** What a parameter accepts, in words, for error messages. */
function expectation(step: AvdStepDefinition, param: CatalogParam): string {
  const format = step.formats[param.name];
  const many = param.type.endsWith("[]");
  if (format === "choice" && Array.isArray(param.allowed)) return `${many ? "one or more (comma-separated) of" : "one of"}: ${listOf(param.allowed)}`;
  if (format === "https-url") return `an https:// URL${param.portalValue ? ` (the portal uses ${param.portalValue})` : ""}`;
  if (format === "whole-number") return `a whole number${typeof param.allowed === "string" ? ` (${param.allowed})` : ""}`;
  return many ? "one or more comma-separated values" + (typeof param.allowed === "string" ? ` (${param.allowed})` : "") : "a value" + (typeof param.allowed === "string" ? ` (${param.allowed})` : "");
}

/** Checks one parameter value; returns the value (canonical spelling) or a problem. */
function checkValue(step: AvdStepDefinition, param: CatalogParam, raw: string): { value: string | string[] } | { problem: string } {
  const format = step.formats[param.name];
  const many = param.type.endsWith("[]");
  const text = raw.trim();
  if (text === "") return { problem: `${param.name} needs a value: ${expectation(step, param)}.` };
  if (format === "choice" && Array.isArray(param.allowed)) {
    const allowed = param.allowed;
    const values = many ? splitChoices(text, allowed) : [unquote(text)];
    const canonical: string[] = [];
    for (const value of values) {
      const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
      if (!found) return { problem: `'${value}' is not an allowed ${param.name} value. Allowed: ${listOf(allowed)}.` };
      if (!canonical.includes(found)) canonical.push(found);
    }
    return { value: many ? canonical : canonical[0]! };
  }
  const values = many ? text.split(",").map(unquote).filter((v) => v !== "") : [unquote(text)];
  for (const value of values) {
    if (format === "https-url" && !isHttpsUrl(value)) return { problem: `${param.name} '${value}' must be ${expectation(step, param)}.` };
    if (format === "whole-number" && !/^\d{1,9}$/.test(value)) return { problem: `${param.name} '${value}' must be ${expectation(step, param)}.` };
  }
  return { value: many ? values : values[0]! };
}

/** Step-specific rules the `param()` block cannot express but the script enforces (see the catalog's notes). */
function crossChecks(step: AvdStepDefinition, params: Map<string, string | string[]>): string[] {
  const problems: string[] = [];
  if (step.script.id === "configureOfficeApps") {
    const type = params.get("Type");
    const apps = (params.get("Applications") as string[] | undefined) ?? [];
    const addable = ["Visio", "Project"];
    if (type === "Add") {
      const wrong = apps.filter((a) => !addable.includes(a));
      if (wrong.length) problems.push(`Type=Add installs only Visio and Project (the script ignores ${listOf(wrong)}); use Type=Remove to remove apps from Microsoft 365.`);
    } else if (type === "Remove") {
      const wrong = apps.filter((a) => addable.includes(a));
      if (wrong.length) problems.push(`Type=Remove removes only ${listOf(((step.script.params.find((p) => p.name === "Applications")?.allowed as string[]) ?? []).filter((a) => !addable.includes(a)))} (not ${listOf(wrong)}).`);
    }
  }
  if (step.script.id === "configureSessionTimeouts" && params.size === 0) {
    problems.push(`give at least one of ${listOf(step.script.params.map((p) => p.name))}, e.g. 'session-timeouts: MaxIdleTime=120' (minutes).`);
  }
  return problems;
}

/**
 * Parses the `avd-steps` input: one step a line, `name` or `name: parameters`, where parameters are
 * `Name=value` pairs (values may contain spaces; a pair ends where the next `Name=` of the step begins)
 * or, for steps with a main parameter, a bare value (`language-packs: English (United Kingdom), German (Germany)`).
 * Empty lines and `#` comments are skipped; a leading `- ` is allowed.
 *
 * @returns the calls in the order given (the layout sorts them into the portal's order) and every
 *   problem found, each a sentence naming the line, the parameter and what it accepts.
 */
export function parseAvdSteps(text: string): { calls: AvdStepCall[]; problems: string[] } {
  const calls: AvdStepCall[] = [];
  const problems: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^-\s+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const colon = line.indexOf(":");
    // `fslogix: ProfilePath=...`: the name is the part before the first colon (URLs come after it).
    const name = (colon < 0 ? line : line.slice(0, colon)).trim();
    const rest = colon < 0 ? "" : line.slice(colon + 1).trim();
    const at = `line '${line}'`;
    if (name.toLowerCase() === "windows-update" || name.toLowerCase() === WINDOWS_UPDATE_ID.toLowerCase()) {
      problems.push(`${at}: Windows Update is the 'windows-update' input (on by default, run before admin-sysprep); remove this line.`);
      continue;
    }
    const step = findStep(name);
    if (!step) {
      problems.push(`${at}: '${name}' is not an AVD built-in step. Steps: ${AVD_STEPS.map((s) => s.key).join(", ")}.`);
      continue;
    }
    if (calls.some((c) => c.step === step)) {
      problems.push(`${at}: '${step.key}' is listed twice; list each step once.`);
      continue;
    }
    const declared = step.script.params;
    const given = new Map<string, string>();
    let lineOk = true;
    if (rest !== "") {
      if (declared.length === 0) {
        problems.push(`${at}: '${step.key}' takes no parameters.`);
        continue;
      }
      const named = /^([A-Za-z][A-Za-z0-9]*)\s*=/.exec(rest);
      if (named) {
        // Split at every ` Name=` of a declared parameter (case-insensitive).
        const names = declared.map((p) => p.name).join("|");
        const marker = new RegExp(`(?:^|\\s)(${names})\\s*=`, "gi");
        const starts = [...rest.matchAll(marker)];
        if (starts.length === 0 || rest.slice(0, starts[0]!.index).trim() !== "" || starts[0]!.index !== 0) {
          problems.push(`${at}: '${named[1]}' is not a parameter of '${step.key}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`);
          continue;
        }
        starts.forEach((m, i) => {
          const param = declared.find((p) => p.name.toLowerCase() === m[1]!.toLowerCase())!;
          const end = i + 1 < starts.length ? starts[i + 1]!.index : rest.length;
          let value = rest.slice(m.index + m[0].length, end).trim();
          const stray = /(?:^|\s)([A-Za-z][A-Za-z0-9]*)\s*=/.exec(value);
          if (stray) {
            problems.push(`${at}: '${stray[1]}' is not a parameter of '${step.key}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`);
            lineOk = false;
            value = value.slice(0, stray.index).trim();
          }
          if (given.has(param.name)) {
            problems.push(`${at}: ${param.name} is given twice.`);
            lineOk = false;
          }
          given.set(param.name, value);
        });
      } else if (step.primary) {
        given.set(step.primary, rest);
      } else {
        problems.push(`${at}: '${step.key}' takes named parameters, e.g. '${step.key}: ${declared.map((p) => `${p.name}=…`).join(" ")}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`);
        continue;
      }
    }
    const params = new Map<string, string | string[]>();
    for (const param of declared) {
      const raw = given.get(param.name) ?? param.portalValue;
      if (raw === undefined) {
        if (param.mandatory) {
          problems.push(`${at}: '${step.key}' needs ${param.name}: ${expectation(step, param)}.`);
          lineOk = false;
        }
        continue;
      }
      const checked = checkValue(step, param, raw);
      if ("problem" in checked) {
        problems.push(`${at}: ${checked.problem}`);
        lineOk = false;
      } else {
        params.set(param.name, checked.value);
      }
    }
    if (!lineOk) continue;
    const cross = crossChecks(step, params);
    if (cross.length) {
      problems.push(...cross.map((p) => `${at}: ${p}`));
      continue;
    }
    calls.push({ step, params: declared.filter((p) => params.has(p.name)).map((p) => ({ name: p.name, value: params.get(p.name)! })) });
  }
  return { calls, problems };
}

/** A PowerShell single-quoted string literal (quote characters doubled, typographic ones included). */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

/** The inline line that calls a downloaded script with its parameters, e.g. `C:\AVDImage\x.ps1 -A 'v1','v2'`. */
export function invocationLine(call: AvdStepCall): string {
  const args = call.params.map((p) => `-${p.name} ${Array.isArray(p.value) ? p.value.map(psQuote).join(",") : psQuote(p.value)}`);
  return [call.step.destination!, ...args].join(" ");
}

/**
 * The customizers of the AVD built-in steps, as the portal lays them out, in the portal's order
 * (whatever order `calls` has):
 * - a script with parameters: a `File` customizer downloading the pinned URL (with its SHA-256) to
 *   `C:\AVDImage\<name>.ps1`, then an inline `PowerShell` step (`<step>-parameter`) calling it;
 * - a script without parameters: a `PowerShell` customizer with the pinned `scriptUri` and its SHA-256;
 * - every PowerShell step elevated as SYSTEM;
 * - after language packs, default language and Windows optimizations: Windows Update (updateLimit 0,
 *   only when `windowsUpdate`; with `windowsUpdateOptions` when given) and a restart (`<step>-windowsUpdate`,
 *   `<step>-windowsRestart`).
 *
 * `adminSysPrep` is returned apart (`last`): it rewrites Image Builder's sysprep command and must be the
 * last customizer of the template.
 */
export function avdStepCustomizers(calls: readonly AvdStepCall[], options: { windowsUpdate: boolean; windowsUpdateOptions?: WindowsUpdateOptions }): { steps: ImageTemplateCustomizerUnion[]; last: ImageTemplateCustomizerUnion[] } {
  const steps: ImageTemplateCustomizerUnion[] = [];
  const last: ImageTemplateCustomizerUnion[] = [];
  const ordered = [...calls].sort((a, b) => AVD_STEPS.indexOf(a.step) - AVD_STEPS.indexOf(b.step));
  for (const call of ordered) {
    const { step } = call;
    const out = step.script.id === ADMIN_SYSPREP_ID ? last : steps;
    if (step.destination) {
      const file: ImageTemplateFileCustomizer = {
        type: "File",
        name: step.stepName,
        sourceUri: step.script.pinnedRawUrl!,
        sha256Checksum: step.script.sha256!,
        destination: step.destination,
      };
      const run: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: `${step.stepName}-parameter`,
        inline: [invocationLine(call)],
        runElevated: true,
        runAsSystem: true,
      };
      out.push(file, run);
    } else {
      const run: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: step.stepName,
        scriptUri: step.script.pinnedRawUrl!,
        sha256Checksum: step.script.sha256!,
        runElevated: true,
        runAsSystem: true,
      };
      out.push(run);
    }
    if (step.restart) {
      if (options.windowsUpdate) {
        const name = `${step.stepName}-windowsUpdate`;
        const update: ImageTemplateWindowsUpdateCustomizer = options.windowsUpdateOptions ? windowsUpdateCustomizer(name, options.windowsUpdateOptions) : { type: "WindowsUpdate", name, updateLimit: 0 };
        out.push(update);
      }
      const restart: ImageTemplateRestartCustomizer = { type: "WindowsRestart", name: `${step.stepName}-windowsRestart`, ...(step.restart.restartTimeout ? { restartTimeout: step.restart.restartTimeout } : {}) };
      out.push(restart);
    }
  }
  return { steps, last };
}
