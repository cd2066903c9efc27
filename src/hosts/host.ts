/**
 * The Host interface: everything the pipeline needs from the CI system it runs in.
 *
 * One adapter per CI system implements it (GitHub Actions, Azure DevOps); nothing else knows which one
 * runs. Input names given to a host are the canonical (action.yml, kebab-case) names.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { Provenance } from "../changelog/manifest.ts";
import type { InputName } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";

/** Where a run came from: defined in the pure core (changelog/manifest.ts), which records it. */
export type { Provenance };

/** The CI system a run is in. */
export interface Host {
  /** `github` or `azure-pipelines`. */
  readonly kind: "github" | "azure-pipelines";
  /** Reads an input by canonical name; '' when unset. */
  getInput(name: InputName): string;
  /** How the user writes an input in this host (kebab-case on GitHub, camelCase on Azure DevOps). */
  inputLabel(name: InputName): string;
  /** Sets an output (GitHub step output / Azure DevOps output variable). */
  setOutput(name: string, value: string): void;
  /**
   * A debug line: shown only when the run's debug logging is on (GitHub: `ACTIONS_STEP_DEBUG` secret or
   * variable, or "Re-run with debug logging", `RUNNER_DEBUG=1`; Azure DevOps: `system.debug: true`). Never
   * give it a secret: it is masked only when `setSecret` was called for it.
   */
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** A notice: GitHub `::notice`; Azure DevOps has none, so a warning. */
  notice(message: string): void;
  error(message: string): void;
  /** Runs `fn` inside a collapsible log group titled `title`. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Masks `value` in all later log output. */
  setSecret(value: string): void;
  /** Appends markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>;
  /** Reports progress, 0-100 percent, with a short description of the phase. */
  setProgress(percent: number, description: string): void;
  /** True when a person started the run (GitHub workflow_dispatch, Azure DevOps manual queue). */
  readonly manualTrigger: boolean;
  /** Where this run came from (GitHub: @actions/github's `context`, loaded on first call). */
  provenance(): Promise<Provenance>;
  /** The credential this host authenticates with, for validated settings. */
  createCredential(settings: Settings): TokenCredential;
  /** Keeps a value for this step's post step (GitHub `core.saveState`, Azure DevOps task variables). */
  saveState(name: string, value: string): void;
  /** A value the main step kept (in the post step), or ''. */
  getState(name: string): string;
  /** Directory for files the run leaves to later steps: GitHub `RUNNER_TEMP`, Azure DevOps `Agent.TempDirectory` (else the OS temp directory). */
  tempDirectory(): string;
  /** Attaches a file to the run: Azure DevOps `##vso[task.uploadfile]`; GitHub has no such command (a workflow uploads it with actions/upload-artifact). */
  attachFile(path: string): void;
  /** Marks the run failed with `message` (the process exit code is set by the entry point). */
  setFailed(message: string): void;
}
