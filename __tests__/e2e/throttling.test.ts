/**
 * Throttling storms: 10 consecutive 429s with `Retry-After: 1` on a list, a GET, a PATCH and an LRO poll.
 * The SDK's default retry policy gives up after 3; the action's `retryOptions` (src/azure/arm-options.ts)
 * ride them out, and each throttle is logged once with its wait. Every run ends in a published, tagged
 * version. Three storms run at once on three image definitions; the LRO-poll storm runs alone (the poll
 * URL does not name the definition).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FaultSpec } from "../../emulator/index.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const STORM = 10;

describe("throttling storms, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
    for (const name of ["storm-list", "storm-get", "storm-patch", "storm-poll"]) {
      s.emu.seedAvdImageDefinition(name);
    }
  });
  after(() => s.emu.close());

  /** Runs the action for `definition` with `fault` injected STORM times, and checks the published, tagged version. */
  async function weather(definition: string, fault: Omit<FaultSpec, "kind" | "times" | "retryAfterSeconds">) {
    const handle = s.emu.injectFault({ ...fault, kind: "throttle", times: STORM, retryAfterSeconds: 1 });
    const run = await s.run({ "image-definition": definition, "inline-script": `Write-Host '${definition}'` });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(handle.hits, STORM, `${definition}: all ${STORM} throttles were answered`);
    const throttleLines = run.stdout
      .split("\n")
      .filter((line) => /Azure throttled .*\(429 SubscriptionRequestsThrottled\): retrying after 1 s \(retry \d+ of 12\)/.test(line));
    assert.equal(throttleLines.length, STORM, `${definition}: each throttle logged once:\n${throttleLines.join("\n")}`);
    assert.equal(run.outputs["run-state"], "Succeeded");
    const versions = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, definition);
    assert.deepEqual(
      versions.map((v) => v.name),
      [run.outputs["image-version"]],
    );
    const tags = versions[0]!.tags;
    assert.equal(tags["avd-image-action.managed"], "true", JSON.stringify(tags));
    assert.equal(tags["avd-image-action.template"], run.outputs["template-name"]);
    assert.ok(tags["avd-image-action.build-end"], "build-end tag set");
    return run;
  }

  it(`${STORM} consecutive 429s (Retry-After: 1) on a list, a GET and a PATCH: each run publishes a tagged version`, async () => {
    const started = Date.now();
    await Promise.all([
      weather("storm-list", { method: "GET", path: /\/images\/storm-list\/versions\?/i }),
      weather("storm-get", { method: "GET", path: /\/imageTemplates\/storm-get-[0-9a-f]+\?/i }),
      weather("storm-patch", { method: "PATCH", path: /\/images\/storm-patch\/versions\/[\d.]+\?/i }),
    ]);
    assert.ok(Date.now() - started >= STORM * 1000, "the SDK waited Retry-After each time");
  });

  it(`${STORM} consecutive 429s on an LRO poll (the template PUT's operation status): the run publishes a tagged version`, async () => {
    await weather("storm-poll", { method: "GET", path: /\/providers\/Microsoft\.VirtualMachineImages\/locations\/[^/]+\/operations\//i });
  });
});
