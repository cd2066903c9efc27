/**
 * The Azure DevOps pipelines we show (examples/azure-pipelines.yml and the README's Azure DevOps YAML
 * blocks) against the Azure Pipelines YAML schema — the part of it they use, every mapping closed
 * (__tests__/fixtures/schemas/azure-pipelines.subset.schema.json, written from Microsoft's YAML schema
 * reference) — and against the rules the schema cannot say: jobs named once, `dependsOn` and
 * `dependencies.<job>.outputs['<step>.<variable>']` naming jobs, steps and output variables that exist,
 * agentless jobs (`pool: server`) running only agentless tasks. A broken copy fails each check.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { read, readmeSection, root } from "./kit-helpers.ts";

const ajv = new Ajv({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(read("__tests__/fixtures/schemas/azure-pipelines.subset.schema.json")) as object);

/**
 * Tasks an agentless job may run (Microsoft Learn, "Specify jobs in your pipeline" > agentless jobs:
 * Delay, Invoke Azure Function, Invoke REST API, Manual Validation, Publish To Azure Service Bus, Query
 * Azure Monitor alerts, Query work items).
 */
const AGENTLESS_TASKS = /^(Delay|AzureFunction|InvokeRESTAPI|ManualValidation|PublishToAzureServiceBus|AzureMonitor|queryWorkItems)@\d+$/i;

type Step = { task?: string; script?: string; checkout?: string; name?: string; inputs?: Record<string, unknown> };
type Job = { job: string; pool?: unknown; dependsOn?: string | string[]; condition?: string; steps: Step[] };
type Pipeline = { jobs?: Job[]; steps?: Step[] };

/** Every problem of a pipeline, one line each: schema errors first, then the rules above. */
function pipelineErrors(pipeline: unknown): string[] {
  if (!validate(pipeline)) return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${e.params ? JSON.stringify(e.params) : ""}`);
  const errors: string[] = [];
  const jobs = (pipeline as Pipeline).jobs ?? [];
  const task = JSON.parse(read("task.json")) as { name: string; version: { Major: number }; outputVariables: { name: string }[] };
  const ours = `${task.name}@${task.version.Major}`;
  const seen = new Map<string, Job>();
  for (const job of jobs) {
    if (seen.has(job.job)) errors.push(`job ${job.job} is defined twice`);
    const needs = [job.dependsOn ?? []].flat();
    for (const dep of needs) if (!seen.has(dep)) errors.push(`job ${job.job}: dependsOn ${dep}, which is no earlier job`);
    for (const m of (job.condition ?? "").matchAll(/dependencies\.(\w+)\.outputs\['(\w+)\.(\w+)'\]/g)) {
      const [, dep, step, variable] = m as unknown as [string, string, string, string];
      const source = seen.get(dep);
      if (!needs.includes(dep) || !source) {
        errors.push(`job ${job.job}: reads dependencies.${dep}, not in its dependsOn`);
        continue;
      }
      const producer = source.steps.find((s) => s.name === step);
      if (!producer) errors.push(`job ${job.job}: job ${dep} has no step named ${step}`);
      else if (producer.task === ours && !task.outputVariables.some((o) => o.name === variable))
        errors.push(`job ${job.job}: ${ours} sets no output variable ${variable}`);
    }
    if ((job.condition ?? "").split("(").length !== (job.condition ?? "").split(")").length) errors.push(`job ${job.job}: unbalanced parentheses in condition`);
    if (job.pool === "server") {
      for (const step of job.steps) {
        if (!step.task || !AGENTLESS_TASKS.test(step.task))
          errors.push(`job ${job.job} is agentless (pool: server): ${step.task ?? Object.keys(step)[0]} needs an agent`);
        if (step.task && /^Delay@1$/.test(step.task) && Object.keys(step.inputs ?? {}).some((k) => k !== "delayForMinutes"))
          errors.push(`job ${job.job}: Delay@1 takes only delayForMinutes`);
      }
    }
    seen.set(job.job, job);
  }
  return errors;
}

/** The README's Azure DevOps YAML blocks that run the task. */
function readmePipelines(): string[] {
  return [...readmeSection("Azure DevOps").matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((t) => /task: AvdImageBuilder@/.test(t));
}

describe("Azure DevOps pipelines we show, against the Azure Pipelines YAML schema", () => {
  const files = readdirSync(new URL("examples/", root))
    .filter((f) => /^azure-pipelines.*\.ya?ml$/.test(f))
    .map((f) => `examples/${f}`);
  it("examples/ has the Azure DevOps pipeline", () => assert.ok(files.includes("examples/azure-pipelines.yml")));
  for (const file of files) {
    it(file, () => {
      assert.deepEqual(pipelineErrors(parse(read(file))), []);
    });
  }

  it("the README's Azure DevOps blocks", () => {
    const blocks = readmePipelines();
    assert.ok(blocks.length >= 1);
    for (const block of blocks) assert.deepEqual(pipelineErrors(parse(block)), [], block);
  });

  it("negative controls: a misspelt key, a step with task and script, a script in an agentless job, an unknown dependsOn, a missing output variable", () => {
    const example = () => parse(read("examples/azure-pipelines.yml")) as Pipeline & { jobs: (Job & Record<string, unknown>)[] };
    const job = (p: Pipeline, name: string) => p.jobs!.find((j) => j.job === name)!;

    const misspelt = example();
    (job(misspelt, "submit") as unknown as Record<string, unknown>).timeoutInMinute = 30;
    assert.match(pipelineErrors(misspelt).join("\n"), /additional properties/);

    const both = example();
    job(both, "publish").steps.find((s) => s.task)!.script = "echo";
    assert.ok(pipelineErrors(both).length > 0);

    const scriptOnServer = example();
    job(scriptOnServer, "wait").steps.push({ script: "sleep 3600" });
    assert.match(pipelineErrors(scriptOnServer).join("\n"), /agentless \(pool: server\): script needs an agent/);

    const unknownJob = example();
    job(unknownJob, "publish").dependsOn = "waiting";
    assert.match(pipelineErrors(unknownJob).join("\n"), /dependsOn waiting, which is no earlier job/);

    const noSuchOutput = example();
    job(noSuchOutput, "wait").condition = "eq(dependencies.submit.outputs['image.runStatus'], 'Running')";
    assert.match(pipelineErrors(noSuchOutput).join("\n"), /sets no output variable runStatus/);

    const badCron = example() as unknown as { schedules: { cron: string }[] };
    badCron.schedules[0]!.cron = "daily";
    assert.ok(pipelineErrors(badCron).length > 0);
  });
});
