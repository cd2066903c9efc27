/**
 * The reachability policy stops the SDK's retries of a refused connection only while the endpoint has
 * never answered; once it has, connection errors stay retryable (system error codes) for the SDK.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PipelineResponse, RestError, createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { ARM_UNREACHABLE, UNREACHED_ATTEMPTS, reachabilityPolicy } from "../../src/azure/reachability.ts";

const refused = () => Object.assign(new RestError("connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED" }));

describe("ARM reachability policy", () => {
  it(`a refused endpoint that never answered: the attempt ${UNREACHED_ATTEMPTS} is no longer retryable (code ${ARM_UNREACHABLE})`, async () => {
    const policy = reachabilityPolicy();
    const request = createPipelineRequest({ url: "https://127.0.0.1:1/subscriptions/x" });
    const codes: string[] = [];
    for (let i = 0; i < UNREACHED_ATTEMPTS; i += 1) {
      await policy.sendRequest(request, async () => Promise.reject(refused())).catch((e: RestError) => codes.push(e.code!));
    }
    assert.deepEqual(codes, [...Array(UNREACHED_ATTEMPTS - 1).fill("ECONNREFUSED"), ARM_UNREACHABLE]);
  });

  it("after the endpoint answered once, a refused connection stays a retryable system error", async () => {
    const policy = reachabilityPolicy();
    const url = "https://127.0.0.2:8443/subscriptions/x";
    const ok: PipelineResponse = { status: 200, headers: createHttpHeaders(), request: createPipelineRequest({ url }) };
    await policy.sendRequest(createPipelineRequest({ url }), async () => ok);
    const request = createPipelineRequest({ url });
    for (let i = 0; i < UNREACHED_ATTEMPTS + 2; i += 1) {
      await assert.rejects(
        policy.sendRequest(request, async () => Promise.reject(refused())),
        (e: RestError) => e.code === "ECONNREFUSED",
      );
    }
  });

  it("a dropped connection (ECONNRESET) before any answer is left to the SDK's retries", async () => {
    const policy = reachabilityPolicy();
    const request = createPipelineRequest({ url: "https://127.0.0.3:1/x" });
    for (let i = 0; i < UNREACHED_ATTEMPTS + 1; i += 1) {
      await assert.rejects(
        policy.sendRequest(request, async () => Promise.reject(new RestError("socket hang up", { code: "ECONNRESET" }))),
        (e: RestError) => e.code === "ECONNRESET",
      );
    }
  });
});
