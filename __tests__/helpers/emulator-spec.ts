/**
 * Swagger 2.0 schema validation of emulator responses for the contract tests.
 *
 * Loads a vendored spec from `__tests__/fixtures/azure-specs/`, keeps its `definitions` and internal
 * `$ref`s, and replaces the external refs to Azure `common-types` (not vendored) with the hand-written
 * equivalents the emulator uses (ARM common-types v3/v5 TrackedResource, ProxyResource, Resource, SystemData,
 * ErrorResponse/ErrorDetail; Compute common-types v1 CloudError/ApiError). Validation is Ajv 8
 * (`strict: false`) plus a walker that reports keys the spec does not define (Ajv alone would accept
 * any extra key) and validates discriminated subtypes (`x-ms-discriminator-value`), which Ajv ignores.
 */
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import { Ajv } from "ajv";
import { COMMON_TYPES } from "../../emulator/request-common-types.ts";

/** Root of the vendored specs. */
export const FIXTURES = new URL("../fixtures/azure-specs/", import.meta.url);
export const IMAGEBUILDER_DIR = "specification/imagebuilder/resource-manager/Microsoft.VirtualMachineImages/ImageBuilder/stable/2025-10-01/";
export const GALLERY_DIR = "specification/compute/resource-manager/Microsoft.Compute/GalleryRP/";

/** Reads a JSON fixture by path relative to FIXTURES. */
export function readFixture(rel: string): any {
  return JSON.parse(readFileSync(new URL(rel, FIXTURES), "utf8"));
}

type Schema = Record<string, any>;

/**
 * Hand-written equivalents of the common-types definitions the two specs reference: the emulator's own
 * (`emulator/request-common-types.ts` `COMMON_TYPES`), so responses and requests are checked against the same.
 */
const COMMON: Record<string, Schema> = COMMON_TYPES;

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && !v.startsWith("#")) {
      const name = v.split("/").pop()!;
      if (!COMMON[name]) throw new Error(`no hand-written common type for ${v}`);
      out[k] = `#/definitions/__common_${name}`;
    } else out[k] = rewriteRefs(v);
  }
  return out;
}

/** A loaded spec: validate data against `#/definitions/<name>`. */
export class SpecSchemas {
  readonly spec: any;
  private readonly definitions: Record<string, Schema>;
  private readonly ajv: Ajv;
  private readonly id: string;
  private readonly validators = new Map<string, ValidateFunction>();
  /** base definition name → discriminator value → subtype definition name */
  private readonly subtypes = new Map<string, Map<string, string>>();

