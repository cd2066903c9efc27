/**
 * Types of `imagebuilder-validator.js`, the Ajv standalone validator that scripts/template-schema.ts
 * generates from `imagebuilder-schema.json` (itself generated from the vendored Image Builder spec,
 * api-version 2025-10-01; see SOURCES.md). Hand-written: the shapes Ajv 8 gives with
 * `allErrors`, `verbose` and `messages: false`.
 */

/** The part of a generated schema object the phraser in template-file.ts reads. */
export interface SchemaNode {
  /** The generator's name for a union or subtype: `customizer`, `customizer 'File'`, `the template properties`. */
  title?: string;
  /** Ajv's discriminator of a union (`type`); its `oneOf` then holds one subtype per value. */
  discriminator?: { propertyName: string };
  oneOf?: SchemaNode[];
  /** Property schemas; `false` for a read-only property. */
  properties?: Record<string, SchemaNode | false>;
  const?: string;
}

/** One Ajv error (ErrorObject of ajv 8, verbose, without `message`). */
export interface SchemaError {
  /** JSON pointer into the data: `/customize/2/type`. */
  instancePath: string;
  /** Pointer into the schema: `#/definitions/ImageTemplateCustomizer/discriminator`. */
  schemaPath: string;
  /** `type`, `enum`, `required`, `additionalProperties`, `discriminator`, `false schema`, `minimum`, `maximum`… */
  keyword: string;
  /** Keyword-specific: `{ missingProperty }`, `{ additionalProperty }`, `{ allowedValues }`, `{ limit }`, `{ error, tag, tagValue }`… */
  params: Record<string, unknown>;
  /** The schema object holding the keyword. */
  parentSchema?: SchemaNode;
  /** The value at `instancePath`. */
  data?: unknown;
}

/** Checks Image Builder template properties; when false, `validate.errors` holds every problem. */
export declare const validate: ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
export default validate;
