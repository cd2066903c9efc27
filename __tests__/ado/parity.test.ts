/**
 * The Azure DevOps task's contract: task.json and vss-extension.json validate against their vendored
 * schemas, task.json and action.yml declare the same inputs (camelCase twins), defaults and outputs,
 * the versions follow package.json, and the README documents the task.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { parse } from "yaml";
import { AZURE_CLOUDS } from "../../src/cloud.ts";
import { OUTPUT_NAMES } from "../../src/report.ts";
import { INPUT_DEFAULTS } from "../../src/settings/index.ts";
import { VERSION_STRATEGIES } from "../../src/versioning.ts";

/** ajv-draft-04 is CommonJS: its class is the module and, for TypeScript, its `default`. */
const Ajv04 = AjvDraft04.default;

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
interface TaskInput {
  name: string;
  type: string;
  label: string;
  defaultValue?: string | boolean;
  required?: boolean;
  helpMarkDown?: string;
  groupName?: string;
  options?: Record<string, string>;
}
interface TaskJson {
  name: string;
  version: { Major: number; Minor: number; Patch: number };
  inputs: TaskInput[];
  outputVariables: { name: string; description?: string }[];
  execution: Record<string, { target: string }>;
  groups: { name: string }[];
  instanceNameFormat: string;
  minimumAgentVersion: string;
}

/** The task input / output variable name of an action.yml name: kebab-case → camelCase. */
const twin = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** action.yml inputs the task does not have, and why. */
const GITHUB_ONLY_INPUTS: Record<string, string> = {
  "client-id": "GitHub OIDC identity; on Azure DevOps the identity comes from the azureSubscription service connection",
  "tenant-id": "GitHub OIDC identity; on Azure DevOps the tenant comes from the azureSubscription service connection",
  "github-release": "GitHub releases of the image repository (with the job's token); an Azure DevOps pipeline keeps the manifest as a pipeline artifact instead",
  "github-token": "the token github-release writes releases with; only GitHub has a job token for its repository",
  audience:
    "audience of the GitHub OIDC token; on Azure DevOps the service connection's workload identity federation (AzurePipelinesCredential, System.OidcRequestUri) mints the token and its audience, and its federated credential is made for that",
};
/** task.json inputs the action does not have, and why. */
const ADO_ONLY_INPUTS: Record<string, string> = {
  azureSubscription: "the AzureRM service connection: Azure DevOps' way to hand a task an identity",
};
/** Inputs required in action.yml but optional in task.json, and why. */
const OPTIONAL_IN_TASK: Record<string, string> = {
  subscriptionId: "taken from the service connection when empty",
};

/** Every way task.json and action.yml disagree; empty when they are twins. */
function parityProblems(action: ActionYml, task: TaskJson): string[] {
  const problems: string[] = [];
  const taskInputs = new Map(task.inputs.map((i) => [i.name, i]));
  for (const [name, input] of Object.entries(action.inputs)) {
    if (name in GITHUB_ONLY_INPUTS) {
      if (taskInputs.has(twin(name))) problems.push(`'${name}' is listed as GitHub-only but task.json has '${twin(name)}'`);
      continue;
    }
    const t = taskInputs.get(twin(name));
    if (!t) {
      problems.push(`action.yml input '${name}' has no task.json input '${twin(name)}'`);
      continue;
    }
    const actionDefault = input.default ?? "";
    const taskDefault = t.defaultValue === undefined ? "" : String(t.defaultValue);
    if (actionDefault !== taskDefault) problems.push(`'${name}' defaults to '${actionDefault}' in action.yml but '${t.name}' to '${taskDefault}' in task.json`);
    const required = Boolean(input.required) && !(t.name in OPTIONAL_IN_TASK);
    if (required !== Boolean(t.required)) problems.push(`'${name}' is ${input.required ? "" : "not "}required in action.yml but '${t.name}' is ${t.required ? "" : "not "}required in task.json`);
  }
  const twins = new Set(Object.keys(action.inputs).map(twin));
  for (const t of task.inputs) {
    if (!twins.has(t.name) && !(t.name in ADO_ONLY_INPUTS)) problems.push(`task.json input '${t.name}' has no action.yml input`);
  }
  const outputs = new Set(task.outputVariables.map((o) => o.name));
  for (const name of Object.keys(action.outputs)) {
    if (!outputs.has(twin(name))) problems.push(`action.yml output '${name}' has no task.json output variable '${twin(name)}'`);
  }
  const actionOutputs = new Set(Object.keys(action.outputs).map(twin));
  for (const name of outputs) if (!actionOutputs.has(name)) problems.push(`task.json output variable '${name}' has no action.yml output`);
  return problems;
}

