/**
 * What one image version was built from, as plain data: the state the changelog compares and the
 * manifest records. Pure.
 *
 * Read from an image template (Microsoft.VirtualMachineImages api-version 2025-10-01, ImageTemplate in
 * the flattened shape of @azure/arm-imagebuilder 5.x), from the provenance tags of an image version
 * (src/tags.ts), and from the build's customization.log (Windows updates, inventory: log-facts.ts).
 */
import { createHash } from "node:crypto";
import type { ImageTemplate, ImageTemplateSharedImageDistributor } from "@azure/arm-imagebuilder";
import { TAGS } from "../tags.ts";
import type { Inventory, WindowsUpdateInstalled } from "./log-facts.ts";

/** One customizer of a template, by its template name, with a checksum of what it runs. */
export interface CustomizerDigest {
  /** The customizer's `name` in the template (e.g. `inline-script`, `avdBuiltInScript_installLanguagePacks-parameter`). */
  name: string;
  /** AIB customizer type: `PowerShell`, `File`, `WindowsUpdate`, `WindowsRestart`, `Shell`. */
  type: string;
  /**
   * What identifies its content: `inline sha256:<hex>` (SHA-256 of the inline lines joined by `\n`),
   * `scriptUri <url> sha256:<hex>` / `sourceUri <url> sha256:<hex>` (the template's `sha256Checksum`,
   * or `sha256 not pinned`), or `settings sha256:<hex>` of the other properties (updates, restarts).
   */
  checksum: string;
  /** For an AVD built-in step's `-parameter` customizer: the parameters it passes (`-LanguageList 'English (United Kingdom)'`). */
  avdParameters?: string;
}

/** The state of one version's build. Every member is optional: what could not be read is absent. */
export interface ImageState {
  /** `X.Y.Z`. */
  version: string;
  /** The source as given (URN or resource ID). */
  source?: string;
  /** The exact source version built (marketplace version, or image version / managed image ID). */
  sourceVersion?: string;
  templateName?: string;
  /** SHA-256 (hex) of the template's unpatchable properties (src/template/build.ts `hashOf`). */
  templateHash?: string;
  /** From the image template; absent when the template is gone. */
  customizers?: CustomizerDigest[];
  /** Build settings from the image template, `name → value` (`vmSize`, `osDiskSizeGB`, `subnetId`, …). */
  settings?: Record<string, string>;
  /** Windows updates the build installed, from its customization.log; absent when the log was not read. */
  updates?: WindowsUpdateInstalled[];
  /** In-image inventory, from its customization.log; absent when not printed or not read. */
  inventory?: Inventory;
  /** Build start and end, ISO 8601 UTC. */
  buildStart?: string;
  buildEnd?: string;
}

/** SHA-256 (hex) of a string. */
export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The digests of a template's customizers, in template order. */
export function digestCustomizers(customize: readonly unknown[] | undefined): CustomizerDigest[] {
  return (customize ?? []).map((raw) => {
    const c = raw as Record<string, unknown>;
    const name = String(c.name ?? "");
    const type = String(c.type ?? "");
    const pinned = (uri: unknown, label: string) =>
      `${label} ${String(uri)} ${typeof c.sha256Checksum === "string" && c.sha256Checksum ? `sha256:${c.sha256Checksum.toLowerCase()}` : "sha256 not pinned"}`;
    let checksum: string;
    if (Array.isArray(c.inline)) checksum = `inline sha256:${sha256((c.inline as unknown[]).map(String).join("\n"))}`;
    else if (typeof c.scriptUri === "string") checksum = pinned(c.scriptUri, "scriptUri");
    else if (typeof c.sourceUri === "string") checksum = pinned(c.sourceUri, "sourceUri");
    else {
      const { name: _n, type: _t, ...rest } = c;
      checksum = `settings sha256:${sha256(JSON.stringify(sortKeys(rest)))}`;
    }
    const digest: CustomizerDigest = { name, type, checksum };
    // AVD built-in steps with parameters: `<step>-parameter` runs `C:\AVDImage\<file>.ps1 <parameters>` (src/avd/customizers.ts).
    if (/^avdBuiltInScript_.+-parameter$/.test(name) && Array.isArray(c.inline)) {
      const command = String((c.inline as unknown[])[0] ?? "");
      const parameters = command.replace(/^\s*\S+\.ps1\s*/i, "").trim();
      if (parameters) digest.avdParameters = parameters;
    }
    return digest;
  });
}

