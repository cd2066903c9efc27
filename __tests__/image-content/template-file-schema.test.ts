/**
 * The `template-file` schema: a JSON Schema generated from the vendored Image Builder spec
 * (imagebuilder.json, api-version 2025-10-01) with discriminators as `oneOf` + `const`, compiled by Ajv's
 * standalone code generation (scripts/template-schema.ts), and the phraser in template-file.ts that
 * turns Ajv's errors into problems with the path, the line and, for a wrong `type`, the allowed types.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { SCHEMA_PATH, SPEC_PATH, VALIDATOR_PATH, generated } from "../../scripts/template-schema.ts";
import { validate } from "../../src/template/imagebuilder-validator.js";
import { parseTemplateFile } from "../../src/template/template-file.ts";

const problemsOf = (text: string) => parseTemplateFile(text, "t.yml").problems.map((p) => `${p.path} (line ${p.line}): ${p.message}`);
const EXAMPLES = new URL("examples/", SPEC_PATH);

describe("template-file schema", () => {
  it("the committed schema and validator are what scripts/template-schema.ts makes from the vendored spec (npm run template-schema)", () => {
    const fresh = generated();
    assert.equal(readFileSync(SCHEMA_PATH, "utf8"), fresh.schema, "src/template/imagebuilder-schema.json is stale: run npm run template-schema");
    assert.equal(readFileSync(VALIDATOR_PATH, "utf8"), fresh.validator, "src/template/imagebuilder-validator.js is stale: run npm run template-schema");
  });

  it("turns each discriminator of the spec into oneOf + const, one branch per x-ms-discriminator-value", () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as {
      definitions: Record<string, { discriminator?: { propertyName: string }; oneOf?: { properties: Record<string, { const: string }> }[] }>;
    };
    const union = (name: string, field = "type") => {
      assert.deepEqual(schema.definitions[name]!.discriminator, { propertyName: field }, name);
      return schema.definitions[name]!.oneOf!.map((branch) => branch.properties[field]!.const);
    };
    assert.deepEqual(union("ImageTemplateCustomizer"), ["File", "PowerShell", "WindowsRestart", "Shell", "WindowsUpdate"]);
    assert.deepEqual(union("ImageTemplateInVMValidator"), ["File", "PowerShell", "Shell"]);
    assert.deepEqual(union("ImageTemplateSource"), ["ManagedImage", "PlatformImage", "SharedImageVersion"]);
    assert.deepEqual(union("ImageTemplateDistributor"), ["ManagedImage", "SharedImage", "VHD"]);
    assert.deepEqual(union("DistributeVersioner", "scheme"), ["Latest", "Source"]);
    // The spec's own discriminated definitions and subtypes, read straight from it: the schema has each and no other.
    const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as {
      definitions: Record<string, { discriminator?: string; allOf?: { $ref: string }[]; "x-ms-discriminator-value"?: string }>;
    };
    const bases = Object.entries(spec.definitions)
      .filter(([name, def]) => def.discriminator && name in schema.definitions)
      .map(([name]) => name);
    assert.deepEqual(bases.sort(), [
      "DistributeVersioner",
      "ImageTemplateCustomizer",
      "ImageTemplateDistributor",
      "ImageTemplateInVMValidator",
      "ImageTemplateSource",
    ]);
    for (const base of bases) {
      const values = Object.values(spec.definitions)
        .filter((def) => def.allOf?.some((a) => a.$ref === `#/definitions/${base}`))
        .map((def) => def["x-ms-discriminator-value"]);
      assert.deepEqual([...union(base, spec.definitions[base]!.discriminator)].sort(), values.sort(), base);
    }
  });

  it("the validator uses only keywords the phraser has words for (a new one in a later api-version fails here: add its phrase)", () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as { $ref: string; definitions: Record<string, unknown> };
    const keywords = new Set<string>();
    const seen = new Set<string>();
    // Keywords of the schema objects the root reaches (through $ref), not of the unions it never reaches (distributors).
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) visit(item);
        return;
      }
      if (typeof node !== "object" || node === null) return;
      for (const [keyword, member] of Object.entries(node)) {
        keywords.add(keyword);
        if (keyword === "properties") for (const property of Object.values(member as object)) visit(property);
        else if (keyword === "$ref") {
          const name = String(member).replace("#/definitions/", "");
          if (!seen.has(name)) {
            seen.add(name);
            visit(schema.definitions[name]);
          }
        } else visit(member);
      }
    };
    visit({ $ref: schema.$ref });
    assert.ok(!seen.has("ImageTemplateDistributor"), "the validator has no distributors: the action distributes");
    // Phrased: type, enum, required, additionalProperties, minimum, maximum, discriminator (and the `false` of read-only
    // properties); const, oneOf and discriminator's propertyName fail only through discriminator; title and $ref do not fail.
    assert.deepEqual([...keywords].sort(), [
      "$ref",
      "additionalProperties",
      "const",
      "discriminator",
      "enum",
      "items",
      "maximum",
      "minimum",
      "oneOf",
      "properties",
      "propertyName",
      "required",
      "title",
      "type",
    ]);
  });

  it("accepts the spec's own request examples (CreateImageTemplateWindows, CreateImageTemplateLinux): the validator without distribute, the spec's ImageTemplateProperties with it", () => {
    // The whole ImageTemplateProperties (distributors and versioning schemes included), compiled here as the generator compiles the root.
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true });
    ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")), "imagebuilder");
    const full = ajv.getSchema("imagebuilder#/definitions/ImageTemplateProperties")!;
    for (const name of ["CreateImageTemplateWindows.json", "CreateImageTemplateLinux.json"]) {
      const example = JSON.parse(readFileSync(new URL(name, EXAMPLES), "utf8")) as { parameters: { parameters: { properties: Record<string, unknown> } } };
      const { distribute, ...properties } = example.parameters.parameters.properties;
      assert.equal(validate(properties), true, `${name}: ${JSON.stringify(validate.errors, null, 2)}`);
      assert.equal(full({ distribute, ...properties }), true, `${name}: ${JSON.stringify(full.errors, null, 2)}`);
      const distributors = distribute as Record<string, unknown>[];
      assert.equal(full({ ...properties, distribute: [{ ...distributors[0], type: "Gallery" }] }), false, "an unknown distributor type");
      assert.deepEqual(
        full.errors?.map((e) => [e.instancePath, e.keyword]),
        [["/distribute/0", "discriminator"]],
      );
    }
    const shared = { type: "SharedImage", runOutputName: "v1", galleryImageId: "/g", versioning: { scheme: "Newest" } };
    assert.equal(full({ source: { type: "PlatformImage" }, distribute: [shared] }), false, "an unknown versioning scheme");
    assert.deepEqual(
      full.errors?.map((e) => [e.instancePath, e.keyword, e.params]),
      [["/distribute/0/versioning", "discriminator", { error: "mapping", tag: "scheme", tagValue: "Newest" }]],
    );
  });

  it("a File customizer without destination names the missing property and the step", () => {
    assert.deepEqual(problemsOf("customize:\n  - type: File\n    name: copy-config\n    sourceUri: https://example.com/app.json\n"), [
      "customize[0].destination (line 2): is required for a File customizer.",
    ]);
  });

  it("an unknown or missing customizer type lists the allowed types; a step that is no object says what it must be", () => {
    assert.deepEqual(problemsOf("customize:\n  - name: first\n    inline: [x]\n  - type: Script\n    name: second\n  - just-a-string\n  - { type: 4 }\n"), [
      "customize[0].type (line 2): is required: the customizer type, one of File, PowerShell, WindowsRestart, Shell, WindowsUpdate.",
      'customize[1].type (line 4): "Script" is not a customizer type; use one of File, PowerShell, WindowsRestart, Shell, WindowsUpdate.',
      "customize[2] (line 6): must be an object with 'type', not a string (\"just-a-string\").",
      "customize[3].type (line 7): 4 is not a customizer type; use one of File, PowerShell, WindowsRestart, Shell, WindowsUpdate.",
    ]);
    assert.deepEqual(problemsOf("source:\n  type: Marketplace\n"), [
      'source.type (line 2): "Marketplace" is not a source type; use one of ManagedImage, PlatformImage, SharedImageVersion.',
    ]);
  });

  it("checks only the subtype the type names: a wrong type deep in a validator, an unknown property of it with the known ones", () => {
    const text = [
      "validate:",
      "  inVMValidations:",
      "    - type: PowerShell",
      "      name: apps-present",
      "      inline: [Test-Path C:/apps]",
      "      validExitCodes: [0, ok]",
      "      runElevated: yes",
      "    - type: File",
      "      name: copy",
      "      sourceUri: https://example.com/a",
      "      destination: C:/a",
      "      restartTimeout: 5m",
      "    - type: Sh",
      "",
    ].join("\n");
    assert.deepEqual(problemsOf(text), [
      'validate.inVMValidations[0].validExitCodes[1] (line 6): must be a whole number, not a string ("ok").',
      'validate.inVMValidations[0].runElevated (line 7): must be true or false, not a string ("yes").',
      "validate.inVMValidations[1].restartTimeout (line 12): is not a property of in-VM validator 'File'; known: type, name, sourceUri, sha256Checksum, destination.",
      'validate.inVMValidations[2].type (line 13): "Sh" is not an in-VM validator type; use one of File, PowerShell, Shell.',
    ]);
  });

  it("names read-only properties, required members of nested shapes, and unknown members of untitled objects by their path", () => {
    assert.deepEqual(
      problemsOf(
        [
          "source:",
          "  type: PlatformImage",
          "  publisher: MicrosoftWindowsDesktop",
          "  offer: windows-11",
          "  sku: win11-24h2-avd",
          "  exactVersion: 26100.1.1",
          "  planInfo: { planName: n }",
          "optimize:",
          "  vmBoot: { state: Enabled, mode: fast }",
          "",
        ].join("\n"),
      ),
      [
        "source.exactVersion (line 6): is read-only (Azure sets it); remove it.",
        "source.planInfo.planProduct (line 7): is required.",
        "source.planInfo.planPublisher (line 7): is required.",
        "optimize.vmBoot.mode (line 9): is not a property of optimize.vmBoot; known: state.",
      ],
    );
  });
});
