/**
 * The one input contract: action.yml's inputs and outputs, task.json's groups, inputs and output
 * variables, and the README's Inputs and Outputs tables are what `npm run contract` (scripts/contract.ts)
 * writes from src/settings/contract.ts and contract-docs.ts; the settings' defaults are the table's; and
 * the generator only touches the generated parts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CONTRACT_FILES, type ContractFiles, readContractFiles, renderContract } from "../../scripts/contract.ts";
import { INPUTS, type InputSpec, OUTPUTS, camelCase } from "../../src/settings/contract.ts";
import { INPUT_DOCS } from "../../src/settings/contract-docs.ts";
import { INPUT_DEFAULTS, REQUIRED_INPUTS } from "../../src/settings/index.ts";

const root = new URL("../../", import.meta.url);
const committed = () => readContractFiles(root);

/** The first line where `actual` and `expected` differ, "line N: <committed> / <generated>"; '' when equal. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const b = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: committed ${JSON.stringify(a[i] ?? "(end of file)")}, generated ${JSON.stringify(b[i] ?? "(end of file)")}`;
  }
  return "";
}

/** Every committed file of the contract that differs from what the table writes, with its first difference. */
function staleFiles(files: ContractFiles): string[] {
  const rendered = renderContract(files);
  return CONTRACT_FILES.filter((path) => rendered[path] !== files[path]).map((path) => `${path} (${firstDifference(files[path], rendered[path])})`);
}

interface ActionYml {
  name: string;
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
interface TaskInput {
  name: string;
  defaultValue?: string;
  required: boolean;
}

describe("one input contract: src/settings/contract.ts generates action.yml, task.json and the README tables", () => {
  it("the committed action.yml, task.json and README.md are what `npm run contract` writes", () => {
    const stale = staleFiles(committed());
    assert.deepEqual(
      stale,
      [],
      `Not what src/settings/contract.ts and contract-docs.ts generate: ${stale.join("; ")}. Run \`npm run contract\` and commit the result.`,
    );
  });

  it("a hand edit of a generated part is caught; edits outside the generated parts are kept", () => {
    const files = committed();
    const edited: ContractFiles = {
      "action.yml": files["action.yml"].replace("Resource group of the image template.", "Resource group of the template."),
      "task.json": files["task.json"].replace('"label": "Versions to keep"', '"label": "Keep"'),
      "README.md": files["README.md"].replace("| `keep-versions` | `5` |", "| `keep-versions` | `3` |"),
    };
    for (const path of CONTRACT_FILES) assert.notEqual(edited[path], files[path], `the edit of ${path} applies`);
    assert.deepEqual(
      staleFiles(edited).map((file) => file.split(" ")[0]),
      ["action.yml", "task.json", "README.md"],
    );
    assert.match(staleFiles(edited)[0]!, /committed ".*Resource group of the template\.", generated ".*Resource group of the image template\."/);

    const outside: ContractFiles = {
      "action.yml": files["action.yml"].replace("name: AVD Image Builder", "name: AVD Image Builder (fork)"),
      "task.json": files["task.json"].replace('"friendlyName": "AVD Image Builder"', '"friendlyName": "AVD Image Builder (fork)"'),
      "README.md": files["README.md"].replace("## Inputs\n", "## Inputs\n\nA line of my own.\n"),
    };
    assert.deepEqual(renderContract(outside), outside, "the generator leaves what is not generated as it is");
  });

  it("writing is deterministic and idempotent, and a README without its markers says so", () => {
    const files = committed();
    const once = renderContract(files);
    assert.deepEqual(renderContract(once), once);
    assert.deepEqual(renderContract(files), once);
    assert.throws(
      () => renderContract({ ...files, "README.md": files["README.md"].replace(/<!-- inputs:end -->/, "") }),
      /README\.md has no '<!-- inputs:start -->' … '<!-- inputs:end -->' markers/,
    );
  });

  it("`npm run contract -- --check` exits 0 on the committed files", () => {
    const out = execFileSync(process.execPath, ["scripts/contract.ts", "--check"], { cwd: root, encoding: "utf8" });
    assert.equal(out, "");
  });

  it("action.yml declares exactly the settings' inputs: required ones without a default, the rest with INPUT_DEFAULTS' value", () => {
    const action = parse(committed()["action.yml"]) as ActionYml;
    assert.deepEqual(Object.keys(action.inputs).sort(), [...REQUIRED_INPUTS, ...Object.keys(INPUT_DEFAULTS)].sort());
    for (const name of REQUIRED_INPUTS) {
      assert.equal(action.inputs[name]!.required, true, name);
      assert.equal(action.inputs[name]!.default, undefined, name);
    }
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      assert.equal(action.inputs[name]!.required, false, name);
      assert.equal(action.inputs[name]!.default, value, `default of ${name} (as YAML reads it back)`);
    }
    assert.equal(INPUT_DEFAULTS["windows-update-filters"], "exclude:$_.Title -like '*Preview*'\ninclude:$true", "a multi-line default survives");
    assert.deepEqual(Object.keys(action.outputs), [...OUTPUTS]);
  });

  it("task.json has every input but the GitHub-only ones, in camelCase, with the same defaults and required flags (subscriptionId: the service connection's)", () => {
    const task = JSON.parse(committed()["task.json"]) as { inputs: TaskInput[]; outputVariables: { name: string }[] };
    const byName = new Map(task.inputs.map((input) => [input.name, input]));
    const githubOnly = (INPUTS as readonly InputSpec[]).filter((input) => input.host === "github").map((input) => input.name);
    assert.deepEqual(githubOnly.sort(), ["audience", "client-id", "github-release", "github-token", "tenant-id"]);
    for (const name of githubOnly) assert.equal(byName.has(camelCase(name)), false, `${name} is GitHub-only`);
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      if (githubOnly.includes(name)) continue;
      assert.equal(byName.get(camelCase(name))?.defaultValue, value, `default of ${camelCase(name)}`);
      assert.equal(byName.get(camelCase(name))?.required, false, camelCase(name));
    }
    for (const name of REQUIRED_INPUTS) {
      const input = byName.get(camelCase(name))!;
      assert.equal(input.defaultValue, undefined, name);
      assert.equal(input.required, name !== "subscription-id", `${input.name} is required, but subscriptionId (the service connection's when empty)`);
    }
    assert.deepEqual(
      task.inputs.filter((input) => !(input.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) in INPUT_DOCS)),
      [],
    );
    assert.equal(byName.get("azureSubscription")?.required, true, "the task's own input: the service connection");
    assert.equal(task.inputs.length, INPUTS.length - githubOnly.length);
    assert.deepEqual(
      task.outputVariables.map((o) => o.name),
      OUTPUTS.map(camelCase),
    );
  });

  it("every input has its texts, and an input of one host says why the other has none", () => {
    for (const input of INPUTS as readonly InputSpec[]) {
      const docs = (INPUT_DOCS as Record<string, { action?: string; ado?: string; readme?: string; why?: string }>)[input.name]!;
      if (input.host !== "ado") assert.ok((docs.action ?? "").length > 10, `${input.name}: action.yml description`);
      if (input.host !== "github") assert.ok((docs.ado ?? docs.action ?? "").length > 10, `${input.name}: task.json helpMarkDown`);
      if (input.host) assert.ok((docs.why ?? "").length > 20, `${input.name}: why only ${input.host === "github" ? "GitHub" : "Azure DevOps"} has it`);
      else assert.equal(docs.why, undefined, `${input.name} exists on both hosts`);
    }
  });
});
