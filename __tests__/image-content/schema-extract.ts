/**
 * How src/template/imagebuilder-schema.json is made from the vendored Image Builder OpenAPI file
 * (imagebuilder.json, api-version 2025-10-01): the definitions reachable from `ImageTemplateProperties`
 * (discriminator subtypes included), without descriptions and `x-ms-*` annotations other than
 * `x-ms-discriminator-value`. The test compares the committed file with this; regenerate it with
 * `node __tests__/image-content/schema-extract.ts --write`.
 */
import { readFileSync, writeFileSync } from "node:fs";

export const SPEC_PATH = new URL(
  "../fixtures/azure-specs/specification/imagebuilder/resource-manager/Microsoft.VirtualMachineImages/ImageBuilder/stable/2025-10-01/imagebuilder.json",
  import.meta.url,
);
export const SCHEMA_PATH = new URL("../../src/template/imagebuilder-schema.json", import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === "description" || (key.startsWith("x-ms-") && key !== "x-ms-discriminator-value")) continue;
    out[key] = strip(member);
  }
  return out;
}

/** The schema file's content, from the spec's text. */
export function extractImageBuilderSchema(specText: string): { source: string; root: string; definitions: Record<string, Json> } {
  const spec = JSON.parse(specText) as { info: { version: string }; definitions: Record<string, { [key: string]: Json }> };
  const all = spec.definitions;
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    const refs = JSON.stringify(all[name]).matchAll(/"#\/definitions\/([A-Za-z0-9_]+)"/g);
    for (const ref of refs) visit(ref[1]!);
    if (all[name]!.discriminator) {
      for (const [sub, def] of Object.entries(all)) {
        if (JSON.stringify(def.allOf ?? []).includes(`"#/definitions/${name}"`)) visit(sub);
      }
    }
  };
  visit("ImageTemplateProperties");
  const definitions: Record<string, Json> = {};
  for (const name of [...wanted].sort()) definitions[name] = strip(all[name]!);
  return { source: `imagebuilder.json ${spec.info.version} (Azure/azure-rest-api-specs, see __tests__/fixtures/azure-specs/SOURCES.md)`, root: "ImageTemplateProperties", definitions };
}

if (process.argv.includes("--write")) {
  writeFileSync(SCHEMA_PATH, `${JSON.stringify(extractImageBuilderSchema(readFileSync(SPEC_PATH, "utf8")), null, 2)}\n`);
}