/**
 * The build settings of a template, flattened to `name → text`: the build VM (`vmSize`, `osDiskSizeGB`,
 * `subnetId`, `proxyVmSize`, `containerInstanceSubnetId`, `userAssignedIdentities`), `buildTimeoutInMinutes`,
 * `stagingResourceGroup`, `identity`, `optimize`, `validate`, `errorHandling`, `additionalDataDisks`, and
 * of the SharedImage distributor `targetRegions`, `excludeFromLatest`. Unset settings are left out.
 */
export function buildSettingsOf(template: ImageTemplate): Record<string, string> {
  const t = template as ImageTemplate & Record<string, unknown>;
  const vm = template.vmProfile ?? {};
  const vnet = vm.vnetConfig as { subnetId?: string; proxyVmSize?: string; containerInstanceSubnetId?: string } | undefined;
  const distributor = template.distribute?.find((d): d is ImageTemplateSharedImageDistributor => d.type === "SharedImage");
  const text = (value: unknown) => (value === undefined || value === null ? undefined : typeof value === "string" ? value : JSON.stringify(sortKeys(value)));
  const settings: Record<string, string | undefined> = {
    vmSize: vm.vmSize,
    osDiskSizeGB: vm.osDiskSizeGB === undefined ? undefined : String(vm.osDiskSizeGB),
    subnetId: vnet?.subnetId,
    proxyVmSize: vnet?.proxyVmSize,
    containerInstanceSubnetId: vnet?.containerInstanceSubnetId,
    userAssignedIdentities: vm.userAssignedIdentities?.length ? vm.userAssignedIdentities.join(", ") : undefined,
    buildTimeoutInMinutes: template.buildTimeoutInMinutes === undefined ? undefined : String(template.buildTimeoutInMinutes),
    stagingResourceGroup: template.stagingResourceGroup,
    identity: template.identity?.userAssignedIdentities ? Object.keys(template.identity.userAssignedIdentities).join(", ") : undefined,
    optimize: text(t.optimize),
    validate: text(t.validate),
    errorHandling: text(t.errorHandling),
    additionalDataDisks: text(t.additionalDataDisks),
    targetRegions: distributor?.targetRegions
      ?.map((r) => `${r.name}=${r.replicaCount ?? 1}${r.storageAccountType ? `:${r.storageAccountType}` : ""}`)
      .join(", "),
    excludeFromLatest: distributor?.excludeFromLatest === undefined ? undefined : String(distributor.excludeFromLatest),
  };
  return Object.fromEntries(Object.entries(settings).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
}

/** The part of a state an image template gives: customizers and build settings. */
export function stateOfTemplate(template: ImageTemplate): Pick<ImageState, "customizers" | "settings"> {
  return { customizers: digestCustomizers(template.customize), settings: buildSettingsOf(template) };
}

/** The part of a state an image version's provenance tags give (src/tags.ts). */
export function stateOfTags(version: string, tags: Record<string, string>): ImageState {
  const state: ImageState = { version };
  const set = <K extends keyof ImageState>(key: K, tag: string) => {
    if (tags[tag]) state[key] = tags[tag] as ImageState[K];
  };
  set("source", TAGS.source);
  set("sourceVersion", TAGS.sourceVersion);
  set("templateName", TAGS.template);
  set("templateHash", TAGS.templateHash);
  set("buildStart", TAGS.buildStart);
  set("buildEnd", TAGS.buildEnd);
  return state;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}
