/**
 * The ARM and Compute common-types the vendored specs reference but the repository does not vendor,
 * written by hand for the emulator's request body validation (request-validation.ts) and the tests'
 * response checks (__tests__/helpers/emulator-spec.ts), so requests and responses are checked against the same.
 */

// biome-ignore lint/suspicious/noExplicitAny: a Swagger document, walked by key without a type of its own.
export type Schema = Record<string, any>;

/** The definition name a `$ref` points at (`#/definitions/X` or `../common.json#/definitions/X` → `X`). */
export const externalName = (ref: string): string => ref.split("/").pop()!;

/**
 * Hand-written equivalents of the common-types definitions the two specs reference (not vendored):
 * ARM common-types v3/v5 TrackedResource, ProxyResource, Resource, SystemData, ErrorResponse/ErrorDetail;
 * Compute common-types v1 CloudError/ApiError.
 */
export const COMMON_TYPES: Record<string, Schema> = {
  Resource: {
    type: "object",
    properties: {
      id: { type: "string", readOnly: true },
      name: { type: "string", readOnly: true },
      type: { type: "string", readOnly: true },
      systemData: { $ref: "#/definitions/__common_SystemData" },
    },
  },
  TrackedResource: {
    type: "object",
    allOf: [{ $ref: "#/definitions/__common_Resource" }],
    properties: { tags: { type: "object", additionalProperties: { type: "string" } }, location: { type: "string" } },
    required: ["location"],
  },
  ProxyResource: { type: "object", allOf: [{ $ref: "#/definitions/__common_Resource" }] },
  SystemData: {
    type: "object",
    readOnly: true,
    properties: {
      createdBy: { type: "string" },
      createdByType: { type: "string", enum: ["User", "Application", "ManagedIdentity", "Key"] },
      createdAt: { type: "string", format: "date-time" },
      lastModifiedBy: { type: "string" },
      lastModifiedByType: { type: "string", enum: ["User", "Application", "ManagedIdentity", "Key"] },
      lastModifiedAt: { type: "string", format: "date-time" },
    },
  },
  ErrorResponse: { type: "object", properties: { error: { $ref: "#/definitions/__common_ErrorDetail" } } },
  ErrorDetail: {
    type: "object",
    properties: {
      code: { type: "string" },
      message: { type: "string" },
      target: { type: "string" },
      details: { type: "array", items: { $ref: "#/definitions/__common_ErrorDetail" } },
      additionalInfo: { type: "array", items: { $ref: "#/definitions/__common_ErrorAdditionalInfo" } },
    },
  },
  ErrorAdditionalInfo: { type: "object", properties: { type: { type: "string" }, info: { type: "object" } } },
  CloudError: { type: "object", properties: { error: { $ref: "#/definitions/__common_ApiError" } } },
  ApiError: {
    type: "object",
    properties: {
      details: { type: "array", items: { $ref: "#/definitions/__common_ApiErrorBase" } },
      innererror: { $ref: "#/definitions/__common_InnerError" },
      code: { type: "string" },
      target: { type: "string" },
      message: { type: "string" },
    },
  },
  ApiErrorBase: { type: "object", properties: { code: { type: "string" }, target: { type: "string" }, message: { type: "string" } } },
  InnerError: { type: "object", properties: { exceptiontype: { type: "string" }, errordetail: { type: "string" } } },
};
