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
 * Answers (400, ARM's `{ error: { code, message, target } }` shape):
 *  - an unknown member, a value of the wrong type or outside an enum, a bad date: `InvalidRequestContent`
 *    "The request content was invalid and could not be deserialized: 'Could not find member 'AccountType' on
 *    object of type 'ResourceDefinition'. Path 'AccountType', line 2, position 17.'." — ARM's answer quoted in
 *    Azure/azure-sdk-for-net#3487 (the JSON.NET inner message; "Error converting value …" and "Could not
 *    convert string to DateTime: …" are JSON.NET's texts for the other cases). The emulator leaves out
 *    ", line …, position …" (it does not track positions) and names the spec definition as the type.
 *  - a missing required property: Compute's `InvalidParameter` "Required parameter 'galleryImageVersion.
 *    properties.storageProfile' is missing (null)." (target = that path); Image Builder's "Validation failed:
 *    'ImageTemplate.properties': Missing field source. Please review http://aka.ms/azvmimagebuildertmplref
 *    for details on fields required in the Image Builder Template." (AIB troubleshooting doc).
 *  - any other violation (pattern, minimum, maxLength…): `InvalidParameter` "The value of parameter '…' is
 *    invalid." (emulator wording after Compute's).
 */
import { readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ArmError } from './arm.ts';

// biome-ignore lint/suspicious/noExplicitAny: a Swagger document, walked by key without a type of its own.
type Schema = Record<string, any>;

/** Root of the vendored specs (verbatim Azure/azure-rest-api-specs files, each listed with its source in SOURCES.md there). */
export const SPECS_ROOT = new URL('../__tests__/fixtures/azure-specs/', import.meta.url);
/** The specs whose request bodies the emulator validates, with the api-version each describes. */
export const VALIDATED_SPECS = [
  { file: 'specification/imagebuilder/resource-manager/Microsoft.VirtualMachineImages/ImageBuilder/stable/2025-10-01/imagebuilder.json', apiVersion: '2025-10-01', style: 'imagebuilder' },
  { file: 'specification/compute/resource-manager/Microsoft.Compute/GalleryRP/stable/2025-12-03/GalleryRP.json', apiVersion: '2025-12-03', style: 'compute' },
] as const;

/**
 * Hand-written equivalents of the common-types definitions the two specs reference (not vendored):
 * ARM common-types v3/v5 TrackedResource, ProxyResource, Resource, SystemData, ErrorResponse/ErrorDetail;
 * Compute common-types v1 CloudError/ApiError.
 */
export const COMMON_TYPES: Record<string, Schema> = {
  Resource: {
    type: 'object',
    properties: {
      id: { type: 'string', readOnly: true },
      name: { type: 'string', readOnly: true },
      type: { type: 'string', readOnly: true },
      systemData: { $ref: '#/definitions/__common_SystemData' },
    },
  },
  TrackedResource: {
    type: 'object',
    allOf: [{ $ref: '#/definitions/__common_Resource' }],
    properties: { tags: { type: 'object', additionalProperties: { type: 'string' } }, location: { type: 'string' } },
    required: ['location'],
  },
  ProxyResource: { type: 'object', allOf: [{ $ref: '#/definitions/__common_Resource' }] },
  SystemData: {
    type: 'object',
    readOnly: true,
    properties: {
      createdBy: { type: 'string' },
      createdByType: { type: 'string', enum: ['User', 'Application', 'ManagedIdentity', 'Key'] },
      createdAt: { type: 'string', format: 'date-time' },
      lastModifiedBy: { type: 'string' },
      lastModifiedByType: { type: 'string', enum: ['User', 'Application', 'ManagedIdentity', 'Key'] },
      lastModifiedAt: { type: 'string', format: 'date-time' },
    },
  },
  ErrorResponse: { type: 'object', properties: { error: { $ref: '#/definitions/__common_ErrorDetail' } } },
  ErrorDetail: {
    type: 'object',
    properties: {
      code: { type: 'string' },
      message: { type: 'string' },
      target: { type: 'string' },
      details: { type: 'array', items: { $ref: '#/definitions/__common_ErrorDetail' } },
      additionalInfo: { type: 'array', items: { $ref: '#/definitions/__common_ErrorAdditionalInfo' } },
    },
  },
  ErrorAdditionalInfo: { type: 'object', properties: { type: { type: 'string' }, info: { type: 'object' } } },
  CloudError: { type: 'object', properties: { error: { $ref: '#/definitions/__common_ApiError' } } },
  ApiError: {
    type: 'object',
    properties: {
      details: { type: 'array', items: { $ref: '#/definitions/__common_ApiErrorBase' } },
      innererror: { $ref: '#/definitions/__common_InnerError' },
      code: { type: 'string' },
      target: { type: 'string' },
      message: { type: 'string' },
    },
  },
  ApiErrorBase: { type: 'object', properties: { code: { type: 'string' }, target: { type: 'string' }, message: { type: 'string' } } },
  InnerError: { type: 'object', properties: { exceptiontype: { type: 'string' }, errordetail: { type: 'string' } } },
};

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CLOSED = '__closed';
const DISPATCH = '__dispatch';

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
  style: 'imagebuilder' | 'compute';
  ajv: Ajv2019;
  id: string;
  /** The spec's own definitions (for naming types in messages). */
  definitions: Record<string, Schema>;
  operations: BodyOperation[];
}

