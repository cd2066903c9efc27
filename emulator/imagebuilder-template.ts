/**
 * Image Builder image templates as records: the shape the emulator keeps, request validation of a
 * template PUT / PATCH (imagebuilder.json, api-version 2025-10-01), and the ARM bodies GET and the run
 * outputs return. Used by `imagebuilder.ts` (the resource provider) and `imagebuilder-build.ts`.
 *
 * Real AIB wordings used (and where they come from):
 *  - "Validation failed: 'ImageTemplate.properties.distribute[<index>]': Missing field <field>. Please review
 *    http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template." —
 *    MicrosoftDocs/azure-docs articles/virtual-machines/linux/image-builder-troubleshoot.md.
 *  - "Validation failed: Distribute target with Runoutput name <name> not found in the update request.
 *    Deleting a distribution target is not allowed." — the same troubleshooting doc.
 *  - The template needs exactly one user-assigned identity — Image Builder template reference (identity);
 *    the wording is the emulator's.
 *  - `buildTimeoutInMinutes` 0–960 — imagebuilder.json `buildTimeoutInMinutes` (maximum 960).
 *  - Template ids with lower-case `resourcegroups` and the checksums Image Builder computes for the files it
 *    copied — azure-sdk-for-js test recordings of a template GET.
 * Other validation messages follow the documented "Validation failed: '<path>': …" pattern (invented text).
 */
import { createHash } from "node:crypto";
import type { Operation } from "./arm.ts";
import { ArmError, clone, isRecord, jsonEqual } from "./arm.ts";
import type { Core } from "./core.ts";
import type { CopiedFile } from "./file-host.ts";
import { parseVersion } from "./gallery-store.ts";
import type { BuildRun } from "./imagebuilder-records.ts";
import { regionName } from "./regions.ts";

