/**
 * The TaskMockRunner script of the L0 test (__tests__/ado/L0.test.ts): MockTestRunner starts it with
 * the Node of the task's newest handler (Node24). It sets every input of task.json — the step's value
 * from `L0_INPUTS` (a JSON object, camelCase names), else task.json's `defaultValue`, as the agent does —
 * and runs the Node24 target of task.json's `execution` with `run(true)`: no mocked task library, since
 * the bundle carries its own. `run()` loads the target with require(): this is what fails on a bundle
 * with top-level await (ERR_REQUIRE_ASYNC_MODULE).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TaskMockRunner } from "azure-pipelines-task-lib/mock-run.js";

const taskJsonPath = fileURLToPath(new URL("../../../task.json", import.meta.url));
const task = JSON.parse(readFileSync(taskJsonPath, "utf8")) as {
  execution: { Node24: { target: string } };
  inputs: { name: string; defaultValue?: string | boolean }[];
};
const inputs = JSON.parse(process.env.L0_INPUTS ?? "{}") as Record<string, string>;

const tmr = new TaskMockRunner(join(dirname(taskJsonPath), task.execution.Node24.target));
for (const input of task.inputs) {
  const value = inputs[input.name] ?? input.defaultValue;
  if (value !== undefined) tmr.setInput(input.name, String(value));
}
tmr.run(true);
