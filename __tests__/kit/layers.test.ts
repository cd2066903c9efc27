/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run lint:layers` inside `npm test`) fail when a
 * rule is broken: a planted import cycle (value and type-only), the pure core importing a step, report.ts
 * importing the pipeline or a step, a step importing an `@azure/*` value, and the emulator importing src/. The tree is planted in a temporary
 * folder laid out like the repository and cruised with the project's own config, so the real tree is
 * never touched.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const depcruise = join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruiser.mjs");

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/**
 * Writes `files` (path → source) under a fresh folder and cruises its src/, emulator/ and harness/ there with the
 * project config: once with the JSON reporter (the violations), once with the default reporter
 * `npm run lint:layers` uses (its exit status: the number of errors; the JSON reporter always exits 0).
 */
function cruise(files: Record<string, string>): { status: number | null; violations: Violation[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "layers-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, "tsconfig.json"), "{}\n");
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    const folders = ["src", "emulator", "harness"].filter((folder) => Object.keys(files).some((path) => path.startsWith(`${folder}/`)));
    const depcruiseIn = (...args: string[]) =>
      spawnSync(process.execPath, [depcruise, "--config", join(root, ".dependency-cruiser.cjs"), ...args, ...folders], {
        cwd: dir,
        encoding: "utf8",
      });
    const json = depcruiseIn("--output-type", "json");
    const result = JSON.parse(json.stdout) as { summary: { violations: Violation[] } };
    const lint = depcruiseIn();
    return { status: lint.status, violations: result.summary.violations, stderr: json.stderr + lint.stderr + lint.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rulesOf = (violations: Violation[], from: string) =>
  violations
    .filter((v) => v.from === from)
    .map((v) => v.rule.name)
    .sort();

/** The cycles `rule` reports, each as from → … → from. */
const cyclesOf = (violations: Violation[], rule: string) =>
  violations
    .filter((v) => v.rule.name === rule)
    .map((v) => [v.from, ...v.cycle!.map((step) => step.name)])
    .sort((a, b) => a[0]!.localeCompare(b[0]!));

describe("layer rules (dependency-cruiser)", () => {
  it("fails on a planted import cycle, value or type-only, and on each broken layer rule; leaves allowed imports alone", () => {
    const { status, violations } = cruise({
      // A value cycle.
      "src/steps/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
      "src/steps/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
      // A cycle through a type-only import counts too.
      "src/template/c.ts": 'import type { D } from "./d.ts";\nexport interface C { d?: D }\n',
      "src/template/d.ts": 'import { type C } from "./c.ts";\nexport const d = (c: C) => c;\nexport type D = number;\n',
      // The pure core importing a step (even a type) and the Azure layer.
      "src/versioning.ts":
        'import type { Step } from "./steps/step.ts";\nimport { gateway } from "./azure/gateway.ts";\nexport const v = (s: Step) => [s, gateway];\n',
      "src/steps/step.ts": "export type Step = string;\n",
      // report.ts importing the pipeline (even a type) or a step; a step importing report.ts is allowed.
      "src/report.ts":
        'import type { BuildReport } from "./pipeline.ts";\nimport type { Step } from "./steps/step.ts";\nimport { v } from "./versioning.ts";\nexport type R = [BuildReport, Step];\nexport const r = v;\n',
      "src/pipeline.ts": "export interface BuildReport { imageVersion: string }\n",
      "src/steps/publish.ts": 'import type { R } from "../report.ts";\nexport type P = R;\n',
      // A step importing an SDK value; a type-only SDK import elsewhere is allowed.
      "src/steps/race.ts": 'import { isRestError } from "@azure/core-rest-pipeline";\nexport const is409 = (e: unknown) => isRestError(e);\n',
      "src/steps/types.ts": 'import type { RestError } from "@azure/core-rest-pipeline";\nexport type E = RestError;\n',
      // The Azure layer may import SDK values.
      "src/azure/gateway.ts": 'import { isRestError } from "@azure/core-rest-pipeline";\nexport const gateway = isRestError;\n',
      // The emulator importing the product.
      "emulator/arm.ts": 'import { gateway } from "../src/azure/gateway.ts";\nexport const arm = gateway;\n',
      // The harness importing the product; the emulator importing the harness; anything importing the emulator's CLI.
      "harness/github-runner.ts": 'import { gateway } from "../src/azure/gateway.ts";\nexport const runner = gateway;\n',
      "emulator/seed.ts": 'import { runner } from "../harness/github-runner.ts";\nexport const seed = runner;\n',
      "harness/ado-agent.ts": 'import "../emulator/cli.ts";\nexport const agent = 1;\n',
      // Allowed: the harness using the emulator, and the emulator's CLI using the harness.
      "harness/local-action-env.ts": 'import { state } from "../emulator/state.ts";\nexport const env = state;\n',
      "emulator/state.ts": "export const state = 1;\n",
      "emulator/cli.ts": 'import { env } from "../harness/local-action-env.ts";\nconsole.log(env);\n',
    });

    assert.notEqual(status, 0, "depcruise exits non-zero on errors");
    // dependency-cruiser reports each cycle once, from its first module.
    assert.deepEqual(cyclesOf(violations, "no-cycles"), [
      ["src/steps/a.ts", "src/steps/b.ts", "src/steps/a.ts"],
      ["src/template/c.ts", "src/template/d.ts", "src/template/c.ts"],
    ]);
    assert.deepEqual(rulesOf(violations, "src/versioning.ts"), ["pure-core-stays-pure", "pure-core-stays-pure"]);
    assert.deepEqual(
      violations
        .filter((v) => v.from === "src/versioning.ts")
        .map((v) => v.to)
        .sort(),
      ["src/azure/gateway.ts", "src/steps/step.ts"],
    );
    assert.deepEqual(rulesOf(violations, "src/report.ts"), ["report-below-pipeline", "report-below-pipeline"]);
    assert.deepEqual(
      violations
        .filter((v) => v.from === "src/report.ts")
        .map((v) => v.to)
        .sort(),
      ["src/pipeline.ts", "src/steps/step.ts"],
    );
    assert.deepEqual(rulesOf(violations, "src/steps/publish.ts"), [], "a step may import report.ts");
    assert.deepEqual(rulesOf(violations, "src/steps/race.ts"), ["only-azure-layer-imports-azure-sdk"]);
    assert.match(violations.find((v) => v.from === "src/steps/race.ts")!.to, /node_modules\/@azure\/core-rest-pipeline\//);
    assert.deepEqual(rulesOf(violations, "src/steps/types.ts"), [], "a type-only SDK import is allowed");
    assert.deepEqual(rulesOf(violations, "src/azure/gateway.ts"), [], "src/azure/ may import SDK values");
    assert.deepEqual(rulesOf(violations, "emulator/arm.ts"), ["emulator-never-imports-src"]);
    assert.deepEqual(rulesOf(violations, "harness/github-runner.ts"), ["harness-never-imports-src"]);
    assert.deepEqual(rulesOf(violations, "emulator/seed.ts"), ["emulator-never-imports-harness"]);
    assert.deepEqual(rulesOf(violations, "harness/ado-agent.ts"), ["nothing-imports-the-emulator-cli"]);
    assert.deepEqual(rulesOf(violations, "harness/local-action-env.ts"), [], "the harness may use the emulator");
    assert.deepEqual(rulesOf(violations, "emulator/cli.ts"), [], "the emulator's CLI may print the harness's .env");
  });

  it("has no exception for the emulator: a cycle through a type-only import fails there too", () => {
    const typeCycle = cruise({
      "emulator/state.ts": 'import type { Op } from "./arm.ts";\nexport interface Core { op?: Op }\n',
      "emulator/arm.ts": 'import type { Core } from "./state.ts";\nexport const use = (c: Core) => c;\nexport type Op = string;\n',
    });
    assert.notEqual(typeCycle.status, 0, typeCycle.stderr);
    assert.deepEqual(cyclesOf(typeCycle.violations, "no-cycles"), [["emulator/arm.ts", "emulator/state.ts", "emulator/arm.ts"]]);
  });
});