/** ARM resource type of an image template. */
export const TYPE = "Microsoft.VirtualMachineImages/imageTemplates";
/** Template names: 1–64 of letters, digits, '-', '_', '.'. */
export const NAME_RE = /^[A-Za-z0-9-_.]{1,64}$/;
export const TMPL_REF = "Please review http://aka.ms/azvmimagebuildertmplref for details on fields requirements in the Image Builder Template.";
export const TMPL_REF_REQUIRED = "Please review http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template.";
export const TOP_LEVEL_KEYS = new Set(["id", "name", "type", "location", "tags", "identity", "properties", "systemData"]);
const PROPERTY_KEYS = new Set([
  "source",
  "customize",
  "optimize",
  "validate",
  "distribute",
  "errorHandling",
  "provisioningState",
  "provisioningError",
  "lastRunStatus",
  "buildTimeoutInMinutes",
  "vmProfile",
  "additionalDataDisks",
  "stagingResourceGroup",
  "exactStagingResourceGroup",
  "autoRun",
  "managedResourceTags",
]);
const READ_ONLY_PROPERTIES = ["provisioningState", "provisioningError", "lastRunStatus", "exactStagingResourceGroup"];
/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}[/versions/{version}]`. */
export const GALLERY_IMAGE_ID_RE =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)(?:\/versions\/([^/]+))?$/i;

/** A run output of a template's last run (GET runOutputs). */
export interface RunOutputRecord {
  name: string;
  artifactId?: string;
  artifactUri?: string;
}

/** An image template as the emulator keeps it. */
export interface TemplateRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  identity: Record<string, unknown>;
  /** User-settable properties as submitted (compared on re-PUT). */
  input: Record<string, unknown>;
  provisioningState: string;
  provisioningError?: { provisioningErrorCode: string; message: string };
  exactStagingResourceGroup: string;
  stagingGuid: string;
  exactSourceVersion?: string;
  lastRunStatus?: Record<string, unknown>;
  runOutputs: Map<string, RunOutputRecord>;
  /** Customizer files copied at creation, by customizer index (file-host.ts). */
  files?: Map<number, CopiedFile>;
  build?: BuildRun;
  deleteOp?: Operation;
  /** Test knob {@link ImageBuilder.stickInCanceling}: the last run stays in Canceling until released. */
  stuckCanceling?: boolean;
}

// ---------- bodies ----------

/** Template id as AIB returns it: lower-case `resourcegroups` (recorded in azure-sdk-for-js test recordings). */
export function templateId(t: { subscriptionId: string; resourceGroup: string; name: string }): string {
  return `/subscriptions/${t.subscriptionId}/resourcegroups/${t.resourceGroup}/providers/${TYPE}/${t.name}`;
}

function identityBody(core: Core, t: TemplateRecord): Record<string, unknown> {
  const ident = clone(t.identity);
  if (isRecord(ident.userAssignedIdentities)) {
    const out: Record<string, unknown> = {};
    for (const id of Object.keys(ident.userAssignedIdentities)) {
      const rec = core.resources.findIdentityById(id);
      out[id] = {
        principalId: rec?.principalId ?? guidOf(`principal:${id.toLowerCase()}`),
        clientId: rec?.clientId ?? guidOf(`client:${id.toLowerCase()}`),
      };
    }
    ident.userAssignedIdentities = out;
  }
  return ident;
}

/** The ARM body of a template (GET imageTemplates/{name}), read-only properties included. */
export function templateBody(core: Core, t: TemplateRecord): Record<string, unknown> {
  const props: Record<string, unknown> = clone(t.input);
  if (isRecord(props.source) && props.source.type === "PlatformImage" && t.exactSourceVersion) props.source.exactVersion = t.exactSourceVersion;
  if (Array.isArray(props.customize)) {
    for (const [i, c] of (props.customize as Record<string, unknown>[]).entries()) {
      // Image Builder computes the checksum of the files it copied (SDK recording of a template GET).
      const copied = t.files?.get(i);
      if (copied && !c.sha256Checksum) c.sha256Checksum = copied.sha256;
      if (c.type === "PowerShell") {
        c.runElevated ??= false;
        c.runAsSystem ??= false;
      }
    }
  }
  props.provisioningState = t.provisioningState;
  if (t.provisioningError) props.provisioningError = clone(t.provisioningError);
  props.buildTimeoutInMinutes ??= 0;
  props.stagingResourceGroup ??= "";
  props.exactStagingResourceGroup = t.exactStagingResourceGroup;
  if (t.lastRunStatus) props.lastRunStatus = clone(t.lastRunStatus);
  const body: Record<string, unknown> = { id: templateId(t), name: t.name, type: TYPE, location: t.location };
  if (Object.keys(t.tags).length) body.tags = { ...t.tags };
  body.identity = identityBody(core, t);
  body.properties = props;
  return body;
}

/** The ARM body of a run output (GET runOutputs/{name}). */
export function runOutputBody(t: TemplateRecord, r: RunOutputRecord): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  if (r.artifactId) properties.artifactId = r.artifactId;
  if (r.artifactUri) properties.artifactUri = r.artifactUri;
  properties.provisioningState = "Succeeded";
  return { id: `${templateId(t)}/runOutputs/${r.name}`, name: r.name, type: `${TYPE}/runOutputs`, properties };
}

// ---------- validation helpers ----------

/** A 400 ValidationFailed with `message`. */
export function validation(message: string): ArmError {
  return new ArmError(400, "ValidationFailed", message);
}

/** A PATCH of a field other than tags, identity, properties.distribute, properties.vmProfile. */
export function notUpdatable(field: string): ArmError {
  // Wording invented after the documented "Validation failed: …" pattern; the rule is AIB's (API
  // 2025-10-01 lets PATCH change only tags, identity, properties.distribute and properties.vmProfile).
  return validation(
    `Validation failed: Field '${field}' cannot be updated. Only 'tags', 'identity', 'properties.distribute' and 'properties.vmProfile' can be updated on an existing image template. ${TMPL_REF}`,
  );
}

/** What a valid template PUT sets. */
export interface TemplatePut {
  /** ARM region name (`westeurope`). */
  location: string;
  identity: Record<string, unknown>;
  /** The user-settable `properties`. */
  input: Record<string, unknown>;
  tags: Record<string, string>;
}

/**
 * Checks a template PUT (imagebuilder.json 2025-10-01 `ImageTemplate`): the name, the top-level fields,
 * `location` (400 LocationRequired, ARM's wording), `identity` and `properties`. Throws the ArmError Azure answers.
 */
export function validatePut(name: string, body: unknown): TemplatePut {
  if (!NAME_RE.test(name)) throw validation(`Validation failed: 'ImageTemplate.name': Field 'name' has a bad value: '${name}'. ${TMPL_REF}`);
  if (!isRecord(body)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  for (const k of Object.keys(body)) {
    if (!TOP_LEVEL_KEYS.has(k))
      throw validation(`Validation failed: 'ImageTemplate': Field '${k}' is not recognized (field names are case sensitive). ${TMPL_REF}`);
  }
  if (typeof body.location !== "string" || !body.location)
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  const identity = validateIdentity(body.identity);
  const input = validateProperties(body.properties);
  return { location: regionName(body.location), identity, input, tags: stringRecord(body.tags) };
}

/** What a valid template PATCH changes (each only when the body has it). */
export interface TemplatePatch {
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  distribute?: Record<string, unknown>[];
  vmProfile?: unknown;
}

/**
 * Checks a template PATCH (imagebuilder.json 2025-10-01 `ImageTemplateUpdateParameters`): only `tags`,
 * `identity`, `properties.distribute` and `properties.vmProfile` change, and no distribution target of `t`
 * is deleted. `assertWritable` (the template's state) runs after the field names are checked and before
 * their values are, the order Azure answers in. Throws the ArmError Azure answers.
 */
export function validatePatch(t: TemplateRecord, body: unknown, assertWritable: () => void): TemplatePatch {
  if (!isRecord(body)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  for (const k of Object.keys(body)) {
    if (k !== "tags" && k !== "identity" && k !== "properties") throw notUpdatable(k);
  }
  const props = body.properties === undefined ? {} : body.properties;
  if (!isRecord(props)) throw validation(`Validation failed: 'ImageTemplateUpdateParameters.properties': Field 'properties' has a bad value. ${TMPL_REF}`);
  for (const k of Object.keys(props)) {
    if (k !== "distribute" && k !== "vmProfile") throw notUpdatable(`properties.${k}`);
  }
  assertWritable();
  const patch: TemplatePatch = {};
  if (body.identity !== undefined) {
    patch.identity = isRecord(body.identity) && body.identity.type === "None" ? { type: "None" } : validateIdentity(body.identity);
  }
  if (props.distribute !== undefined) {
    const distribute = validateDistribute(props.distribute, "ImageTemplateUpdateParameters.properties.distribute");
    const names = new Set(distribute.map((d) => String(d.runOutputName).toLowerCase()));
    for (const old of t.input.distribute as Record<string, unknown>[]) {
      if (!names.has(String(old.runOutputName).toLowerCase())) {
        throw validation(
          `Validation failed: Distribute target with Runoutput name ${String(old.runOutputName)} not found in the update request. Deleting a distribution target is not allowed.`,
        );
      }
    }
    patch.distribute = distribute;
  }
  if (props.vmProfile !== undefined && !isRecord(props.vmProfile))
    throw validation(`Validation failed: 'ImageTemplateUpdateParameters.properties.vmProfile': Field 'vmProfile' has a bad value. ${TMPL_REF}`);
  if (body.tags !== undefined) patch.tags = stringRecord(body.tags);
  if (props.vmProfile !== undefined) patch.vmProfile = clone(props.vmProfile);
  return patch;
}

/** Checks the template's `identity` (exactly one user-assigned identity); returns it normalized. Throws ValidationFailed. */
export function validateIdentity(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) throw validation(`Validation failed: 'ImageTemplate': Missing field identity. ${TMPL_REF_REQUIRED}`);
  if (!isRecord(v)) throw validation(`Validation failed: 'ImageTemplate.identity': Field 'identity' has a bad value. ${TMPL_REF}`);
  if (v.type !== "UserAssigned")
    throw validation(`Validation failed: 'ImageTemplate.identity': Field 'type' has a bad value: '${String(v.type)}'. ${TMPL_REF}`);
  const uai = isRecord(v.userAssignedIdentities) ? Object.keys(v.userAssignedIdentities) : [];
  if (uai.length !== 1) {
    throw validation(
      `Validation failed: 'ImageTemplate.identity': Field 'userAssignedIdentities' has a bad value: exactly one user assigned identity is required, found ${uai.length}. ${TMPL_REF}`,
    );
  }
  if (!/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i.test(uai[0]!)) {
    throw validation(`Validation failed: 'ImageTemplate.identity': Field 'userAssignedIdentities' has a bad value: '${uai[0]}'. ${TMPL_REF}`);
  }
  return { type: "UserAssigned", userAssignedIdentities: { [uai[0]!]: {} } };
}

/** Checks the template's `properties`; returns the user-settable ones (read-only ones dropped). Throws ValidationFailed. */
export function validateProperties(v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw validation(`Validation failed: 'ImageTemplate': Missing field properties. ${TMPL_REF_REQUIRED}`);
  for (const k of Object.keys(v)) {
    if (!PROPERTY_KEYS.has(k))
      throw validation(`Validation failed: 'ImageTemplate.properties': Field '${k}' is not recognized (field names are case sensitive). ${TMPL_REF}`);
  }
  const input = clone(v);
  for (const k of READ_ONLY_PROPERTIES) delete input[k];
  if (!isRecord(input.source)) throw validation(`Validation failed: 'ImageTemplate.properties': Missing field source. ${TMPL_REF_REQUIRED}`);
  const src = input.source;
  if (!["PlatformImage", "ManagedImage", "SharedImageVersion"].includes(String(src.type))) {
    throw validation(`Validation failed: 'ImageTemplate.properties.source': Field 'type' has a bad value: '${String(src.type)}'. ${TMPL_REF}`);
  }
  if (src.type === "PlatformImage") {
    for (const f of ["publisher", "offer", "sku"]) {
      if (typeof src[f] !== "string" || !src[f])
        throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
    }
    delete src.exactVersion;
  }
  if (src.type === "ManagedImage" && typeof src.imageId !== "string")
    throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field imageId. ${TMPL_REF_REQUIRED}`);
  if (src.type === "SharedImageVersion" && typeof src.imageVersionId !== "string") {
    throw validation(`Validation failed: 'ImageTemplate.properties.source': Missing field imageVersionId. ${TMPL_REF_REQUIRED}`);
  }
  if (input.distribute === undefined) throw validation(`Validation failed: 'ImageTemplate.properties': Missing field distribute. ${TMPL_REF_REQUIRED}`);
  input.distribute = validateDistribute(input.distribute, "ImageTemplate.properties.distribute");
  if (input.buildTimeoutInMinutes !== undefined) {
    const b = input.buildTimeoutInMinutes;
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 960) {
      throw validation(`Validation failed: 'ImageTemplate.properties': Field 'buildTimeoutInMinutes' has a bad value: '${String(b)}'. ${TMPL_REF}`);
    }
  }
  if (input.customize !== undefined) {
    if (!Array.isArray(input.customize)) throw validation(`Validation failed: 'ImageTemplate.properties': Field 'customize' has a bad value. ${TMPL_REF}`);
    (input.customize as unknown[]).forEach((c, i) => {
      if (!isRecord(c) || typeof c.type !== "string")
        throw validation(`Validation failed: 'ImageTemplate.properties.customize[${i}]': Missing field type. ${TMPL_REF_REQUIRED}`);
    });
  }
  return input;
}

