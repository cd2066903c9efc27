/**
 * The AVD built-in image steps: the scripts the Azure Virtual Desktop portal's "custom image templates"
 * offer (Azure/RDS-Templates `CustomImageTemplateScripts_2024-03-27`), as the `avd-steps` input names them:
 * the catalog and one definition per step (its name, title, parameter formats, customizer name, download
 * path and follow-up restart). `parse-steps.ts` checks an `avd-steps` input against these definitions;
 * `customizers.ts` lays the checked steps out as the portal does in an Azure VM Image Builder template
 * (Microsoft.VirtualMachineImages api-version 2025-10-01 customizers).
 *
 * Pure. The data is `catalog-data.json` (see SOURCES.md): every script URL pinned to one commit of
 * Azure/RDS-Templates and given the SHA-256 of the file at that commit, so Image Builder refuses a file
 * Microsoft edited in place instead of running it.
 */
import data from "./catalog-data.json" with { type: "json" };

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
  enableFsLogix: {
    key: "fslogix",
    title: "Install and configure FSLogix",
    primary: "ProfilePath",
    formats: { ProfilePath: "text", FSLogixInstaller: "https-url", VHDSize: "whole-number" },
  },
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
    formats: {
      MaxDisconnectionTime: "whole-number",
      MaxIdleTime: "whole-number",
      MaxConnectionTime: "whole-number",
      RemoteAppLogoffTimeLimit: "whole-number",
      fResetBroken: "text",
    },
  },
  configureOfficeApps: { key: "office-apps", title: "Add or remove Microsoft 365 apps" },
  multiMediaRedirection: { key: "multimedia-redirection", title: "Multimedia redirection", formats: { VCRedistributableLink: "https-url" } },
  windowsOptimization: { key: "windows-optimization", title: "Windows optimizations (VDOT)", primary: "Optimizations" },
  disableAutoUpdates: { key: "disable-auto-updates", title: "Disable automatic updates" },
  removeAppxPackages: { key: "remove-appx", title: "Remove Appx packages", primary: "AppxPackages", formats: { AppxPackages: "text" } },
  adminSysPrep: { key: "admin-sysprep", title: "Admin sysprep (sysprep /mode:vm)" },
};

/** The catalog id of the portal's Windows Update step, which is the `windows-update` input here. */
export const WINDOWS_UPDATE_ID = "windowsUpdate";
/** The catalog id of the step that must be the last customizer. */
export const ADMIN_SYSPREP_ID = "adminSysPrep";

function defineStep(script: CatalogScript): AvdStepDefinition {
  const info = STEP_INFO[script.id];
  if (!info) throw new Error(`catalog-data.json: script '${script.id}' has no avd-steps name`);
  const portalName = /avdBuiltInScript_[A-Za-z0-9]+/.exec(script.portalStepName)?.[0] ?? `avdBuiltInScript_${script.id}`;
  const fileInvocation = script.portalInvocation.startsWith("File");
  const destination = fileInvocation
    ? (/File\((C:\\[^)]+\.ps1)\)/.exec(script.portalInvocation)?.[1] ??
      /destination (C:\\\S+\.ps1)/.exec(script.portalStepName)?.[1] ??
      `C:\\AVDImage\\${script.id}.ps1`)
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
