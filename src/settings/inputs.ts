/**
 * The input contract and the problems collector.
 *
 * - The contract: every input's canonical (action.yml, kebab-case) name, the required ones, and the
 *   default of every optional one exactly as action.yml and task.json declare it.
 * - The collector: reads an input (trimmed, its default applied), records each bad value as an
 *   `InputProblem` (all of them, not just the first), and `SettingsError` reports them together,
 *   naming each input as the host's user writes it (kebab-case on GitHub, camelCase on Azure DevOps).
 *
 * Pure.
 */
import * as z from "zod/mini";
import { ActionError } from "../errors.ts";

/** The default of every optional input, exactly as action.yml (and task.json) declare them. */
export const INPUT_DEFAULTS = {
  "gallery-resource-group": "",
  source: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
  "inline-script": "",
  "script-uris": "",
  "windows-update": "true",
  "windows-update-search-criteria": "IsInstalled=0",
  "windows-update-filters": "exclude:$_.Title -like '*Preview*'\ninclude:$true",
  "windows-update-limit": "40",
  "vm-size": "Standard_D4s_v5",
  "os-disk-size-gb": "127",
  "build-timeout-minutes": "240",
  "target-regions": "",
  "storage-account-type": "Standard_LRS",
  "exclude-from-latest": "false",
  "version-strategy": "patch",
  version: "",
  tags: "",
  "keep-versions": "5",
  "keep-days": "0",
  "prune-foreign": "false",
  "dry-run": "false",
  "github-release": "false",
  // The runner fills in the job's token; the action reads the input as given (never this text).
  "github-token": "${{ github.token }}",
  "client-id": "",
  "tenant-id": "",
  environment: "AzureCloud",
  "arm-endpoint": "",
  "authority-host": "",
  "poll-interval-seconds": "30",
  "stall-minutes": "0",
  "build-log": "steps",
  schedule: "",
  "skip-if-unchanged": "false",
  "rebuild-after-days": "7",
  wait: "true",
  attach: "false",
  mode: "build",
  "promote-after-days": "0",
  "end-of-life-days": "0",
  "avd-steps": "",
  "safety-steps": "auto",
  inventory: "true",
  "template-file": "",
  scripts: "",
  "scripts-storage-account": "",
  "scripts-container": "avd-image-scripts",
  "subnet-id": "",
  "proxy-vm-size": "",
  "container-instance-subnet-id": "",
  "staging-resource-group": "",
  "error-handling": "",
  "validation-script": "",
  "optimize-boot": "false",
  "data-disk-sizes": "",
  audience: "",
  "replication-mode": "Full",
  "managed-resource-tags": "",
  "build-vm-identities": "",
} as const;

/** Inputs with no default: the run cannot start without them. */
export const REQUIRED_INPUTS = [
  "subscription-id",
  "resource-group",
  "location",
  "gallery-name",
  "image-definition",
  "identity-id",
] as const;

/** Canonical (kebab-case) name of every input. */
export type InputName = (typeof REQUIRED_INPUTS)[number] | keyof typeof INPUT_DEFAULTS;

/** Reads an input by canonical name; returns '' when it is not set. */
export type InputReader = (name: InputName) => string;

/** One bad input: the input's canonical name and what is wrong with it and how to fix it. */
export interface InputProblem {
  input: InputName;
  message: string;
}

/** Thrown by `parseSettings` with every problem found; `message` lists them, one a line. */
export class SettingsError extends ActionError {
  override name = "SettingsError";
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[], label: (input: InputName) => string) {
    super(
      `${problems.length} input${problems.length === 1 ? " is" : "s are"} not valid:\n` +
        problems.map((p) => `- Input '${label(p.input)}': ${p.message}`).join("\n"),
    );
    this.problems = problems;
  }
}

/**
 * Reads the inputs for `parseSettings` and records every problem found; the parsers report through it.
 * Built by `collectInputs`.
 */
export interface InputCollector {
  /** Every problem recorded so far, in the order found. */
  readonly problems: InputProblem[];
  /** How the host names an input to its user. */
  readonly label: (input: InputName) => string;
  /** The input as the host gives it ('' when unset): no trimming, no default (for multi-line scripts and tokens). */
  raw(name: InputName): string;
  /** The input trimmed, or its default when it is empty ('' for a required input). */
  input(name: InputName): string;
  /** Whether the user gave an optional input a value other than its default. */
  given(name: keyof typeof INPUT_DEFAULTS): boolean;
  /** Records a problem of `name`; returns undefined, for `x = fail(...)`. */
  fail(name: InputName, message: string): undefined;
  /** The input parsed by `schema`, or undefined with the problem `'<value>' <fix>` recorded. */
  check<T>(name: InputName, schema: z.ZodMiniType<T>, fix: string): T | undefined;
  /** A required input when `valid`; else undefined with "is required. <fix>" or `'<value>' <fix>` recorded. */
  required(name: InputName, valid: (value: string) => boolean, fix: string): string | undefined;
}

/**
 * A collector over `read` (reads an input by canonical name, '' when unset).
 * `label` names an input to the user (default: its canonical name).
 */
export function collectInputs(read: InputReader, label: (input: InputName) => string = (n) => n): InputCollector {
  const problems: InputProblem[] = [];
  const input = (name: InputName): string => {
    const value = read(name).trim();
    if (value !== "") return value;
    return name in INPUT_DEFAULTS ? INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS] : "";
  };
  const fail = (name: InputName, message: string): undefined => {
    problems.push({ input: name, message });
    return undefined;
  };
  return {
    problems,
    label,
    raw: read,
    input,
    given: (name) => input(name) !== INPUT_DEFAULTS[name],
    fail,
    check<T>(name: InputName, schema: z.ZodMiniType<T>, fix: string): T | undefined {
      const result = schema.safeParse(input(name));
      return result.success ? result.data : fail(name, `'${input(name)}' ${fix}`);
    },
    required(name, valid, fix) {
      const value = input(name);
      if (value === "") return fail(name, `is required. ${fix}`);
      return valid(value) ? value : fail(name, `'${value}' ${fix}`);
    },
  };
}
