/**
 * Generates what the `template-file` input is checked with, from the vendored Azure VM Image Builder
 * OpenAPI file (imagebuilder.json, api-version 2025-10-01, Azure/azure-rest-api-specs; provenance in
 * __tests__/fixtures/azure-specs/SOURCES.md and src/template/SOURCES.md):
 *
 * - `src/template/imagebuilder-schema.json`: a JSON Schema (draft-07) of `ImageTemplateProperties` and the
 *   definitions it reaches, the Swagger's rules translated as JSON Schema states them:
 *   - a discriminated definition (`discriminator`, its subtypes tagged `x-ms-discriminator-value`:
 *     customizers, in-VM validators, sources, distributors on `type`; versioning schemes on `scheme`)
 *     becomes `oneOf` of its subtypes (sorted by definition name), each with `const` on the
 *     discriminator, plus Ajv's `discriminator` keyword, so only the subtype the value names is checked
 *     (and its errors alone are reported);
 *   - `allOf` inheritance is flattened (a subtype holds its base's properties and `required`), and every
 *     object with `properties` is closed (`additionalProperties: false`): Image Builder refuses unknown
 *     members ("Could not find member …");
 *   - a `readOnly` property becomes the `false` schema (Azure sets it; a file must not);
 *   - `description`, `default`, `format` (int32, date-time: not checked) and `x-ms-*` are left out;
 *   - `title` names each union and subtype in the words messages use ("customizer 'File'").
 *   Its root is `TemplateFileProperties`: `ImageTemplateProperties` as a template file gives them,
 *   with nothing required (the inputs give the `source`) and no `distribute` (the action distributes;
 *   template-file.ts refuses it with its own message). So the validator never reaches the distributor
 *   and versioner unions: they are in the schema, not in the bundle.
 * - `src/template/imagebuilder-validator.js`: that schema compiled by Ajv's standalone code generation
 *   (`ajv/dist/standalone`, ESM, `allErrors`, no message texts), plus two tables the phraser in
 *   template-file.ts reads by the schema path Ajv reports: `unions` (pointer → title, discriminator
 *   field, allowed values) and `objects` (pointer → title, the property names a file may give).
 *
 * Deterministic: the same spec and Ajv version give the same bytes. `npm run template-schema` writes
 * both files; __tests__/image-content/template-file-schema.test.ts fails when they are not current.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

export const SPEC_PATH = new URL(
  "../__tests__/fixtures/azure-specs/specification/imagebuilder/resource-manager/Microsoft.VirtualMachineImages/ImageBuilder/stable/2025-10-01/imagebuilder.json",
  import.meta.url,
);
export const SCHEMA_PATH = new URL("../src/template/imagebuilder-schema.json", import.meta.url);
export const VALIDATOR_PATH = new URL("../src/template/imagebuilder-validator.js", import.meta.url);

/** What a discriminated definition is called in messages. */
const KIND: Record<string, string> = {
  ImageTemplateCustomizer: "customizer",
  ImageTemplateInVMValidator: "in-VM validator",
  ImageTemplateSource: "source",
  ImageTemplateDistributor: "distributor",
  DistributeVersioner: "versioning scheme",
};

