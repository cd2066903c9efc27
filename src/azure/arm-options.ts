/**
 * Options every Azure Resource Manager client of the action is made with: the cloud's endpoint and token
 * scope, the SDK's own retry policy sized for throttling storms, and a per-attempt policy that logs each
 * throttled answer once, with the wait.
 *
 * ARM throttles per subscription, principal and region with a token bucket (reads: 250, refilled 25 per
 * second; writes and deletes: 200, refilled 10 per second) and answers 429 with `Retry-After` in seconds
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
 * The SDK's default retry policy (@azure/core-rest-pipeline `defaultRetryPolicy`) waits that long for a
 * 429/503 with `Retry-After`, and backs off exponentially on 408/5xx and dropped connections, but only 3
 * times: a storm of more outlasts it. `ARM_RETRY` raises the count; the same policy does the waiting.
 *
 * With a debug channel, every HTTP attempt of those clients is logged at debug level too (method, path and
 * query with secrets redacted, status, duration, ARM's request IDs): {@link armCallLogPolicy}.
 */
import type { PipelinePolicy, PipelineRequest, PipelineRetryOptions } from "@azure/core-rest-pipeline";
import type { CloudEndpoints } from "../cloud.ts";
import { redactText, redactUrl } from "../redact.ts";
import { reachabilityPolicy } from "./reachability.ts";

/**
 * Retries of one ARM call (SDK `retryOptions`): 12 retries; 408/5xx back off exponentially from 1 s up to
 * 30 s between tries (about 4 minutes in all); a 429/503 waits its `Retry-After` each time (12 × ARM's usual
 * tens of seconds: several minutes of throttling).
 */
export const ARM_RETRY: Required<Pick<PipelineRetryOptions, "maxRetries" | "retryDelayInMs" | "maxRetryDelayInMs">> = {
  maxRetries: 12,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 30_000,
};

/** Where throttle lines go (the host's log); by default nowhere. */
export type ArmLog = (message: string) => void;

/**
 * Where an ARM client logs: `info` gets one line per throttled answer ({@link throttleLogPolicy}), `debug`
 * one line per HTTP attempt ({@link armCallLogPolicy}); a `Host` is one. A function is `info` alone.
 */
export type ArmLogs = ArmLog | { info?: ArmLog; debug?: ArmLog };

/** The `Retry-After` of a throttled answer in seconds (`retry-after-ms` / `x-ms-retry-after-ms` in ms), or undefined. */
function retryAfterSeconds(headers: { get(name: string): string | undefined }): number | undefined {
  for (const [name, factor] of [
    ["retry-after-ms", 0.001],
    ["x-ms-retry-after-ms", 0.001],
    ["retry-after", 1],
  ] as const) {
    const value = headers.get(name);
    if (value === undefined) continue;
    const number = Number(value);
    if (Number.isFinite(number)) return number * factor;
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, (date - Date.now()) / 1000);
  }
  return undefined;
}

/**
 * A pipeline policy (position `perRetry`: it sees every attempt) that logs each 429/503 answer carrying
 * `Retry-After` — the ones the SDK's throttling strategy retries — once, with the wait and the attempt.
 */
export function throttleLogPolicy(log: ArmLog): PipelinePolicy {
  const attempts = new WeakMap<PipelineRequest, number>();
  return {
    name: "avdImageThrottleLog",
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const wait = retryAfterSeconds(response.headers);
      if (wait === undefined) return response;
      const attempt = (attempts.get(request) ?? 0) + 1;
      attempts.set(request, attempt);
      let code = "";
      try {
        code = (JSON.parse(response.bodyAsText ?? "") as { error?: { code?: string } }).error?.code ?? "";
      } catch {
        code = "";
      }
      const path = new URL(request.url).pathname;
      log(
        `Azure throttled ${request.method} ${path} (${response.status}${code ? ` ${code}` : ""}): ` +
          (attempt <= ARM_RETRY.maxRetries
            ? `retrying after ${wait} s (retry ${attempt} of ${ARM_RETRY.maxRetries}).`
            : `no retries left (${ARM_RETRY.maxRetries}).`),
      );
      return response;
    },
  };
}

