/**
 * The SDK's REST error test, for the steps: only src/azure/ imports `@azure/*` values
 * (.dependency-cruiser.cjs, rule only-azure-layer-imports-azure-sdk).
 *
 * `isRestError(error)` is `@azure/core-rest-pipeline`'s type guard: true when `error` is the
 * `RestError` an SDK client throws for an HTTP error answer (`statusCode`, `code`, `message`).
 */
export { isRestError } from "@azure/core-rest-pipeline";
