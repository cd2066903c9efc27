/**
 * Fail fast when Resource Manager has never answered: a pipeline policy (position `perRetry`, so it sees
 * each attempt) that stops the SDK's retries of a connection that is refused or whose host name does not
 * resolve, while no request of this run has yet had an answer from that endpoint.
 *
 * The SDK's retry policy (`ARM_RETRY`, arm-options.ts) retries those errors — ECONNREFUSED, ENOTFOUND — with
 * exponential backoff for about 4 minutes, which is right once Resource Manager has answered (a dropped
 * connection mid-build is transient) but wrong for an `arm-endpoint` that points nowhere: the run would
 * wait minutes to report a typo. Before the first answer, {@link UNREACHED_ATTEMPTS} attempts (about 3 s
 * of backoff) are allowed, then the error is rethrown with code {@link ARM_UNREACHABLE}, which the
 * retry strategy does not retry (@azure/core-rest-pipeline `exponentialRetryStrategy` retries only system
 * error codes) and src/azure/sign-in-errors.ts reports as input `arm-endpoint`.
 */
import { type PipelinePolicy, RestError } from "@azure/core-rest-pipeline";

/** `code` of the error for an endpoint that never answered. */
export const ARM_UNREACHABLE = "ARM_ENDPOINT_UNREACHABLE";
/** Attempts of one request allowed before the endpoint has ever answered. */
export const UNREACHED_ATTEMPTS = 3;
/** Connection errors that mean "nothing there" (as opposed to a dropped connection). */
const NOTHING_THERE = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/** Origins that answered at least once in this process (one run). */
const answered = new Set<string>();

/** The policy; one per client is fine (the answered origins are shared by the process). */
export function reachabilityPolicy(): PipelinePolicy {
  const attempts = new WeakMap<object, number>();
  return {
    name: "avdImageArmReachability",
    async sendRequest(request, next) {
      const origin = new URL(request.url).origin;
      try {
        const response = await next(request);
        answered.add(origin);
        return response;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (answered.has(origin) || typeof code !== "string" || !NOTHING_THERE.has(code)) throw error;
        const attempt = (attempts.get(request) ?? 0) + 1;
        attempts.set(request, attempt);
        if (attempt < UNREACHED_ATTEMPTS) throw error;
        throw new RestError(`${(error as Error).message} (${code}; ${attempt} attempts, and ${origin} has not answered any request of this run)`, {
          code: ARM_UNREACHABLE,
          request,
        });
      }
    },
  };
}
