/**
 * examples/ (and the project's own .github/workflows/): every GitHub workflow validates against the
 * vendored SchemaStore github-workflow schema, every step of this action uses only inputs action.yml
 * declares, and each example shows what it is there for. The Azure DevOps pipeline uses the task's name
 * and inputs from task.json (before task.json exists: AvdImageBuilder@0 and action.yml's camelCase twins).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { parseSchedule } from "../../src/schedule.ts";
import { actionInputs, actionSteps, bicepOutputs, camel, githubWorkflowFiles, kebab, read, readmeSection, root, variableOf } from "./kit-helpers.ts";

const ajv = new Ajv({ strict: false, allErrors: true });
const validateWorkflow = ajv.compile(JSON.parse(read("__tests__/fixtures/schemas/github-workflow.schema.json")) as object);

/** Schema errors of a workflow, one line each (empty when valid). */
function schemaErrors(workflow: unknown): string[] {
  return validateWorkflow(workflow) ? [] : (validateWorkflow.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

/** `with:` keys of this action's steps that action.yml does not declare, as "file job: key". */
function unknownInputs(file: string, workflow?: unknown): string[] {
  const inputs = actionInputs();
  return actionSteps(file, workflow as Parameters<typeof actionSteps>[1]).flatMap((step) =>
    Object.keys(step.with)
      .filter((key) => !inputs.has(key))
      .map((key) => `${step.file} ${step.job}: ${key}`),
  );
}

type Job = {
  environment?: string;
  needs?: string | string[];
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: unknown };
};
type Workflow = {
  on: { schedule?: { cron: string }[]; workflow_dispatch?: unknown };
  permissions?: Record<string, string>;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job & { steps: { uses?: string; with?: Record<string, unknown>; run?: string }[] }>;
};
const workflow = (file: string) => parse(read(file)) as Workflow;

describe("example workflows", () => {
  const files = githubWorkflowFiles();

  it("are there: the monthly build, the matrix, the staged rollout, and CI", () => {
    for (const file of ["examples/patch-tuesday.yml", "examples/matrix.yml", "examples/staged-rollout.yml", ".github/workflows/ci.yml"]) {
      assert.ok(files.includes(file), `${file} is missing`);
    }
  });

  for (const file of files) {
    it(`${file} validates against the GitHub workflow schema`, () => {
      assert.deepEqual(schemaErrors(workflow(file)), []);
    });
  }

  it("the schema check catches a broken workflow (a job without runs-on, a misspelt key)", () => {
    const broken = workflow("examples/patch-tuesday.yml") as unknown as { jobs: { build: Record<string, unknown> } } & Record<string, unknown>;
    delete broken.jobs.build["runs-on"];
    broken.permisions = { "id-token": "write" };
    const errors = schemaErrors(broken);
    assert.ok(
      errors.some((e) => /runs-on/.test(e)),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => /additional properties/.test(e)),
      errors.join("\n"),
    );
  });

  it("every step of this action uses only inputs action.yml declares", () => {
    const steps = files.flatMap((file) => actionSteps(file));
    assert.ok(steps.length >= 3, "the examples use the action");
    assert.deepEqual(
      files.flatMap((file) => unknownInputs(file)),
      [],
    );
    for (const step of steps) assert.match(step.uses, /^org\/avd-image-action@v1$/, `${step.file}: pin the major version like the README`);
  });

  it("the input check catches an unknown input", () => {
    const edited = workflow("examples/patch-tuesday.yml");
    edited.jobs.build!.steps.find((s) => s.uses?.includes("avd-image-action@"))!.with!["keep-version"] = 3;
    assert.deepEqual(unknownInputs("examples/patch-tuesday.yml", edited), ["examples/patch-tuesday.yml build: keep-version"]);
  });

  it("every steps.<id>.outputs.<name> of this action's steps is an output action.yml declares (and the check catches one that is not)", () => {
    const declared = new Set(Object.keys((parse(read("action.yml")) as { outputs: Record<string, unknown> }).outputs));
    const undeclared = (file: string, text: string) => {
      const ids = Object.values(workflow(file).jobs).flatMap((job) =>
        job.steps.filter((st) => st.uses?.includes("avd-image-action@") && (st as { id?: string }).id).map((st) => (st as { id: string }).id),
      );
      return ids.flatMap((id) =>
        [...text.matchAll(new RegExp(`steps\\.${id}\\.outputs\\.([\\w-]+)`, "g"))].map((m) => m[1]!).filter((name) => !declared.has(name)),
      );
    };
    for (const file of files.filter((f) => f.startsWith("examples/"))) assert.deepEqual(undeclared(file, read(file)), [], file);
    assert.deepEqual(undeclared("examples/patch-tuesday.yml", read("examples/patch-tuesday.yml").replace("outputs.manifest-path", "outputs.manifest-file")), [
      "manifest-file",
    ]);
  });

  it("the monthly build keeps the manifest with actions/upload-artifact and posts the changelog with Slack's own action on success and failure; the staged rollout says staged", () => {
    const steps = workflow("examples/patch-tuesday.yml").jobs.build!.steps;
    const upload = steps.find((st) => st.uses?.startsWith("actions/upload-artifact@"))!;
    assert.equal(upload.with!.path, "${{ steps.image.outputs.manifest-path }}");
    const notify = steps.find((st) => st.uses?.startsWith("slackapi/slack-github-action@"))! as { if?: string; with: Record<string, string> };
    assert.match(notify.if!, /always\(\)/, "also when the build failed");
    assert.match(notify.with.payload!, /steps\.image\.outputs\.changelog/);
    assert.match(notify.with.payload!, /'published' \|\| 'FAILED'/);
    const staged = read("examples/staged-rollout.yml");
    assert.match(staged, /slackapi\/slack-github-action@v2[\s\S]*staged, excluded from latest: waiting for promotion[\s\S]*steps\.image\.outputs\.changelog/);
    assert.match(read("examples/azure-pipelines.yml"), /PublishPipelineArtifact@1[\s\S]*targetPath: \$\(image\.manifestPath\)/);
  });

  it("the monthly build: daily cron + the Patch Tuesday guard, a manual override, OIDC permission, a concurrency group that never cancels a build", () => {
    const w = workflow("examples/patch-tuesday.yml");
    assert.match(w.on.schedule![0]!.cron, /^\d+ \d+ \* \* (\*|\d)$/, "a daily or weekly cron");
    assert.ok("workflow_dispatch" in w.on);
    assert.equal(w.permissions?.["id-token"], "write");
    assert.ok(typeof w.concurrency === "object" && w.concurrency.group.includes("AVD_IMAGE_DEFINITION") && w.concurrency["cancel-in-progress"] === false);
    const [step] = actionSteps("examples/patch-tuesday.yml");
    assert.ok(parseSchedule(String(step!.with.schedule)), `schedule '${String(step!.with.schedule)}' is not patch-tuesday+N`);
  });

  it("every example builds on a schedule guarded by patch-tuesday+N, can be started by hand, asks for id-token: write, and builds in a concurrency group that never cancels a build", () => {
    for (const file of files.filter((f) => f.startsWith("examples/"))) {
      const w = workflow(file);
      assert.ok(w.on.schedule?.length && "workflow_dispatch" in w.on, file);
      assert.equal(w.permissions?.["id-token"], "write", file);
      for (const step of actionSteps(file).filter((s) => (s.with.mode ?? "build") === "build")) {
        assert.ok(parseSchedule(String(step.with.schedule)), `${file} ${step.job}: a build step without the patch-tuesday+N guard`);
      }
      assert.doesNotMatch(read(file), /cancel-in-progress: true/, file);
      for (const [name, job] of Object.entries(w.jobs)) {
        const builds = actionSteps(file).some((s) => s.job === name && (s.with.mode ?? "build") === "build");
        if (builds) assert.ok(job.concurrency ?? w.concurrency, `${file} ${name}: no concurrency group`);
      }
    }
  });

  it("the matrix builds several image definitions, each in its own concurrency group", () => {
    const w = workflow("examples/matrix.yml");
    const job = w.jobs.build!;
    const include = (job.strategy!.matrix as { include: { "image-definition": string }[] }).include;
    assert.ok(include.length >= 2 && new Set(include.map((i) => i["image-definition"])).size === include.length);
    assert.equal(actionSteps("examples/matrix.yml")[0]!.with["image-definition"], "${{ matrix.image-definition }}");
    assert.match(JSON.stringify(job.concurrency), /matrix\.image-definition/);
  });

  it("the staged rollout builds excluded from latest, validates, then promotes in an approval environment", () => {
    const w = workflow("examples/staged-rollout.yml");
    const [build] = actionSteps("examples/staged-rollout.yml");
    assert.equal(build!.with["exclude-from-latest"], true);
    assert.deepEqual([w.jobs.validate!.needs].flat(), ["build"]);
    assert.deepEqual([w.jobs.promote!.needs].flat().sort(), ["build", "validate"]);
    assert.ok(w.jobs.promote!.environment && w.jobs.promote!.environment !== w.jobs.build!.environment, "promote waits in its own environment");
    const promote = actionSteps("examples/staged-rollout.yml").find((s) => s.job === "promote");
    assert.equal(promote?.with.mode, "promote");
    assert.equal(promote?.with.version, "${{ needs.build.outputs.version }}", "promotes the version this run built");
    assert.ok(Number(promote?.with["promote-after-days"]) > 0, "after N days");
  });

  it("the examples read only the variables setup.sh stores (AVD_<INPUT> for each output of setup)", () => {
    const stored = new Set(bicepOutputs(read("setup/main.bicep")).map((o) => variableOf(kebab(o.name))));
    for (const file of files.filter((f) => f.startsWith("examples/"))) {
      for (const m of read(file).matchAll(/\bvars\.(\w+)/g)) assert.ok(stored.has(m[1]!), `${file} reads vars.${m[1]}, which setup does not store`);
    }
  });
});

