/**
 * main()'s seam: an in-process caller injects the services, the clock and the stage, and reads what the
 * run told its host from a recording host. Nothing here signs in or talks to Azure.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AzureGateway } from "../../src/azure/gateway.ts";
import { main } from "../../src/main.ts";
import type { Services } from "../../src/services.ts";
import { BUILD_STATE } from "../../src/steps/build.ts";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";
import { createRecordingHost } from "../fakes/recording-host.ts";
import { validInputs } from "../helpers/inputs.ts";

const signal = new AbortController().signal;

describe("main(host, signal, options)", () => {
  it("refuses a bad input through the host (setFailed naming the input, a failure summary) without making any service", async () => {
    const host = createRecordingHost({ inputs: validInputs({ "keep-versions": "-1" }) });
    let made = 0;
    const code = await main(host, signal, {
      services: () => {
        made++;
        return {} as Services;
      },
    });
    assert.equal(code, 1);
    assert.equal(made, 0);
    assert.match(host.failed ?? "", /keep-versions/);
    assert.match(host.summary, /keep-versions/);
    assert.equal(host.state.isPost, "true", "the main step marks the post step");
  });

  it("labels inputs camelCase in an Azure DevOps host", async () => {
    const host = createRecordingHost({ kind: "azure-pipelines", inputs: validInputs({ "keep-versions": "-1" }) });
    assert.equal(await main(host, signal, { services: () => ({}) as Services }), 1);
    assert.match(host.failed ?? "", /keepVersions/);
    assert.doesNotMatch(host.failed ?? "", /keep-versions/);
  });

  it("reads the injected clock: a scheduled promotion off its build day is skipped, on it the services are made", async () => {
    const inputs = validInputs({ mode: "promote", schedule: "patch-tuesday+1" });
    const off = createRecordingHost({ inputs });
    assert.equal(await main(off, signal, { now: () => new Date("2027-03-20T06:00:00Z"), services: () => assert.fail("no service on a skipped day") }), 0);
    assert.equal(off.outputs["run-state"], "Skipped");
    assert.equal(off.outputs.skipped, "true");
    assert.match(off.messages("notice").join("\n"), /Skipped: schedule is patch-tuesday\+1: this month's build day is 2027-03-10/);

    const on = createRecordingHost({ inputs });
    let made = 0;
    const failing = { listImageVersions: async () => [] } as unknown as AzureGateway;
    await main(on, signal, {
      now: () => new Date("2027-03-10T06:00:00Z"),
      services: () => {
        made++;
        return { azure: failing } as Services;
      },
    });
    assert.equal(made, 1);
    assert.match(on.failed ?? "", /has no staged version/);
  });

  it("the post stage cancels a build the main step left running, through the injected gateway, and never fails", async () => {
    const canceled: string[] = [];
    const azure = {
      getTemplate: async (_rg: string, name: string) => ({ name, location: "westeurope", lastRunStatus: { runState: "Running" } }),
      cancelRun: async (_rg: string, name: string) => void canceled.push(name),
    } as unknown as AzureGateway;
    const host = createRecordingHost({
      inputs: validInputs(),
      state: { [BUILD_STATE]: JSON.stringify({ resourceGroup: "rg-avd-images", templateName: "tpl-1" }) },
    });
    const stages: string[] = [];
    const code = await main(host, signal, {
      stage: "post",
      services: (_s, _h, stage) => {
        stages.push(stage);
        return { azure } as Services;
      },
    });
    assert.equal(code, 0);
    assert.deepEqual(canceled, ["tpl-1"]);
    assert.deepEqual(stages, ["post"]);
    assert.match(host.messages("warning").join("\n"), /asked Image Builder to cancel it/);
  });

  it("post step on the fakes: a killed main step's running build is canceled; a build that ended is left alone; a failing read is a warning, never a failure", async () => {
    const world = fakeWorld();
    world.azure.scriptBuilds({ end: "running" });
    await runMain(world, { wait: "false" }); // the main step submitted the build; then its runner was killed
    const templateName = world.azure.templatesIn("rg-avd-images").find((t) => t.lastRunStatus?.runState === "Running")!.name!;
    const state = { isPost: "true", [BUILD_STATE]: JSON.stringify({ resourceGroup: "rg-avd-images", templateName }) };

    const post = createRecordingHost({ inputs: validInputs(), state });
    assert.equal(await main(post, signal, { services: (s, h) => world.services(s, h) }), 0);
    assert.deepEqual(
      world.azure.callsOf("cancelRun").map((a) => a[1]),
      [templateName],
    );

    const again = createRecordingHost({ inputs: validInputs(), state });
    world.azure.failNext("getTemplate", new Error("connect ECONNRESET"));
    assert.equal(await main(again, signal, { services: (s, h) => world.services(s, h) }), 0);
    assert.match(again.messages("warning").join("\n"), /Post step: could not check for a build left running: connect ECONNRESET/);
    assert.equal(again.failed, undefined);

    const after = createRecordingHost({ inputs: validInputs(), state });
    assert.equal(await main(after, signal, { services: (s, h) => world.services(s, h) }), 0);
    assert.equal(world.azure.callsOf("cancelRun").length, 1, "Canceled now: nothing more to cancel");
  });
});
