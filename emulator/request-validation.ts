/**
 * Request body validation against the vendored REST specs, as Azure's request validation does it:
 * every PUT/PATCH/POST body the emulator receives for Microsoft.VirtualMachineImages imageTemplates
 * (imagebuilder.json, api-version 2025-10-01) and Microsoft.Compute galleries, image definitions and
 * image versions (GalleryRP.json, api-version 2025-12-03) is checked against the operation's body
 * parameter schema: unknown properties (at every level, `allOf` inheritance and `x-ms-discriminator-value`
 * subtypes included), required properties, enums (case-insensitive, as Azure's JSON deserializer reads
 * them), types and formats (date-time, int32, uri). `readOnly` properties are accepted and ignored, as
 * ARM RPC (resource-api-reference, "readOnly properties in a PUT") says the RP must.
 *
 * Ajv 2019-09 does the work: each spec definition is kept open (for `allOf` parents) and gets a closed
 * twin `{ $ref, unevaluatedProperties: false }` used wherever a property or array item refers to it;
 * a discriminated base refers to its subtypes through `if`/`then` on the discriminator value.
 *
 * How a violation is answered (status, code, message) is request-violations.ts.
 */
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { COMMON_TYPES, type Schema, externalName } from "./request-common-types.ts";
import { type BodyViolation, toViolation } from "./request-violations.ts";

export type { BodyViolation } from "./request-violations.ts";

/** Root of the vendored specs (verbatim Azure/azure-rest-api-specs files, each listed with its source in SOURCES.md there). */
export const SPECS_ROOT = new URL("../__tests__/fixtures/azure-specs/", import.meta.url);
/** The specs whose request bodies the emulator validates, with the api-version each describes. */
export const VALIDATED_SPECS = [
  {
    file: "specification/imagebuilder/resource-manager/Microsoft.VirtualMachineImages/ImageBuilder/stable/2025-10-01/imagebuilder.json",
    apiVersion: "2025-10-01",
    style: "imagebuilder",
  },
  { file: "specification/compute/resource-manager/Microsoft.Compute/GalleryRP/stable/2025-12-03/GalleryRP.json", apiVersion: "2025-12-03", style: "compute" },
] as const;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CLOSED = "__closed";
const DISPATCH = "__dispatch";

/** One body-carrying operation of a spec. */
interface BodyOperation {
  method: string;
  regex: RegExp;
  /** Body parameter name (`galleryImageVersion`, `parameters`). */
  parameter: string;
  /** Definition name of the body schema. */
  definition: string;
  validate?: ValidateFunction;
}

interface LoadedSpec {
  apiVersion: string;
  style: "imagebuilder" | "compute";
  ajv: Ajv2019;
  id: string;
  /** The spec's own definitions (for naming types in messages). */
  definitions: Record<string, Schema>;
  operations: BodyOperation[];
}

/** Object-shaped schemas (properties or allOf) that do not already allow extra members. */
function closable(s: Schema | undefined): boolean {
  return !!s && (s.properties !== undefined || s.allOf !== undefined) && s.additionalProperties === undefined && s.type !== "array";
}

/** Rewrites a spec definitions table into Ajv 2019-09 schemas (see the module comment). */
function buildDefinitions(spec: Schema): Record<string, Schema> {
  const raw: Record<string, Schema> = { ...spec.definitions };
  for (const [n, s] of Object.entries(COMMON_TYPES)) raw[`__common_${n}`] = s;
  const localName = (ref: string) => (ref.startsWith("#") ? externalName(ref) : `__common_${externalName(ref)}`);
  // discriminated base → value → subtype
  const subtypes = new Map<string, Map<string, string>>();
  for (const [name, def] of Object.entries(raw)) {
    for (const parent of def.allOf ?? []) {
      const base = typeof parent.$ref === "string" ? localName(parent.$ref) : undefined;
      if (base && raw[base]?.discriminator) {
        if (!subtypes.has(base)) subtypes.set(base, new Map());
        subtypes.get(base)!.set(String(def["x-ms-discriminator-value"] ?? name), name);
      }
    }
  }
  const target = (ref: string): string => {
    const n = localName(ref);
    if (raw[n]?.discriminator && subtypes.has(n)) return `${n}${DISPATCH}`;
    return closable(raw[n]) ? `${n}${CLOSED}` : n;
  };
  const rewrite = (node: unknown, inAllOf: boolean): unknown => {
    if (Array.isArray(node)) return node.map((x) => rewrite(x, inAllOf));
    if (!node || typeof node !== "object") return node;
    const s = node as Schema;
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === "$ref" && typeof v === "string") out.$ref = `#/definitions/${inAllOf ? localName(v) : target(v)}`;
      else if (k === "allOf") out.allOf = (v as unknown[]).map((x) => rewrite(x, true));
      else if (k === "properties") out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, rewrite(ps, false)]));
      else if (k === "items" || k === "additionalProperties") out[k] = rewrite(v, false);
      else if (k === "enum" && (s.type === "string" || s.type === undefined)) out["x-enum-ci"] = v;
      else if (k === "discriminator" || k === "required") out[k === "discriminator" ? "x-discriminator" : k] = v;
      else if (k.startsWith("x-") || k === "description" || k === "title" || k === "example") continue;
      else out[k] = v;
    }
    if (s["x-nullable"] === true && typeof out.type === "string") out.type = [out.type, "null"];
    // Inline object schemas (not definitions, not allOf parents) are closed where they stand.
    if (!inAllOf && out.$ref === undefined && closable(s)) out.unevaluatedProperties = false;
    return out;
  };
  const defs: Record<string, Schema> = {};
  for (const [name, def] of Object.entries(raw)) {
    const open = rewrite(def, true) as Schema;
    delete open.unevaluatedProperties;
    defs[name] = open;
    if (closable(def)) defs[`${name}${CLOSED}`] = { $ref: `#/definitions/${name}`, unevaluatedProperties: false };
  }
  for (const [base, values] of subtypes) {
    const disc = String(raw[base]!.discriminator);
    const known = [...values.keys()];
    defs[`${base}${DISPATCH}`] = {
      allOf: [
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable.
        ...[...values].map(([value, sub]) => ({ if: { properties: { [disc]: { const: value } }, required: [disc] }, then: { $ref: `#/definitions/${sub}` } })),
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable.
        { if: { not: { properties: { [disc]: { enum: known } }, required: [disc] } }, then: { $ref: `#/definitions/${base}` } },
      ],
      unevaluatedProperties: false,
    };
  }
  return defs;
}