describe("Azure DevOps example pipeline", () => {
  type Task = { task: string; inputs: Record<string, unknown> };
  type Job = {
    job: string;
    pool?: unknown;
    dependsOn?: string | string[];
    condition?: string;
    timeoutInMinutes?: number;
    steps: (Task | Record<string, unknown>)[];
  };
  type Pipeline = {
    trigger: string;
    pr: string;
    schedules: { cron: string; always?: boolean }[];
    variables: ({ group: string } | { name: string; value: unknown })[];
    jobs: Job[];
  };
  const pipeline = () => parse(read("examples/azure-pipelines.yml")) as Pipeline;
  /** Steps running this project's task (its name, whatever task.json calls it, has "avd" and "image" in it). */
  const tasks = (p: Pipeline) => p.jobs.flatMap((j) => j.steps).filter((s): s is Task => /avd-?image/i.test(String((s as Task).task ?? "")));

  /** The task reference and input names the pipeline must use: task.json's, or action.yml's camelCase twins until it exists. */
  function taskContract(): { reference: string; inputs: Set<string> } {
    if (existsSync(new URL("task.json", root))) {
      const task = JSON.parse(read("task.json")) as { name: string; version: { Major: number }; inputs: { name: string; aliases?: string[] }[] };
      return { reference: `${task.name}@${task.version.Major}`, inputs: new Set(task.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])])) };
    }
    return { reference: "AvdImageBuilder@0", inputs: new Set([...actionInputs().keys()].map(camel).concat("azureSubscription")) };
  }
  const unknown = (p: Pipeline) => {
    const { inputs } = taskContract();
    return tasks(p).flatMap((t) => Object.keys(t.inputs).filter((key) => !inputs.has(key)));
  };

  it("is scheduled (daily cron, even without changes), not triggered by pushes, and guarded by patch-tuesday+N", () => {
    const p = pipeline();
    assert.equal(p.trigger, "none");
    assert.equal(p.pr, "none");
    assert.match(p.schedules[0]!.cron, /^\d+ \d+ \* \* \*$/);
    assert.equal(p.schedules[0]!.always, true);
    const [task] = tasks(p);
    assert.ok(parseSchedule(String(task!.inputs.schedule)));
  });

  it("uses the task by the name task.json gives it, with only its inputs", () => {
    const p = pipeline();
    assert.equal(tasks(p).length, 2, "submit and publish");
    for (const task of tasks(p)) {
      assert.equal(task.task, taskContract().reference);
      assert.ok("azureSubscription" in task.inputs, "the service connection");
    }
    assert.deepEqual(unknown(p), []);
  });

  it("no Microsoft-hosted agent holds the build: submit (wait: false), an agentless Delay of buildTimeoutMinutes, then publish (attach: true)", () => {
    const p = pipeline();
    const job = (name: string) => p.jobs.find((j) => j.job === name)!;
    const task = (j: Job) => j.steps.find((s): s is Task => /avd-?image/i.test(String((s as Task).task ?? "")))!;
    const [submit, wait, publish] = [job("submit"), job("wait"), job("publish")];
    assert.ok(submit && wait && publish, "jobs submit, wait, publish");
    // Agent jobs end well within the 60 minutes of a Microsoft-hosted agent in a private project.
    for (const j of [submit, publish]) assert.ok(j.pool === undefined && Number(j.timeoutInMinutes) <= 60, `${j.job}: agent job of at most 60 minutes`);
    assert.equal(task(submit).inputs.wait, false);
    assert.ok(parseSchedule(String(task(submit).inputs.schedule)), "submit keeps the Patch Tuesday guard");
    // The wait holds no agent: an agentless job with Delay@1, long enough for Image Builder to end the build.
    assert.equal(wait.pool, "server");
    assert.deepEqual([wait.dependsOn].flat(), ["submit"]);
    assert.match(wait.condition!, /dependencies\.submit\.outputs\['image\.runState'\], 'Running'/);
    const delay = wait.steps.find((s) => (s as Task).task === "Delay@1") as Task;
    const variable = (name: string) => (p.variables.find((v) => "name" in v && v.name === name) as { value: unknown } | undefined)?.value;
    const macro = (v: unknown) => (typeof v === "string" && /^\$\((\w+)\)$/.test(v) ? Number(variable(v.slice(2, -1))) : Number(v));
    const buildTimeout = macro(task(submit).inputs.buildTimeoutMinutes);
    assert.ok(buildTimeout >= 60, "a build timeout of hours");
    assert.ok(macro(delay.inputs.delayForMinutes) >= buildTimeout, "the delay outlasts Image Builder's own limit");
    assert.ok(Number(wait.timeoutInMinutes) > macro(delay.inputs.delayForMinutes), "the agentless job's timeout (default 60) is above the delay");
    // Publish attaches with the same target, no schedule guard (it may run past midnight), the same retention.
    assert.deepEqual([publish.dependsOn].flat(), ["wait"]);
    assert.equal(task(publish).inputs.attach, true);
    assert.equal(task(publish).inputs.schedule, undefined);
    for (const key of ["azureSubscription", "resourceGroup", "location", "galleryName", "imageDefinition", "identityId", "keepVersions", "keepDays"]) {
      assert.equal(task(publish).inputs[key], task(submit).inputs[key], `publish: ${key} as in submit`);
    }
  });

  it("reads only output variables the task sets", () => {
    const outputs = existsSync(new URL("task.json", root))
      ? new Set((JSON.parse(read("task.json")) as { outputVariables: { name: string }[] }).outputVariables.map((o) => o.name))
      : new Set(Object.keys((parse(read("action.yml")) as { outputs: Record<string, unknown> }).outputs).map(camel));
    const text = read("examples/azure-pipelines.yml");
    const step = /^ {8}name: (\w+)$/m.exec(text)![1]!;
    const used = [...text.matchAll(new RegExp(`\\$\\(${step}\\.(\\w+)\\)|(?:variables|outputs)\\['${step}\\.(\\w+)'\\]`, "g"))].map((m) => m[1] ?? m[2]!);
    assert.ok(used.length >= 2);
    for (const name of used) assert.ok(outputs.has(name), `$(${step}.${name}) is no output variable of the task`);
  });

  it("the README explains the split for Microsoft-hosted agents and self-hosted agents as the alternative", () => {
    const text = readmeSection("Azure DevOps");
    assert.match(text, /60 minutes[\s\S]*self-hosted agent[\s\S]*`wait: false`[\s\S]*`pool: server`[\s\S]*`Delay@1`[\s\S]*`attach: true`/);
  });

  it("the input check catches an unknown input", () => {
    const p = pipeline();
    tasks(p)[0]!.inputs["keep-versions"] = 3;
    assert.deepEqual(unknown(p), ["keep-versions"]);
  });
});