/** The spec's definition of a template's properties, and the schema's root: the same as a template file gives them. */
const SPEC_ROOT = "ImageTemplateProperties";
const ROOT = "TemplateFileProperties";
const refName = (ref: string) => ref.replace(/^#\/definitions\//, "");
const isObject = (v: Json | undefined): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

/** The JSON Schema of a template file's properties, from the spec's text (see the header). */
export function templateFileSchema(specText: string): Schema {
  const spec = JSON.parse(specText) as { info: { version: string }; definitions: Record<string, Schema> };
  const all = spec.definitions;
  /** Subtypes of a discriminated definition, sorted by name: [definition name, discriminator value]. */
  const subtypes = (base: string): [string, string][] =>
    Object.entries(all)
      .filter(
        ([, def]) =>
          typeof def["x-ms-discriminator-value"] === "string" && (def.allOf as Schema[] | undefined)?.some((a) => a.$ref === `#/definitions/${base}`),
      )
      .map(([name, def]): [string, string] => [name, def["x-ms-discriminator-value"] as string])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  /** A definition with its `allOf` bases merged in (properties, then required). */
  const flatten = (def: Schema): { properties: Schema; required: string[] } => {
    const properties: Schema = {};
    const required: string[] = [];
    for (const base of (def.allOf as Schema[] | undefined) ?? []) {
      const b = flatten(typeof base.$ref === "string" ? all[refName(base.$ref)]! : base);
      Object.assign(properties, b.properties);
      required.push(...b.required);
    }
    Object.assign(properties, def.properties ?? {});
    required.push(...((def.required as string[] | undefined) ?? []));
    return { properties, required: [...new Set(required)] };
  };
  const wanted = new Set<string>();
  const translate = (node: Schema, title?: string): Json => {
    if (node.readOnly === true) return false;
    if (typeof node.$ref === "string") {
      wanted.add(refName(node.$ref));
      return { $ref: node.$ref };
    }
    const out: Schema = {};
    if (title) out.title = title;
    if (node.properties !== undefined || node.allOf !== undefined) {
      const { properties, required } = flatten(node);
      out.type = "object";
      out.properties = Object.fromEntries(Object.entries(properties).map(([key, member]) => [key, translate(member as Schema)]));
      if (required.length > 0) out.required = required;
      out.additionalProperties = isObject(node.additionalProperties) ? translate(node.additionalProperties) : false;
      return out;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "items" || key === "additionalProperties") out[key] = isObject(value) ? translate(value) : value;
      else if (key === "description" || key === "default" || key === "format" || key === "readOnly" || key.startsWith("x-ms-")) continue;
      else out[key] = value;
    }
    return out;
  };
  const definition = (name: string): Json => {
    if (name === ROOT) {
      const { distribute: _distribute, ...properties } = all[SPEC_ROOT]!.properties as Schema;
      return translate({ type: "object", properties }, "the template properties");
    }
    const def = all[name]!;
    if (typeof def.discriminator === "string") {
      const field = def.discriminator;
      const kind = KIND[name] ?? name;
      const oneOf = subtypes(name).map(([sub, value]) => {
        const translated = translate(all[sub]!, `${kind} '${value}'`) as Schema;
        (translated.properties as Schema)[field] = { const: value };
        return translated;
      });
      return { title: kind, type: "object", discriminator: { propertyName: field }, oneOf };
    }
    return translate(def);
  };
  const definitions: Record<string, Json> = {};
  // Each definition as it is first referred to (translating one can refer to more); the spec's own
  // ImageTemplateProperties too, so its distributors and versioning schemes are translated (and tested).
  wanted.add(SPEC_ROOT);
  for (let next: string | undefined = ROOT; next !== undefined; next = [...wanted].find((name) => !(name in definitions))) {
    definitions[next] = definition(next);
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $comment: `Generated by scripts/template-schema.ts from imagebuilder.json ${spec.info.version} (Azure/azure-rest-api-specs, see __tests__/fixtures/azure-specs/SOURCES.md); do not edit.`,
    $ref: `#/definitions/${ROOT}`,
    definitions: Object.fromEntries(
      Object.keys(definitions)
        .sort()
        .map((name) => [name, definitions[name]!]),
    ),
  };
}

/** The ESM module text: the standalone validator of `schema` and its tables (see the header). */
export function validatorModule(schema: Schema): string {
  const ajv = new Ajv({ allErrors: true, discriminator: true, verbose: true, strict: true, messages: false, code: { source: true, esm: true, lines: true } });
  const validate = ajv.compile(schema);
  return [
    "// Generated by scripts/template-schema.ts (npm run template-schema) from src/template/imagebuilder-schema.json",
    "// with Ajv's standalone code generation; do not edit.",
    "/* eslint-disable */",
    // A CommonJS module: its default import is module.exports, whose `default` is the same function.
    standalone.default(ajv, validate),
    "",
  ].join("\n");
}

/** Both generated files' texts, from the vendored spec. */
export function generated(): { schema: string; validator: string } {
  const schema = templateFileSchema(readFileSync(SPEC_PATH, "utf8"));
  return { schema: `${JSON.stringify(schema, null, 2)}\n`, validator: validatorModule(schema) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { schema, validator } = generated();
  writeFileSync(SCHEMA_PATH, schema);
  writeFileSync(VALIDATOR_PATH, validator);
}
