/**
 * GitHub's own parser (@actions/workflow-parser) accepts every workflow we show: each README YAML block
 * that uses the action (a complete workflow, not a fragment), every example workflow and the project's
 * CI. A broken copy of each fails (negative controls), so the check can fail. The README's
 * "Use it in a workflow" block has what a first run needs (on, a job with runs-on, environment,
 * id-token: write, timeout-minutes, concurrency); the README is navigable (table of contents).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { workflowErrors } from "../helpers/workflow-parser.ts";
import { actionInputs, githubWorkflowFiles, read, readmeSection } from "./kit-helpers.ts";

/** YAML code blocks of the README (also those indented in a list item, dedented): first line number and text. */
function readmeYamlBlocks(): { line: number; text: string }[] {
  const readme = read("README.md");
  return [...readme.matchAll(/^( *)```ya?ml\n([\s\S]*?)^\1```$/gm)].map((m) => ({
    line: readme.slice(0, m.index).split("\n").length,
    text: m[2]!
      .split("\n")
      .map((l) => l.slice(m[1]!.length))
      .join("\n"),
  }));
}
const usesAction = (text: string) => /^\s*-?\s*uses:\s*\S+\/avd-image-action@/m.test(text);

type Job = { "runs-on"?: unknown; environment?: unknown; "timeout-minutes"?: number; steps: { uses?: string; with?: Record<string, unknown> }[] };
type Workflow = { on?: unknown; permissions?: Record<string, string>; concurrency?: unknown; jobs: Record<string, Job & { concurrency?: unknown }> };

describe("GitHub's workflow parser accepts every workflow we show", () => {
  const blocks = readmeYamlBlocks().filter((b) => usesAction(b.text));

  it("the README has workflow blocks that use the action", () => assert.ok(blocks.length >= 1));

  for (const block of blocks) {
    it(`README.md line ${block.line}: a complete workflow GitHub accepts`, async () => {
      assert.deepEqual(await workflowErrors(`README.md:${block.line}`, block.text), []);
    });
  }

  for (const file of githubWorkflowFiles()) {
    it(`${file}`, async () => {
      assert.deepEqual(await workflowErrors(file, read(file)), []);
    });
  }

  it("negative controls: the old README snippet (no on, no jobs), a job without runs-on, a step with uses and run, an unknown needs, a broken expression", async () => {
    const oldSnippet =
      "permissions:\n  id-token: write\nconcurrency: avd-image-win11\nsteps:\n  - uses: org/avd-image-action@v1\n    with:\n      keep-versions: 3\n";
    const errors = await workflowErrors("old-snippet.yml", oldSnippet);
    assert.ok(
      errors.some((e) => /Required property is missing: on/.test(e)),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => /Required property is missing: jobs/.test(e)),
      errors.join("\n"),
    );

    const [first] = blocks;
    const withoutRunsOn = first!.text.replace(/^ {4}runs-on: .*\n/m, "");
    assert.notEqual(withoutRunsOn, first!.text);
    assert.match((await workflowErrors("no-runs-on.yml", withoutRunsOn)).join("\n"), /Required property is missing: runs-on/);

    const usesAndRun = first!.text.replace(/^( {6}- uses: \S+avd-image-action@\S+).*$/m, "$1\n        run: echo both");
    assert.notEqual(usesAndRun, first!.text);
    assert.match((await workflowErrors("uses-and-run.yml", usesAndRun)).join("\n"), /Unexpected value 'run'|Unexpected value 'uses'/);

    const unknownNeeds = read("examples/staged-rollout.yml").replace(/needs: \[build, validate\]/, "needs: [build, validation]");
    assert.notEqual(unknownNeeds, read("examples/staged-rollout.yml"));
    assert.match((await workflowErrors("unknown-needs.yml", unknownNeeds)).join("\n"), /validation/);

    const brokenExpression = first!.text.replace("${{ vars.AVD_CLIENT_ID }}", "${{ vars.AVD_CLIENT_ID( }}");
    assert.notEqual(brokenExpression, first!.text);
    assert.ok((await workflowErrors("broken-expression.yml", brokenExpression)).length > 0);
  });

  it("README blocks that are not complete workflows do not use the action (fragments of `with:` only)", () => {
    for (const block of readmeYamlBlocks().filter((b) => !usesAction(b.text))) {
      assert.doesNotMatch(block.text, /avd-image-action@/, `README.md line ${block.line}`);
    }
  });
});