/** A violation found in a body, already in ARM's error form. */
export interface BodyViolation {
  /** `properties.publishingProfile.endOfLifeDate` style (JSON.NET path). */
  path: string;
  keyword: string;
  error: ArmError;
}

const externalName = (ref: string) => ref.split('/').pop()!;

/** Object-shaped schemas (properties or allOf) that do not already allow extra members. */
function closable(s: Schema | undefined): boolean {
  return !!s && (s.properties !== undefined || s.allOf !== undefined) && s.additionalProperties === undefined && s.type !== 'array';
}

/** Rewrites a spec definitions table into Ajv 2019-09 schemas (see the module comment). */
function buildDefinitions(spec: Schema): Record<string, Schema> {
  const raw: Record<string, Schema> = { ...spec.definitions };
  for (const [n, s] of Object.entries(COMMON_TYPES)) raw[`__common_${n}`] = s;
  const localName = (ref: string) => (ref.startsWith('#') ? externalName(ref) : `__common_${externalName(ref)}`);
  // discriminated base → value → subtype
  const subtypes = new Map<string, Map<string, string>>();
  for (const [name, def] of Object.entries(raw)) {
    for (const parent of def.allOf ?? []) {
      const base = typeof parent.$ref === 'string' ? localName(parent.$ref) : undefined;
      if (base && raw[base]?.discriminator) {
        if (!subtypes.has(base)) subtypes.set(base, new Map());
        subtypes.get(base)!.set(String(def['x-ms-discriminator-value'] ?? name), name);
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
    if (!node || typeof node !== 'object') return node;
    const s = node as Schema;
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === '$ref' && typeof v === 'string') out.$ref = `#/definitions/${inAllOf ? localName(v) : target(v)}`;
      else if (k === 'allOf') out.allOf = (v as unknown[]).map((x) => rewrite(x, true));
      else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, rewrite(ps, false)]));
      else if (k === 'items' || k === 'additionalProperties') out[k] = rewrite(v, false);
      else if (k === 'enum' && (s.type === 'string' || s.type === undefined)) out['x-enum-ci'] = v;
      else if (k === 'discriminator' || k === 'required') out[k === 'discriminator' ? 'x-discriminator' : k] = v;
      else if (k.startsWith('x-') || k === 'description' || k === 'title' || k === 'example') continue;
      else out[k] = v;
    }
    if (s['x-nullable'] === true && typeof out.type === 'string') out.type = [out.type, 'null'];
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
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  for (const f of ['arm-id', 'uuid', 'duration', 'byte', 'password', 'unixtime', 'float', 'double']) ajv.addFormat(f, true);
  ajv.addKeyword({
    keyword: 'x-enum-ci',
    type: 'string',
    schemaType: 'array',
    error: { message: 'must be equal to one of the allowed values' },
    validate: (values: string[], data: string) => values.some((v) => String(v).toLowerCase() === data.toLowerCase()),
  });
  return ajv;
}