function newAjv(): Ajv2019 {
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("uri", { type: "string", validate: (s: string) => URL.canParse(s) });
  for (const f of ["arm-id", "uuid", "duration", "byte", "password", "unixtime", "float", "double"]) ajv.addFormat(f, true);
  ajv.addKeyword({
    keyword: "x-enum-ci",
    type: "string",
    schemaType: "array",
    error: { message: "must be equal to one of the allowed values" },
    validate: (values: string[], data: string) => values.some((v) => String(v).toLowerCase() === data.toLowerCase()),
  });
  return ajv;
}

function pathRegex(template: string): RegExp {
  const src = template
    .split("/")
    .map((seg) => (/^\{\w+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${src}/?$`, "i");
}

let loaded: LoadedSpec[] | undefined;

/** Loads (once per process) the vendored specs and their body-carrying operations. */
function specs(): LoadedSpec[] {
  if (loaded) return loaded;
  loaded = VALIDATED_SPECS.map(({ file, apiVersion, style }) => {
    const spec = JSON.parse(readFileSync(new URL(file, SPECS_ROOT), "utf8")) as Schema;
    const ajv = newAjv();
    const id = `https://specs.local/${file.split("/").pop()}`;
    ajv.addSchema({ $id: id, definitions: buildDefinitions(spec) });
    const operations: BodyOperation[] = [];
    for (const [template, ops] of Object.entries(spec.paths as Record<string, Schema>)) {
      for (const [method, op] of Object.entries(ops)) {
        const body = (op.parameters ?? []).find((p: Schema) => p.in === "body");
        if (!body?.schema?.$ref) continue;
        operations.push({ method: method.toUpperCase(), regex: pathRegex(template), parameter: body.name, definition: externalName(body.schema.$ref) });
      }
    }
    return { apiVersion, style, ajv, id, operations, definitions: spec.definitions };
  });
  return loaded;
}

/**
 * Every spec violation of a request body, in ARM's error form, or `[]` when the body is valid or the
 * request is not one this module validates (another path, method or api-version).
 * Deserialization errors come first (ARM reads the body before the RP checks it), then required, then others.
 */
export function requestBodyViolations(method: string, path: string, apiVersion: string | undefined, body: unknown): BodyViolation[] {
  for (const spec of specs()) {
    if (spec.apiVersion !== apiVersion) continue;
    const op = spec.operations.find((o) => o.method === method && o.regex.test(path));
    if (!op) continue;
    op.validate ??= spec.ajv.compile({
      $ref: `${spec.id}#/definitions/${op.definition}${spec.ajv.getSchema(`${spec.id}#/definitions/${op.definition}${CLOSED}`) ? CLOSED : ""}`,
    });
    if (op.validate(body)) return [];
    const rank = (v: BodyViolation) => (v.error.code === "InvalidRequestContent" ? 0 : v.keyword === "required" ? 1 : 2);
    return (op.validate.errors ?? [])
      .map((e) => toViolation(e, op, spec, body))
      .filter((v): v is BodyViolation => v !== undefined)
      .sort((a, b) => rank(a) - rank(b));
  }
  return [];
}

/** True when {@link requestBodyViolations} validates bodies of this request (a known operation and api-version). */
export function checksBody(method: string, path: string, apiVersion: string | undefined): boolean {
  return specs().some((spec) => spec.apiVersion === apiVersion && spec.operations.some((o) => o.method === method && o.regex.test(path)));
}

/** Throws the first violation of {@link requestBodyViolations} (the error Azure would answer). */
export function assertValidRequestBody(method: string, path: string, apiVersion: string | undefined, body: unknown): void {
  const [first] = requestBodyViolations(method, path, apiVersion, body);
  if (first) throw first.error;
}