const action = () => parse(read("action.yml")) as ActionYml;
const task = () => JSON.parse(read("task.json")) as TaskJson;
const clone = <T>(value: T): T => structuredClone(value);

describe("Azure DevOps task: task.json, vss-extension.json, parity with action.yml", () => {
  it("task.json validates against the azure-pipelines task schema (draft-04), and a broken one does not", () => {
    const ajv = new Ajv04({ strict: false, unicodeRegExp: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(read("__tests__/fixtures/schemas/azure-pipelines-task.schema.json")));
    assert.ok(validate(task()), JSON.stringify(validate.errors, null, 2));
    const broken = clone(task());
    broken.inputs[0]!.name = "azure-subscription"; // the schema allows no hyphens in input names
    assert.equal(validate(broken), false);
  });

  it("vss-extension.json validates against the vss-extension schema, and a broken one does not", () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(read("__tests__/fixtures/schemas/vss-extension.schema.json")));
    const manifest = JSON.parse(read("vss-extension.json")) as Record<string, unknown>;
    assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
    assert.equal(validate({ ...manifest, categories: ["Azure Virtual Desktop"] }), false);
  });

  it("every action.yml input and output has its camelCase twin in task.json with the same default and required-ness (exceptions listed with their reason)", () => {
    assert.deepEqual(parityProblems(action(), task()), []);
  });

  it("the parity check fails when an input or output exists in only one of the two, or a default differs", () => {
    const a = action();
    const t = task();
    // Only what each change adds counts (the files themselves are checked by the test above).
    const baseline = new Set(parityProblems(a, t));
    const parityProblemsOf = (x: ActionYml, y: TaskJson) => parityProblems(x, y).filter((p) => !baseline.has(p));
    const addedToAction = clone(a);
    addedToAction.inputs["new-input"] = { description: "x", required: false, default: "" };
    assert.deepEqual(parityProblemsOf(addedToAction, t), ["action.yml input 'new-input' has no task.json input 'newInput'"]);

    const addedToTask = clone(t);
    addedToTask.inputs.push({ name: "newInput", type: "string", label: "x" });
    assert.deepEqual(parityProblemsOf(a, addedToTask), ["task.json input 'newInput' has no action.yml input"]);

    const otherDefault = clone(t);
    otherDefault.inputs.find((i) => i.name === "keepVersions")!.defaultValue = "3";
    assert.deepEqual(parityProblemsOf(a, otherDefault), ["'keep-versions' defaults to '5' in action.yml but 'keepVersions' to '3' in task.json"]);

    const outputOnlyInAction = clone(a);
    outputOnlyInAction.outputs["build-log"] = { description: "x" };
    assert.deepEqual(parityProblemsOf(outputOnlyInAction, t), ["action.yml output 'build-log' has no task.json output variable 'buildLog'"]);

    const notRequired = clone(t);
    notRequired.inputs.find((i) => i.name === "resourceGroup")!.required = false;
    assert.deepEqual(parityProblemsOf(a, notRequired), ["'resource-group' is required in action.yml but 'resourceGroup' is not required in task.json"]);
  });

  it("task.json defaults are the settings' defaults, and its output variables are the outputs the code sets", () => {
    for (const input of task().inputs) {
      const canonical = input.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      if (canonical in INPUT_DEFAULTS) {
        assert.equal(String(input.defaultValue ?? ""), INPUT_DEFAULTS[canonical as keyof typeof INPUT_DEFAULTS], `default of ${input.name}`);
      }
    }
    assert.deepEqual(task().outputVariables.map((o) => o.name).sort(), OUTPUT_NAMES.map(twin).sort());
    for (const o of task().outputVariables) assert.ok(o.description && o.description.length > 10, `output variable ${o.name} is described`);
  });

  it("each output variable says what the action's output says (input names in camelCase): runState lists Promoted", () => {
    const inputs = Object.keys(action().inputs);
    const same = (text: string) =>
      text.replace(/`/g, "").replace(/[a-z0-9]+(?:-[a-z0-9]+)+/g, (word) => (inputs.includes(word) ? twin(word) : word));
    for (const o of task().outputVariables) {
      const output = Object.entries(action().outputs).find(([name]) => twin(name) === o.name);
      assert.ok(output, `output variable ${o.name} has no action output`);
      assert.equal(same(o.description ?? ""), same(output[1].description), `description of ${o.name}`);
    }
    assert.match(task().outputVariables.find((o) => o.name === "runState")!.description!, /Promoted/);
  });

  it("runs the bundle on the Node24 and Node20_1 handlers, with instanceNameFormat, groups, help and an AzureRM connection input", () => {
    const t = task();
    assert.deepEqual(Object.keys(t.execution).sort(), ["Node20_1", "Node24"]);
    for (const handler of Object.values(t.execution)) assert.equal(handler.target, "dist/index.js");
    assert.match(t.minimumAgentVersion, /^3\.232\.1$/, "Node20_1 needs agent 3.232.1; the agent picks Node24 where it has it");
    assert.match(t.instanceNameFormat, /\$\(imageDefinition\)/);
    const groups = new Set(t.groups.map((g) => g.name));
    const connection = t.inputs.find((i) => i.name === "azureSubscription");
    assert.equal(connection?.type, "connectedService:AzureRM");
    assert.equal(connection?.required, true);
    for (const input of t.inputs) {
      assert.ok(input.groupName && groups.has(input.groupName), `${input.name} is in a declared group`);
      assert.ok(input.helpMarkDown && input.helpMarkDown.length > 10, `${input.name} has help`);
      assert.ok(input.label, `${input.name} has a label`);
    }
  });

  it("closed values are pickLists offering exactly what the settings accept; true/false inputs are booleans", () => {
    const byName = new Map(task().inputs.map((i) => [i.name, i]));
    const pick = (name: string) => {
      const input = byName.get(name)!;
      assert.equal(input.type, "pickList", `${name} is a pickList`);
      return Object.keys(input.options ?? {}).sort();
    };
    assert.deepEqual(pick("environment"), Object.keys(AZURE_CLOUDS).sort());
    assert.deepEqual(pick("versionStrategy"), [...VERSION_STRATEGIES].sort());
    assert.deepEqual(pick("storageAccountType"), ["Premium_LRS", "Standard_LRS", "Standard_ZRS"]);
    for (const [name, input] of Object.entries(action().inputs)) {
      if (name in GITHUB_ONLY_INPUTS) continue;
      if (input.default === "true" || input.default === "false") assert.equal(byName.get(twin(name))?.type, "boolean", `${twin(name)} is a boolean`);
    }
  });

  it("task.json and vss-extension.json carry package.json's version", () => {
    const [major, minor, patch] = (JSON.parse(read("package.json")) as { version: string }).version.split(".").map(Number);
    assert.deepEqual(task().version, { Major: major, Minor: minor, Patch: patch });
    assert.equal((JSON.parse(read("vss-extension.json")) as { version: string }).version, `${major}.${minor}.${patch}`);
  });

  it("the extension contributes exactly this task, from a folder named after it", () => {
    const manifest = JSON.parse(read("vss-extension.json")) as { contributions: { type: string; properties: { name: string } }[]; files: { path: string }[] };
    const tasks = manifest.contributions.filter((c) => c.type === "ms.vss-distributed-task.task");
    assert.deepEqual(tasks.map((c) => c.properties.name), [task().name]);
    assert.ok(manifest.files.some((f) => f.path === task().name));
  });

  it("the README has an Azure DevOps quick start before the inputs: the YAML step, the service connection kinds and the permissions", () => {
    const readme = read("README.md");
    const start = readme.indexOf("\n## Azure DevOps\n");
    const inputs = readme.indexOf("\n## Inputs\n");
    assert.ok(start > 0 && inputs > start, "a '## Azure DevOps' section just before '## Inputs'");
    const section = readme.slice(start, inputs);
    assert.doesNotMatch(section.slice(1), /\n## /, "no other top-level section between them");
    assert.match(section, new RegExp(`- task: ${task().name}@${task().version.Major}\\b`));
    assert.match(section, /azureSubscription:/);
    for (const kind of [/workload identity federation/i, /secret/i, /certificate/i, /managed identity/i]) assert.match(section, kind);
    assert.match(section, /Contributor/);
    assert.match(section, /Managed Identity Operator/);
    for (const output of task().outputVariables) assert.match(section, new RegExp(`\\b${output.name}\\b`), `${output.name} is mentioned`);
    assert.match(section, /npm run package:ado/);
  });
});