describe("README: Use it in a workflow", () => {
  const [block] = readmeYamlBlocks().filter((b) => usesAction(b.text));
  const w = () => parse(block!.text) as Workflow;

  it("is a complete workflow: on, a job with runs-on, environment, permissions id-token: write, timeout-minutes, concurrency", () => {
    assert.ok(readmeSection("Use it in a workflow").includes(block!.text), "the first workflow block is in 'Use it in a workflow'");
    const workflow = w();
    assert.ok(workflow.on, "on");
    assert.equal(workflow.permissions?.["id-token"], "write");
    const [[name, job]] = Object.entries(workflow.jobs) as [[string, Job & { concurrency?: unknown }]];
    assert.ok(job["runs-on"], `${name}: runs-on`);
    assert.equal(job.environment, "avd-images", "the environment the federated credential of setup/ trusts");
    assert.ok(Number(job["timeout-minutes"]) > 60, "timeout-minutes above a build's hour");
    assert.ok(workflow.concurrency ?? job.concurrency, "concurrency");
    assert.doesNotMatch(block!.text, /cancel-in-progress: true/);
    const step = job.steps.find((s) => s.uses?.includes("avd-image-action@"))!;
    assert.match(step.uses!, /^org\/avd-image-action@v1$/);
    const inputs = actionInputs();
    for (const key of Object.keys(step.with ?? {})) assert.ok(inputs.has(key), `with: ${key} is no input of action.yml`);
    assert.ok(
      Number(job["timeout-minutes"]) >= Number(step.with?.["build-timeout-minutes"] ?? 240) + 60,
      "the job outlives the build timeout plus the action's 60-minute margin",
    );
  });

  it("says where actions/checkout is needed (template-file, scripts) and why environment: matters (AADSTS700213)", () => {
    const text = readmeSection("Use it in a workflow");
    assert.match(text, /actions\/checkout[\s\S]*`template-file`[\s\S]*`scripts`/);
    assert.match(text, /AADSTS700213/);
  });
});

describe("README navigation", () => {
  const readme = read("README.md");
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]!).filter((h) => h !== "Contents");
  const anchor = (h: string) =>
    h
      .toLowerCase()
      .replace(/[^\w\- ]/g, "")
      .replace(/ /g, "-");

  it("has a table of contents listing every section, in order, with working anchors", () => {
    const contents = readmeSection("Contents");
    const listed = [...contents.matchAll(/^- \[(.+)\]\(#([\w-]+)\)$/gm)].map((m) => ({ title: m[1]!, anchor: m[2]! }));
    assert.deepEqual(
      listed.map((l) => l.title),
      headings,
    );
    for (const l of listed) assert.equal(l.anchor, anchor(l.title));
  });

  it("Permissions and Troubleshooting come before the AVD script catalog; Versioning and Develop and debug locally exist", () => {
    const at = (h: string) => headings.indexOf(h);
    assert.ok(at("Permissions") >= 0 && at("Permissions") < at("AVD built-in steps"));
    assert.ok(at("Troubleshooting") >= 0 && at("Troubleshooting") < at("AVD built-in steps"));
    assert.match(readmeSection("Versioning"), /@v1[\s\S]*SHA[\s\S]*Dependabot[\s\S]*`org\/`[\s\S]*fork/);
    assert.match(readmeSection("Develop and debug locally"), /npm run local-action[\s\S]*npm run emulator -- --avd/);
  });
});
