/**
 * Schema problems of a template file (the `template-file` input): runs the Ajv standalone validator
 * generated from the vendored Image Builder spec (`imagebuilder-validator.js`, from
 * `imagebuilder-schema.json`: `ImageTemplateProperties` of imagebuilder.json, api-version 2025-10-01;
 * see SOURCES.md and scripts/template-schema.ts) and phrases each of Ajv's errors as a problem at a path
 * in the file (`customize[2].type`), e.g. `"Reboot" is not a customizer type; use one of File, …`.
 * template-file.ts adds the lines and the rules the spec states only in words. Pure.
 */
import { type SchemaError, validate } from "./imagebuilder-validator.js";

/** A parsed JSON or YAML value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A path in the file: member names and list indices. */
export type Path = (string | number)[];
/** A problem at a path (the line comes later). */
export interface Found {
  path: Path;
  message: string;
}

/** `customize[2].type`-style text of a path. */
export function formatPath(path: Path): string {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part), "");
}

export const isObject = (v: unknown): v is { [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);

/** How a value is named in messages: `a string ("x")`, `an array`. */
export function typeName(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : typeof value === "object" ? "an object" : `a ${typeof value} (${JSON.stringify(value)})`;
}

/** The property of `known` that `name` spells with other letter cases, if any. */
const caseOf = (name: unknown, known: string[]) =>
  typeof name === "string" ? known.find((k) => k.toLowerCase() === name.toLowerCase() && k !== name) : undefined;

/** Ajv's JSON pointer (`/customize/2/type`) as a path; a segment is a number where the data holds an array. */
function pathOf(pointer: string, data: unknown): Path {
  const path: Path = [];
  let node = data;
  for (const raw of pointer === "" ? [] : pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const part = Array.isArray(node) ? Number(key) : key;
    path.push(part);
    node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[part] : undefined;
  }
  return path;
}

const TYPE_WORDS: Record<string, string> = {
  object: "an object",
  array: "an array (a YAML list)",
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
};

/**
 * The phraser: one Ajv error of the generated validator (verbose: `data` is the value, `parentSchema` the
 * schema object holding the failed keyword, with the `title` the generator gave unions and subtypes) as
 * a problem at its path (`path` is the error's `instancePath`), in words that say the fix:
 * `"Reboot" is not a customizer type; use one of File, PowerShell, …` (allowed values read from the
 * union's `oneOf` consts), `is not a property of customizer 'File' …; known: …`, `is required for …`.
 * A keyword the generated schema does not use yet gets a generic message naming it.
 */
function phrase(error: SchemaError, path: Path): Found {
  const parent = error.parentSchema ?? {};
  const value = error.data;
  switch (error.keyword) {
    case "discriminator": {
      // A union (customizers, in-VM validators, sources): its oneOf holds one subtype per `const` of the field.
      const field = String(error.params.tag);
      const allowed = (parent.oneOf ?? []).map((branch) => {
        const tag = branch.properties?.[field];
        return tag ? String(tag.const) : "?";
      });
      const given = error.params.tagValue;
      if (given === undefined) return { path: [...path, field], message: `is required: the ${parent.title} type, one of ${allowed.join(", ")}.` };
      const near = caseOf(given, allowed);
      return {
        path: [...path, field],
        message: `${JSON.stringify(given)} is not ${/^[aeiou]/i.test(String(parent.title)) ? "an" : "a"} ${parent.title} type${near ? ` (types are case-sensitive: '${near}')` : ""}; use one of ${allowed.join(", ")}.`,
      };
    }
    case "type":
      if (parent.discriminator) return { path, message: `must be an object with '${parent.discriminator.propertyName}', not ${typeName(value)}.` };
      return { path, message: `must be ${TYPE_WORDS[String(error.params.type)] ?? String(error.params.type)}, not ${typeName(value)}.` };
    case "enum":
      return { path, message: `${JSON.stringify(value)} is not allowed; use one of ${(error.params.allowedValues as string[]).join(", ")}.` };
    case "minimum":
      return { path, message: `must be at least ${String(error.params.limit)}, not ${String(value)}.` };
    case "maximum":
      return { path, message: `must be at most ${String(error.params.limit)}, not ${String(value)}.` };
    case "false schema":
      // The generator turns the spec's readOnly properties into `false`.
      return { path, message: `is read-only (Azure sets it); remove it.` };
    case "required":
      return { path: [...path, String(error.params.missingProperty)], message: `is required${parent.title ? ` for ${parent.title}` : ""}.` };
    case "additionalProperties": {
      const name = String(error.params.additionalProperty);
      const known = Object.entries(parent.properties ?? {})
        .filter(([, member]) => member !== false)
        .map(([key]) => key);
      const near = caseOf(name, known);
      return {
        path: [...path, name],
        message: `is not a property of ${parent.title ?? (formatPath(path) || "the template")}${near ? ` (names are case-sensitive: '${near}')` : ""}; known: ${known.join(", ")}.`,
      };
    }
    default:
      return { path, message: `does not match the Image Builder schema (${error.keyword}: ${JSON.stringify(error.params)}).` };
  }
}

/**
 * Every schema problem of the template properties `props`, at paths under `base` (`["properties"]` for a
 * whole resource). `props` comes without `distribute` (the schema has none; the caller refuses it).
 */
export function schemaProblems(props: { [key: string]: Json }, base: Path): Found[] {
  if (validate(props)) return [];
  return (validate.errors ?? []).map((error) => {
    const found = phrase(error, pathOf(error.instancePath, props));
    return { path: [...base, ...found.path], message: found.message };
  });
}
