/**
 * The value and line formats of the inputs: booleans and whole numbers, the image source, and the
 * one-a-line lists (`script-uris`, `target-regions`, `tags` and `managed-resource-tags` as key=value
 * lines, `build-vm-identities`), `replication-mode` and the endpoint URLs.
 *
 * Pure. Each parser reports every bad line through `fail` (a message naming the line and the fix) and
 * returns undefined when any line is bad.
 */
import * as z from "zod/mini";
import { redactText, redactUrl } from "../redact.ts";
import { ID_SHAPES, isManagedImageId, isUserAssignedIdentityId, parseGalleryImageVersionId } from "../resource-id.ts";
import { parseVersion } from "../versioning.ts";
import { INPUT_DEFAULTS } from "./inputs.ts";
import type { ImageSource, ReplicationMode, ScriptUri, StorageAccountType, TargetRegion } from "./types.ts";

/**
 * Storage types of image version replicas: every `StorageAccountType` (the SDK's
 * `KnownSharedImageStorageAccountType`), each once. The `satisfies Record<…>` stops the build when the SDK
 * adds or drops one (the core may import SDK types only, so the list is not read from the SDK's enum).
 */
export const STORAGE_ACCOUNT_TYPES = Object.keys({ Standard_LRS: true, Standard_ZRS: true, Premium_LRS: true } satisfies Record<
  StorageAccountType,
  true
>) as StorageAccountType[];
/** An Azure region name as ARM writes it: lower case, no spaces (e.g. `westeurope`). */
export const REGION = /^[a-z][a-z0-9]{1,39}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const URN_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

/**
 * `build-timeout-minutes`: 0 or 6-960. Image Builder fails 1-5 minutes early in the build: "client_jwt will
 * expire within 5 minutes, please use a JWT that is valid for at least 5 minutes" (Image Builder
 * troubleshooting guide, "JWT errors appear in the log early in the build"); 960 is the API's maximum.
 */
export const buildTimeout = z.pipe(wholeNumber(0, 960), z.number().check(z.refine((n) => n === 0 || n >= 6)));
export const BUILD_TIMEOUT_FIX =
  "must be 0 (Image Builder's default, 240 minutes) or a whole number of minutes from 6 to 960: Image Builder fails 1-5 early in the build ('client_jwt will expire within 5 minutes').";

/** `true` or `false`, any case → boolean. */
export const booleanInput = z.pipe(
  z.string().check(z.regex(/^(true|false)$/i)),
  z.transform((v: string) => v.toLowerCase() === "true"),
);

/** Digits only → a whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): z.ZodMiniType<number> {
  return z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)), z.int().check(z.minimum(min), z.maximum(max)));
}

/** `publisher:offer:sku:version`, a gallery image version ID, or a managed image ID. */
export function parseSource(value: string, fail: (message: string) => void): ImageSource | undefined {
  if (value.startsWith("/")) {
    const gallery = parseGalleryImageVersionId(value);
    if (gallery) {
      if (gallery.version.toLowerCase() !== "latest" && !parseVersion(gallery.version)) {
        fail(`the gallery image version '${gallery.version}' must be X.Y.Z or 'latest'.`);
        return undefined;
      }
      return { kind: "gallery", imageVersionId: value };
    }
    if (isManagedImageId(value)) return { kind: "managedImage", imageId: value };
    fail(`'${value}' is not a gallery image version ID (${ID_SHAPES.galleryImageVersion}) ` + `nor a managed image ID (${ID_SHAPES.managedImage}).`);
    return undefined;
  }
  const parts = value.split(":");
  const [publisher, offer, sku, version] = parts;
  const versionOk = version !== undefined && (version.toLowerCase() === "latest" || /^\d+(\.\d+){2,3}$/.test(version));
  if (parts.length !== 4 || ![publisher, offer, sku].every((p) => p !== undefined && URN_PART.test(p)) || !versionOk) {
    fail(
      `'${value}' must be a marketplace image URN 'publisher:offer:sku:version' (version 'latest' or e.g. 26100.2894.250113), ` +
        `such as ${INPUT_DEFAULTS.source}, or the resource ID of a gallery image version or managed image.`,
    );
    return undefined;
  }
  return { kind: "marketplace", publisher: publisher!, offer: offer!, sku: sku!, version: version!.toLowerCase() === "latest" ? "latest" : version! };
}

/** The lines of a list input, trimmed, without blank lines and `#` comments. */
export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** One `https://... [sha256]` a line. */
export function parseScriptUris(value: string, fail: (message: string) => void): ScriptUri[] | undefined {
  const result: ScriptUri[] = [];
  let ok = true;
  for (const line of lines(value)) {
    const [uri, sha256, extra] = line.split(/\s+/);
    let url: URL | undefined;
    try {
      url = new URL(uri!);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== "https:") {
      fail(`line '${redactText(line)}': '${redactUrl(uri!)}' must be an https:// URL (the build VM downloads it; http and other schemes are refused).`);
      ok = false;
    } else if (extra !== undefined || (sha256 !== undefined && !SHA256.test(sha256))) {
      fail(`line '${redactText(line)}': after the URL give nothing or its SHA-256 checksum (64 hex characters).`);
      ok = false;
    } else {
      result.push(sha256 ? { uri: uri!, sha256: sha256.toLowerCase() } : { uri: uri! });
    }
  }
  return ok ? result : undefined;
}

