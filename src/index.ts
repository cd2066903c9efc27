/**
 * Entry point of the bundle (dist/index.js, the GitHub Action's `runs.main` and the Azure DevOps task's
 * Node24/Node20_1 target): it only calls `run()`. Everything else lives in `main.ts`, which does nothing
 * at import, so tools that load the action themselves (@github/local-action, TaskMockRunner) can.
 */
import { run } from "./main.ts";

void run();