/** Checks a `distribute` array (at `path`, for messages); returns a copy. Throws ValidationFailed. */
export function validateDistribute(v: unknown, path: string): Record<string, unknown>[] {
  if (!Array.isArray(v) || v.length === 0)
    throw validation(`Validation failed: '${path}': Field 'distribute' has a bad value: at least one distribution target is required. ${TMPL_REF}`);
  const seen = new Set<string>();
  return v.map((d, i) => {
    if (!isRecord(d)) throw validation(`Validation failed: '${path}[${i}]': Missing field type. ${TMPL_REF_REQUIRED}`);
    for (const f of ["type", "runOutputName"]) {
      if (typeof d[f] !== "string" || !d[f]) throw validation(`Validation failed: '${path}[${i}]': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
    }
    if (!/^[A-Za-z0-9-_.]{1,64}$/.test(String(d.runOutputName)))
      throw validation(`Validation failed: '${path}[${i}]': Field 'runOutputName' has a bad value: '${String(d.runOutputName)}'. ${TMPL_REF}`);
    if (seen.has(String(d.runOutputName).toLowerCase()))
      throw validation(
        `Validation failed: '${path}[${i}]': Field 'runOutputName' has a bad value: '${String(d.runOutputName)}' is used by more than one distribution target. ${TMPL_REF}`,
      );
    seen.add(String(d.runOutputName).toLowerCase());
    if (d.type === "SharedImage") {
      if (typeof d.galleryImageId !== "string" || !d.galleryImageId)
        throw validation(`Validation failed: '${path}[${i}]': Missing field galleryImageId. ${TMPL_REF_REQUIRED}`);
      const m = GALLERY_IMAGE_ID_RE.exec(d.galleryImageId);
      if (!m || (m[5] !== undefined && !parseVersion(m[5])))
        throw validation(`Validation failed: '${path}[${i}]': Field 'galleryImageId' has a bad value: '${d.galleryImageId}'. ${TMPL_REF}`);
    } else if (d.type === "ManagedImage") {
      for (const f of ["imageId", "location"]) {
        if (typeof d[f] !== "string" || !d[f]) throw validation(`Validation failed: '${path}[${i}]': Missing field ${f}. ${TMPL_REF_REQUIRED}`);
      }
    } else if (d.type !== "VHD") {
      throw validation(`Validation failed: '${path}[${i}]': Field 'type' has a bad value: '${String(d.type)}'. ${TMPL_REF}`);
    }
    return clone(d);
  });
}

/** Same identity type and the same user-assigned identity ids (case-insensitive). */
export function sameIdentity(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ids = (x: Record<string, unknown>) =>
    isRecord(x.userAssignedIdentities)
      ? Object.keys(x.userAssignedIdentities)
          .map((k) => k.toLowerCase())
          .sort()
      : [];
  return a.type === b.type && jsonEqual(ids(a), ids(b));
}

/** A record's values as strings ({} when not a record). */
export function stringRecord(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function guidOf(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Staging storage account name (24 lower-case alphanumerics, like AIB's random names). */
export function storageAccountName(t: TemplateRecord): string {
  return createHash("sha256")
    .update(`${t.subscriptionId}/${t.resourceGroup}/${t.name}/${t.stagingGuid}`.toLowerCase())
    .digest("hex")
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 24);
}