function pathRegex(template: string): RegExp {
  const src = template
    .split('/')
    .map((seg) => (/^\{\w+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${src}/?$`, 'i');
}

let loaded: LoadedSpec[] | undefined;

/** Loads (once per process) the vendored specs and their body-carrying operations. */
function specs(): LoadedSpec[] {
  if (loaded) return loaded;
  loaded = VALIDATED_SPECS.map(({ file, apiVersion, style }) => {
    const spec = JSON.parse(readFileSync(new URL(file, SPECS_ROOT), 'utf8')) as Schema;
    const ajv = newAjv();
    const id = `https://specs.local/${file.split('/').pop()}`;
    ajv.addSchema({ $id: id, definitions: buildDefinitions(spec) });
    const operations: BodyOperation[] = [];
    for (const [template, ops] of Object.entries(spec.paths as Record<string, Schema>)) {
      for (const [method, op] of Object.entries(ops)) {
        const body = (op.parameters ?? []).find((p: Schema) => p.in === 'body');
        if (!body?.schema?.$ref) continue;
        operations.push({ method: method.toUpperCase(), regex: pathRegex(template), parameter: body.name, definition: externalName(body.schema.$ref) });
      }
    }
    return { apiVersion, style, ajv, id, operations, definitions: spec.definitions };
  });
  return loaded;
}

/** JSON.NET-style path of an Ajv instance path: `/a/b/0/c` → `a.b[0].c`. */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

const NET_TYPES: Record<string, string> = { boolean: 'System.Boolean', integer: 'System.Int32', number: 'System.Double', string: 'System.String', array: 'System.Collections.Generic.List' };

/**
 * The type name JSON.NET would give the value at `segments` below definition `root`: the definition
 * name of an object, the `x-ms-enum` name of an enum, `System.*` of a primitive. Follows `allOf` parents
 * and discriminated subtypes (by the value in `body`).
 */
function typeAt(defs: Record<string, Schema>, root: string, segments: string[], body: unknown): string {
  let name = root;
  let schema: Schema | undefined = defs[root];
  let value: unknown = body;
  const deref = (s: Schema | undefined): Schema | undefined => {
    while (s?.$ref) {
      name = externalName(s.$ref);
      s = defs[name] ?? COMMON_TYPES[name];
    }
    return s;
  };
  const property = (s: Schema | undefined, key: string, data: unknown): Schema | undefined => {
    s = deref(s);
    if (!s) return undefined;
    if (s.properties?.[key]) return s.properties[key];
    for (const parent of s.allOf ?? []) {
      const saved = name;
      const found = property(parent, key, data);
      if (found) return found;
      name = saved;
    }
    if (s.discriminator && data && typeof data === 'object') {
      const v = String((data as Record<string, unknown>)[s.discriminator]);
      const sub = Object.entries(defs).find(([n, d]) => (d['x-ms-discriminator-value'] ?? n) === v && (d.allOf ?? []).some((p: Schema) => p.$ref && externalName(p.$ref) === name));
      if (sub) return sub[1].properties?.[key] ?? property({ $ref: `#/definitions/${sub[0]}` }, key, data);
    }
    return undefined;
  };
  for (const seg of segments) {
    schema = deref(schema);
    if (!schema) break;
    if (/^\d+$/.test(seg) && schema.items) schema = schema.items;
    else schema = property(schema, seg, value) ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
  }
  const saved = name;
  schema = deref(schema);
  if (schema?.['x-ms-enum']?.name) return String(schema['x-ms-enum'].name);
  if (schema?.type && schema.type !== 'object' && NET_TYPES[schema.type]) return NET_TYPES[schema.type]!;
  return name ?? saved;
}

function deserializationError(detail: string): ArmError {
  return new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
}

function toViolation(e: ErrorObject, op: BodyOperation, spec: LoadedSpec, body: unknown): BodyViolation | undefined {
  const style = spec.style;
  const segments = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const type = typeAt(spec.definitions, op.definition, segments, body);
  if (e.keyword === 'if' || e.keyword === 'allOf') return undefined;
  if (e.keyword === 'unevaluatedProperties') {
    const member = String((e.params as { unevaluatedProperty: string }).unevaluatedProperty);
    const path = jsonPath(e.instancePath, member);
    return { path, keyword: e.keyword, error: deserializationError(`Could not find member '${member}' on object of type '${type}'. Path '${path}'.`) };
  }
  const path = jsonPath(e.instancePath);
  const value = e.instancePath.split('/').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), body);
  if (e.keyword === 'x-enum-ci' || e.keyword === 'type' || e.keyword === 'const') {
    return { path, keyword: e.keyword, error: deserializationError(`Error converting value ${JSON.stringify(value)} to type '${type}'. Path '${path}'.`) };
  }
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'date-time') {
    return { path, keyword: e.keyword, error: deserializationError(`Could not convert string to DateTime: ${String(value)}. Path '${path}'.`) };
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    const full = jsonPath(e.instancePath, missing);
    if (style === 'imagebuilder') {
      const where = ['ImageTemplate', ...(path ? [path] : [])].join('.');
      return {
        path: full,
        keyword: e.keyword,
        error: new ArmError(400, 'ValidationFailed', `Validation failed: '${where}': Missing field ${missing}. Please review http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template.`),
      };
    }
    const target = `${op.parameter}.${full}`;
    return { path: full, keyword: e.keyword, error: new ArmError(400, 'InvalidParameter', `Required parameter '${target}' is missing (null).`, { target }) };
  }
  const target = style === 'compute' ? `${op.parameter}.${path}` : path;
  return { path, keyword: e.keyword, error: new ArmError(400, 'InvalidParameter', `The value of parameter '${target}' is invalid.`, { target }) };
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
    op.validate ??= spec.ajv.compile({ $ref: `${spec.id}#/definitions/${op.definition}${spec.ajv.getSchema(`${spec.id}#/definitions/${op.definition}${CLOSED}`) ? CLOSED : ''}` });
    if (op.validate(body)) return [];
    const rank = (v: BodyViolation) => (v.error.code === 'InvalidRequestContent' ? 0 : v.keyword === 'required' ? 1 : 2);
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
