/**
 * The Azure DevOps task's contract: task.json and vss-extension.json validate against their vendored
 * schemas, the task's form (groups, help, pickLists, booleans) is complete, the output variables say
 * what the action's outputs say, the versions follow package.json, and the README documents the task.
 * task.json's inputs and outputs are written from the one contract (src/settings/contract.ts): that they
 * are what it writes, with the action's defaults and required flags, is __tests__/kit/contract.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { parse } from "yaml";
import { AZURE_CLOUDS } from "../../src/cloud.ts";
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

const action = () => parse(read("action.yml")) as ActionYml;
const task = () => JSON.parse(read("task.json")) as TaskJson;
const clone = <T>(value: T): T => structuredClone(value);

describe("Azure DevOps task: task.json, vss-extension.json", () => {
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

  it("each output variable says what the action's output says (input names in camelCase): runState lists Promoted", () => {
    const inputs = Object.keys(action().inputs);
    const same = (text: string) => text.replace(/`/g, "").replace(/[a-z0-9]+(?:-[a-z0-9]+)+/g, (word) => (inputs.includes(word) ? twin(word) : word));
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
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      if (!byName.has(twin(name))) continue; // GitHub-only
      if (value === "true" || value === "false") assert.equal(byName.get(twin(name))?.type, "boolean", `${twin(name)} is a boolean`);
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
    assert.deepEqual(
      tasks.map((c) => c.properties.name),
      [task().name],
    );
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