/**
 * One `region`, `region=replicas` or `region=replicas:StorageType` a line (StorageType Standard_LRS,
 * Standard_ZRS or Premium_LRS, any case: Image Builder's `TargetRegion.storageAccountType`); empty when none
 * is given (the preflight then takes the image definition's region).
 */
export function parseTargetRegions(value: string, fail: (message: string) => void): TargetRegion[] | undefined {
  const entries = lines(value);
  if (entries.length === 0) return [];
  const result: TargetRegion[] = [];
  let ok = true;
  for (const line of entries) {
    const match = /^([A-Za-z0-9 ]+?)\s*(?:=\s*(\d+)(?:\s*:\s*([A-Za-z0-9_]+))?)?$/.exec(line);
    const name = match?.[1]?.replace(/\s+/g, "").toLowerCase();
    const replicas = match?.[2] === undefined ? 1 : Number(match[2]);
    const storage = match?.[3] === undefined ? undefined : STORAGE_ACCOUNT_TYPES.find((t) => t.toLowerCase() === match[3]!.toLowerCase());
    if (!match || !name || !REGION.test(name)) {
      fail(`line '${line}' must be 'region', 'region=replicas' or 'region=replicas:StorageType', e.g. 'westeurope=2' or 'westeurope=2:Standard_ZRS'.`);
      ok = false;
    } else if (match[3] !== undefined && !storage) {
      fail(`line '${line}': the storage type '${match[3]}' must be one of ${STORAGE_ACCOUNT_TYPES.join(", ")}, e.g. '${name}=${replicas}:Standard_ZRS'.`);
      ok = false;
    } else if (!Number.isInteger(replicas) || replicas < 1 || replicas > 100) {
      fail(`line '${line}': the replica count must be a whole number from 1 to 100.`);
      ok = false;
    } else if (result.some((r) => r.name === name)) {
      fail(`line '${line}': region '${name}' is listed twice; list each region once.`);
      ok = false;
    } else {
      result.push(storage ? { name, replicaCount: replicas, storageAccountType: storage } : { name, replicaCount: replicas });
    }
  }
  return ok ? result : undefined;
}

/** Every `ReplicationMode` (the SDK's `KnownReplicationMode`), each once: fails to compile when the SDK's list changes. */
const REPLICATION_MODES = Object.keys({ Full: true, Shallow: true } satisfies Record<ReplicationMode, true>) as ReplicationMode[];

/** `Full` or `Shallow` (any case). */
export function parseReplicationMode(value: string, fail: (message: string) => void): ReplicationMode | undefined {
  const mode = REPLICATION_MODES.find((m) => m.toLowerCase() === value.toLowerCase());
  if (!mode) fail(`'${value}' must be 'Full' (copy the image version to every replica) or 'Shallow' (no copy: for development and validation host pools).`);
  return mode;
}

/** One user-assigned managed identity resource ID a line (`build-vm-identities`), each once. */
export function parseIdentityList(value: string, fail: (message: string) => void): string[] | undefined {
  const result: string[] = [];
  let ok = true;
  for (const line of lines(value)) {
    if (!isUserAssignedIdentityId(line)) {
      fail(`line '${line}' must be the resource ID of a user-assigned managed identity: ${ID_SHAPES.userAssignedIdentity}.`);
      ok = false;
    } else if (result.some((id) => id.toLowerCase() === line.toLowerCase())) {
      fail(`line '${line}' lists the same identity twice; list each identity once.`);
      ok = false;
    } else {
      result.push(line);
    }
  }
  return ok ? result : undefined;
}

/** One `key=value` a line, with Azure's tag rules (name ≤ 512 chars without <>%&\?/, value ≤ 256). */
export function parseTags(value: string, fail: (message: string) => void): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  let ok = true;
  for (const line of lines(value)) {
    const index = line.indexOf("=");
    const key = index > 0 ? line.slice(0, index).trim() : "";
    const tagValue = index > 0 ? line.slice(index + 1).trim() : "";
    if (!key) {
      fail(`line '${line}' must be 'key=value'.`);
      ok = false;
    } else if (key.length > 512 || TAG_NAME_FORBIDDEN.test(key)) {
      fail(`line '${line}': a tag name has at most 512 characters and none of < > % & \\ ? /.`);
      ok = false;
    } else if (tagValue.length > 256) {
      fail(`line '${line}': a tag value has at most 256 characters.`);
      ok = false;
    } else {
      result[key] = tagValue;
    }
  }
  return ok ? result : undefined;
}

/** An https:// URL with no query or fragment (`arm-endpoint`, `authority-host`); '' → undefined. */
export function optionalHttpsUrl(value: string, fail: (message: string) => void): string | undefined {
  if (value === "") return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" && !url.search && !url.hash) return value;
  } catch {
    // reported below
  }
  fail(`'${value}' must be an https:// URL with no query, e.g. https://management.azure.com (leave it empty to use 'environment').`);
  return undefined;
}