  constructor(specRel: string) {
    this.spec = readFixture(specRel);
    const defs = rewriteRefs(this.spec.definitions) as Record<string, Schema>;
    for (const [n, s] of Object.entries(COMMON)) defs[`__common_${n}`] = rewriteRefs(s) as Schema;
    this.definitions = defs;
    this.id = `https://specs.local/${specRel.split("/").pop()}`;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.ajv.addFormat("date-time", {
      type: "string",
      validate: (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
    });
    this.ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
    this.ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("uri", { type: "string", validate: (s: string) => URL.canParse(s) });
    for (const f of ["arm-id", "uuid", "duration", "byte", "password", "unixtime", "float", "double"]) this.ajv.addFormat(f, true);
    this.ajv.addSchema({ $id: this.id, definitions: defs });
    for (const [name, def] of Object.entries(defs)) {
      const value = def["x-ms-discriminator-value"] ?? name;
      for (const parent of def.allOf ?? []) {
        const ref = typeof parent.$ref === "string" ? parent.$ref.split("/").pop() : undefined;
        if (ref && defs[ref]?.discriminator) {
          if (!this.subtypes.has(ref)) this.subtypes.set(ref, new Map());
          this.subtypes.get(ref)!.set(String(value), name);
        }
      }
    }
  }

  private validator(name: string): ValidateFunction {
    let v = this.validators.get(name);
    if (!v) {
      if (!this.definitions[name]) throw new Error(`definition ${name} not in spec`);
      v = this.ajv.compile({ $ref: `${this.id}#/definitions/${name}` });
      this.validators.set(name, v);
    }
    return v;
  }

  /** Errors of `data` against definition `name` (empty = valid): Ajv errors, unknown keys, subtype errors. */
  validate(name: string, data: unknown): string[] {
    const errors: string[] = [];
    this.check(name, data, "$", errors);
    return errors;
  }

  private check(name: string, data: unknown, path: string, errors: string[]): void {
    const v = this.validator(name);
    if (!v(data)) for (const e of v.errors ?? []) errors.push(`${path}${e.instancePath} ${e.message} (${name})`);
    this.walk({ $ref: `#/definitions/${name}` }, data, path, errors);
  }

  private resolve(schema: Schema): Schema {
    let s = schema;
    while (s && typeof s.$ref === "string") s = this.definitions[s.$ref.split("/").pop()!]!;
    return s;
  }

  private refName(schema: Schema): string | undefined {
    return typeof schema.$ref === "string" ? schema.$ref.split("/").pop() : undefined;
  }

  /** Properties, additionalProperties flag and discriminator of a schema including its allOf chain. */
  private shape(
    schema: Schema,
    acc = { props: {} as Record<string, Schema>, additional: undefined as Schema | boolean | undefined, discriminators: [] as string[] },
  ) {
    const name = this.refName(schema);
    const s = this.resolve(schema);
    if (!s) return acc;
    if (name && s.discriminator && !acc.discriminators.includes(name)) acc.discriminators.push(name);
    for (const p of s.allOf ?? []) this.shape(p, acc);
    Object.assign(acc.props, s.properties ?? {});
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) acc.additional = s.additionalProperties;
    return acc;
  }

  private walk(schema: Schema, data: unknown, path: string, errors: string[]): void {
    const s = this.resolve(schema);
    if (!s || data === null || data === undefined) return;
    if (Array.isArray(data)) {
      if (s.items) for (const [i, d] of data.entries()) this.walk(s.items, d, `${path}[${i}]`, errors);
      return;
    }
    if (typeof data !== "object") return;
    const shape = this.shape(schema);
    // A discriminated base: validate the concrete subtype too and use its properties.
    for (const base of [...shape.discriminators]) {
      const disc = this.resolve({ $ref: `#/definitions/${base}` }).discriminator as string;
      const value = (data as Record<string, unknown>)[disc];
      const sub = this.subtypes.get(base)?.get(String(value));
      if (sub && sub !== this.refName(schema)) {
        const v = this.validator(sub);
        if (!v(data)) for (const e of v.errors ?? []) errors.push(`${path}${e.instancePath} ${e.message} (${sub})`);
        this.shape({ $ref: `#/definitions/${sub}` }, shape);
      }
    }
    for (const [k, val] of Object.entries(data as Record<string, unknown>)) {
      const ps = shape.props[k];
      if (ps) this.walk(ps, val, `${path}.${k}`, errors);
      else if (shape.additional && typeof shape.additional === "object") this.walk(shape.additional, val, `${path}.${k}`, errors);
      else if (!shape.additional) errors.push(`${path}.${k} is not defined by the spec`);
    }
  }

  /** Response status codes the spec declares for an operation (`default` excluded). */
  statuses(pathTemplate: string, method: string): string[] {
    const op = this.spec.paths[pathTemplate]?.[method.toLowerCase()];
    if (!op) throw new Error(`no operation ${method} ${pathTemplate}`);
    return Object.keys(op.responses).filter((c) => c !== "default");
  }

  /** Header names (lower case) the spec declares for a response. */
  responseHeaders(pathTemplate: string, method: string, status: string): string[] {
    const r = this.spec.paths[pathTemplate]?.[method.toLowerCase()]?.responses?.[status];
    return Object.keys(r?.headers ?? {}).map((h) => h.toLowerCase());
  }
}

/** Replaces `{subscription-id}` style placeholders in an example request/response. */
export function fillExample<T>(value: T, vars: Record<string, string>): T {
  let text = JSON.stringify(value);
  for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(v);
  return JSON.parse(text) as T;
}
