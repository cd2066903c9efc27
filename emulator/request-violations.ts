/**
 * How Azure answers a request body that breaks its spec (400, ARM's `{ error: { code, message, target } }`
 * shape), for the violations request-validation.ts finds with Ajv:
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
import type { ErrorObject } from "ajv";
import { ArmError } from "./arm.ts";
import { COMMON_TYPES, type Schema, externalName } from "./request-common-types.ts";

/** A violation found in a body, already in ARM's error form. */
export interface BodyViolation {
  /** `properties.publishingProfile.endOfLifeDate` style (JSON.NET path). */
  path: string;
  keyword: string;
  error: ArmError;
}

/** What a violation's answer needs of the operation: its body parameter name and body definition. */
export interface ViolatedOperation {
  /** Body parameter name (`galleryImageVersion`, `parameters`). */
  parameter: string;
  /** Definition name of the body schema. */
  definition: string;
}

/** What a violation's answer needs of the spec: whose wording (Image Builder's or Compute's) and its definitions. */
export interface ViolatedSpec {
  style: "imagebuilder" | "compute";
  definitions: Record<string, Schema>;
}

/** JSON.NET-style path of an Ajv instance path: `/a/b/0/c` → `a.b[0].c`. */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

const NET_TYPES: Record<string, string> = {
  boolean: "System.Boolean",
  integer: "System.Int32",
  number: "System.Double",
  string: "System.String",
  array: "System.Collections.Generic.List",
};

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
    if (s.discriminator && data && typeof data === "object") {
      const v = String((data as Record<string, unknown>)[s.discriminator]);
      const sub = Object.entries(defs).find(
        ([n, d]) => (d["x-ms-discriminator-value"] ?? n) === v && (d.allOf ?? []).some((p: Schema) => p.$ref && externalName(p.$ref) === name),
      );
      if (sub) return sub[1].properties?.[key] ?? property({ $ref: `#/definitions/${sub[0]}` }, key, data);
    }
    return undefined;
  };
  for (const seg of segments) {
    schema = deref(schema);
    if (!schema) break;
    if (/^\d+$/.test(seg) && schema.items) schema = schema.items;
    else schema = property(schema, seg, value) ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[seg] : undefined;
  }
  const saved = name;
  schema = deref(schema);
  if (schema?.["x-ms-enum"]?.name) return String(schema["x-ms-enum"].name);
  if (schema?.type && schema.type !== "object" && NET_TYPES[schema.type]) return NET_TYPES[schema.type]!;
  return name ?? saved;
}

function deserializationError(detail: string): ArmError {
  return new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${detail}'.`);
}

/** The ARM error Azure answers for Ajv error `e` in `body`, or undefined for an error that only wraps others (`if`, `allOf`). */
export function toViolation(e: ErrorObject, op: ViolatedOperation, spec: ViolatedSpec, body: unknown): BodyViolation | undefined {
  const style = spec.style;
  const segments = e.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const type = typeAt(spec.definitions, op.definition, segments, body);
  if (e.keyword === "if" || e.keyword === "allOf") return undefined;
  if (e.keyword === "unevaluatedProperties") {
    const member = String((e.params as { unevaluatedProperty: string }).unevaluatedProperty);
    const path = jsonPath(e.instancePath, member);
    return { path, keyword: e.keyword, error: deserializationError(`Could not find member '${member}' on object of type '${type}'. Path '${path}'.`) };
  }
  const path = jsonPath(e.instancePath);
  const value = e.instancePath
    .split("/")
    .slice(1)
    .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), body);
  if (e.keyword === "x-enum-ci" || e.keyword === "type" || e.keyword === "const") {
    return { path, keyword: e.keyword, error: deserializationError(`Error converting value ${JSON.stringify(value)} to type '${type}'. Path '${path}'.`) };
  }
  if (e.keyword === "format" && (e.params as { format: string }).format === "date-time") {
    return { path, keyword: e.keyword, error: deserializationError(`Could not convert string to DateTime: ${String(value)}. Path '${path}'.`) };
  }
  if (e.keyword === "required") {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    const full = jsonPath(e.instancePath, missing);
    if (style === "imagebuilder") {
      const where = ["ImageTemplate", ...(path ? [path] : [])].join(".");
      return {
        path: full,
        keyword: e.keyword,
        error: new ArmError(
          400,
          "ValidationFailed",
          `Validation failed: '${where}': Missing field ${missing}. Please review http://aka.ms/azvmimagebuildertmplref for details on fields required in the Image Builder Template.`,
        ),
      };
    }
    const target = `${op.parameter}.${full}`;
    return { path: full, keyword: e.keyword, error: new ArmError(400, "InvalidParameter", `Required parameter '${target}' is missing (null).`, { target }) };
  }
  const target = style === "compute" ? `${op.parameter}.${path}` : path;
  return { path, keyword: e.keyword, error: new ArmError(400, "InvalidParameter", `The value of parameter '${target}' is invalid.`, { target }) };
}
