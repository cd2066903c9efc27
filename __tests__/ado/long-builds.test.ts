/**
 * examples/azure-pipelines.yml, run as written against the emulator: the `submit` job's task step
 * (`wait: false`) ends while the build still runs, so no agent waits for it; after the agentless Delay,
 * the `publish` job's step (`attach: true`, no schedule guard) follows the build to its end and
 * publishes, tags and prunes. The inputs are the example's, with `$(AVD_*)` from the variable group
 * (the emulator's names), `$(buildTimeoutMinutes)` from the pipeline's variables, and the service
 * connection `avd-images` a workload identity federation connection of the emulated organization.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { runTask } from "../../harness/ado-agent.ts";
import { read } from "../kit/kit-helpers.ts";
import { type AdoScenario, startAdoScenario } from "./scenario.ts";

type Task = { task: string; inputs: Record<string, unknown> };
type Pipeline = { variables: ({ group: string } | { name: string; value: unknown })[]; jobs: { job: string; steps: (Task | Record<string, unknown>)[] }[] };

describe("examples/azure-pipelines.yml: submit, wait on the server, publish", () => {
  let s: AdoScenario;
  before(async () => (s = await startAdoScenario()));
  after(() => s.emu.close());

  /** The example's task inputs of `job`, as the agent would expand them. */
  function exampleInputs(job: string, connectionId: string): Record<string, string> {
    const p = parse(read("examples/azure-pipelines.yml")) as Pipeline;
    const step = p.jobs.find((j) => j.job === job)!.steps.find((x): x is Task => /AvdImageBuilder@/.test(String((x as Task).task)))!;
    const group: Record<string, string> = {
      AVD_RESOURCE_GROUP: s.avd.resourceGroup,
      AVD_LOCATION: s.avd.location,
      AVD_GALLERY_NAME: s.avd.gallery,
      AVD_IMAGE_DEFINITION: s.avd.imageDefinition,
      AVD_IDENTITY_ID: s.avd.identityId,
    };
    for (const v of p.variables) if ("name" in v) group[v.name] = String(v.value);
    const inputs: Record<string, string> = { pollIntervalSeconds: "1" };
    for (const [key, value] of Object.entries(step.inputs)) {
      inputs[key] = String(value).replace(/\$\((\w+)\)/g, (_, name: string) => {
        assert.ok(name in group, `$(${name}) is no variable of the group or the pipeline`);
        return group[name]!;
      });
    }
    assert.equal(inputs.azureSubscription, "avd-images");
    inputs.azureSubscription = connectionId;
    return inputs;
  }

  it("submit ends while Image Builder builds; publish attaches after the delay and publishes 1.0.0", async () => {
    const connection = await s.connection("workloadIdentity", "avd-images");
    const env = { NODE_EXTRA_CA_CERTS: s.emu.caFile };
    // A scheduled run on another day would skip (the Patch Tuesday guard); queued by hand, it builds.
    const job = { ...s.job, buildReason: "Manual" };
    s.emu.nextBuild({ phaseDurationsMs: { Customizing: 2500, Distributing: 500 } });

    const submit = await runTask(exampleInputs("submit", connection.id), [connection], job, { env });
    assert.equal(submit.exitCode, 0, submit.stdout + submit.stderr);
    assert.equal(submit.result?.result, "Succeeded");
    assert.equal(submit.outputs.runState, "Running", "the condition of the wait job reads this");
    const [template] = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup);
    assert.equal(
      (template!.properties as { lastRunStatus: { runState: string } }).lastRunStatus.runState,
      "Running",
      "the submit job ended while the build runs",
    );
    assert.equal(s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).length, 0);

    // (The agentless Delay@1 job waits here on the server.) The publish job attaches, the next day for all it knows.
    const publish = await runTask(exampleInputs("publish", connection.id), [connection], { ...s.job, buildReason: "Schedule" }, { env });
    assert.equal(publish.exitCode, 0, publish.stdout + publish.stderr);
    assert.equal(publish.result?.result, "Succeeded");
    assert.equal(publish.outputs.imageVersion, "1.0.0");
    assert.equal(publish.outputs.runState, "Succeeded");
    assert.equal(publish.outputs.templateName, template!.name);
    const [version] = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition);
    assert.equal(version?.name, "1.0.0");
    assert.equal(version?.tags["avd-image-action.managed"], "true");
  });
});
