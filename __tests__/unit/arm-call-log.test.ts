/**
 * Each Azure call at debug level: arm-options.ts `armCallLogPolicy` in a real @azure/core-rest-pipeline
 * pipeline with the action's retry options, over a fake HttpClient (no network): one debug line per
 * attempt with method, redacted path, status, duration and ARM's request IDs; the info channel keeps only
 * the throttle line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
  RestError,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import { armCallLogPolicy, armPipelineOptions } from "../../src/azure/arm-options.ts";

const URL_OF_TEMPLATE =
  "https://management.azure.com/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t1?api-version=2025-10-01";

/** An HttpClient that answers each request with the next of `answers` (a status and headers), recording what it was sent. */
function fakeClient(answers: { status: number; headers?: Record<string, string>; body?: string }[]): HttpClient & { sent: PipelineRequest[] } {
  const sent: PipelineRequest[] = [];
  return {
    sent,
    async sendRequest(request): Promise<PipelineResponse> {
      sent.push(request);
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)]!;
      return { request, status: answer.status, headers: createHttpHeaders(answer.headers ?? {}), bodyAsText: answer.body ?? "" };
    },
  };
}

describe("armCallLogPolicy", () => {
  it("logs method, path with api-version, status, duration and both request IDs, and passes the response on", async () => {
    const lines: string[] = [];
    let clock = 1000;
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(
      armCallLogPolicy(
        (m) => lines.push(m),
        () => clock,
      ),
    );
    pipeline.addPolicy({
      name: "advance-clock",
      sendRequest: async (request, next) => {
        clock += 37;
        return next(request);
      },
    });
    const client = fakeClient([{ status: 200, headers: { "x-ms-request-id": "req-1", "x-ms-correlation-request-id": "corr-1" } }]);
    const response = await pipeline.sendRequest(client, createPipelineRequest({ url: URL_OF_TEMPLATE, method: "GET" }));
    assert.equal(response.status, 200);
    assert.deepEqual(lines, [
      "Azure GET /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t1?api-version=2025-10-01 → 200 in 37 ms (x-ms-request-id: req-1, x-ms-correlation-request-id: corr-1)",
    ]);
  });

  it("never logs a query secret, a header or a body: a SAS URL keeps only its parameter names", async () => {
    const lines: string[] = [];
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(armCallLogPolicy((m) => lines.push(m)));
    const request = createPipelineRequest({ url: "https://st.blob.core.windows.net/c/customization.log?sv=2022-11-02&sig=TOPSECRETSIG", method: "GET" });
    request.headers.set("authorization", "Bearer eyJTOPSECRETTOKEN");
    await pipeline.sendRequest(fakeClient([{ status: 206, body: "TOPSECRETBODY" }]), request);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^Azure GET \/c\/customization\.log\?sv=\*\*\*&sig=\*\*\* → 206 in \d+ ms$/);
    assert.doesNotMatch(lines[0]!, /TOPSECRET/);
  });

  it("a request with no answer logs its error code and is rethrown unchanged", async () => {
    const lines: string[] = [];
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(armCallLogPolicy((m) => lines.push(m)));
    const refused = new RestError("connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED" });
    const client: HttpClient = { sendRequest: async () => Promise.reject(refused) };
    await assert.rejects(pipeline.sendRequest(client, createPipelineRequest({ url: URL_OF_TEMPLATE, method: "DELETE" })), (error) => error === refused);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^Azure DELETE \/subscriptions\/.*\/imageTemplates\/t1\?api-version=2025-10-01 → no answer \(ECONNREFUSED\) after \d+ ms: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });
});

describe("armPipelineOptions with a Host-like { info, debug }", () => {
  it("logs every attempt of a throttled call at debug, and the throttle once per retry at info", async () => {
    const info: string[] = [];
    const debug: string[] = [];
    // A Host is a valid `log`: its methods are called as methods.
    const host = {
      lines: { info, debug },
      info(m: string) {
        this.lines.info.push(m);
      },
      debug(m: string) {
        this.lines.debug.push(m);
      },
    };
    const options = armPipelineOptions(host);
    const pipeline = createPipelineFromOptions({ retryOptions: { ...options.retryOptions, retryDelayInMs: 1, maxRetryDelayInMs: 1 } });
    for (const { policy, position } of options.additionalPolicies) pipeline.addPolicy(policy, position === "perRetry" ? { afterPhase: "Retry" } : {});
    const client = fakeClient([
      { status: 429, headers: { "retry-after-ms": "1", "x-ms-request-id": "r1" }, body: JSON.stringify({ error: { code: "TooManyRequests" } }) },
      { status: 200, headers: { "x-ms-request-id": "r2", "x-ms-correlation-request-id": "c2" } },
    ]);
    const response = await pipeline.sendRequest(client, createPipelineRequest({ url: URL_OF_TEMPLATE, method: "PUT" }));
    assert.equal(response.status, 200);
    assert.equal(client.sent.length, 2);
    assert.equal(debug.length, 2, debug.join("\n"));
    assert.match(debug[0]!, /^Azure PUT \/subscriptions\/.*\/imageTemplates\/t1\?api-version=2025-10-01 → 429 in \d+ ms \(x-ms-request-id: r1\)$/);
    assert.match(debug[1]!, /→ 200 in \d+ ms \(x-ms-request-id: r2, x-ms-correlation-request-id: c2\)$/);
    assert.equal(info.length, 1);
    assert.match(info[0]!, /^Azure throttled PUT .* \(429 TooManyRequests\): retrying after 0\.001 s \(retry 1 of 12\)\.$/);
  });

  it("a function is the info channel alone: no debug lines", () => {
    const names = armPipelineOptions(() => undefined).additionalPolicies.map((p) => p.policy.name);
    assert.deepEqual(names, ["avdImageArmReachability", "avdImageThrottleLog"]);
    assert.deepEqual(
      armPipelineOptions({ debug: () => undefined }).additionalPolicies.map((p) => p.policy.name),
      ["avdImageArmReachability", "avdImageArmCallLog"],
    );
  });
});