/** Response headers ARM (and Blob Storage) answer with that identify a request to Azure support (Microsoft Learn, "Azure Resource Manager request headers", x-ms-request-id, x-ms-correlation-request-id). */
const REQUEST_ID_HEADERS = ["x-ms-request-id", "x-ms-correlation-request-id"] as const;

/**
 * A pipeline policy (position `perRetry`: it sees every attempt, retries and LRO polls included) that
 * logs each HTTP attempt on one debug line: `Azure GET /subscriptions/…?api-version=2025-10-01 → 200 in
 * 41 ms (x-ms-request-id: …, x-ms-correlation-request-id: …)`; a request that got no answer logs its
 * error code instead of a status. The path and query are redacted (src/redact.ts): no query secret
 * (SAS), no host, no headers or bodies (tokens).
 * @param debug where the lines go (the host's debug channel).
 * @param now the clock, in ms (injectable for tests).
 */
export function armCallLogPolicy(debug: ArmLog, now: () => number = () => performance.now()): PipelinePolicy {
  return {
    name: "avdImageArmCallLog",
    async sendRequest(request, next) {
      const started = now();
      const url = new URL(redactUrl(request.url));
      const what = `Azure ${request.method} ${url.pathname}${url.search}`;
      const took = () => `${Math.round(now() - started)} ms`;
      try {
        const response = await next(request);
        const ids = REQUEST_ID_HEADERS.map((name) => [name, response.headers.get(name)] as const).filter(([, value]) => value);
        debug(`${what} → ${response.status} in ${took()}${ids.length ? ` (${ids.map(([name, value]) => `${name}: ${value}`).join(", ")})` : ""}`);
        return response;
      } catch (error) {
        const code = (error as { code?: unknown; statusCode?: unknown }).statusCode ?? (error as { code?: unknown }).code ?? (error as Error).name;
        debug(`${what} → no answer (${String(code)}) after ${took()}: ${redactText((error as Error).message ?? String(error))}`);
        throw error;
      }
    },
  };
}

/** The two channels of {@link ArmLogs}. */
function channelsOf(log: ArmLogs | undefined): { info?: ArmLog; debug?: ArmLog } {
  if (typeof log === "function") return { info: log };
  // Called as methods, so a Host whose methods use `this` works too.
  return { ...(log?.info ? { info: (m: string) => log.info!(m) } : {}), ...(log?.debug ? { debug: (m: string) => log.debug!(m) } : {}) };
}

/** `retryOptions` and `additionalPolicies` for any ARM client (modular or classic). */
export function armPipelineOptions(log?: ArmLogs): {
  retryOptions: PipelineRetryOptions;
  additionalPolicies: { policy: PipelinePolicy; position: "perCall" | "perRetry" }[];
} {
  const { info, debug } = channelsOf(log);
  return {
    retryOptions: { ...ARM_RETRY },
    additionalPolicies: [
      { policy: reachabilityPolicy(), position: "perRetry" },
      ...(info ? [{ policy: throttleLogPolicy(info), position: "perRetry" as const }] : []),
      // Last of the perRetry policies: nearest the wire, so its duration is the attempt's own.
      ...(debug ? [{ policy: armCallLogPolicy(debug), position: "perRetry" as const }] : []),
    ],
  };
}

/** Options of a TypeSpec "modular" ARM client (arm-compute 25, arm-imagebuilder 5, arm-resources 8...). */
export function modularClientOptions(cloud: CloudEndpoints, log?: ArmLogs) {
  return { endpoint: cloud.armEndpoint, credentials: { scopes: [cloud.armScope] }, ...armPipelineOptions(log) };
}
