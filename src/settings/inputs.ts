/**
 * The input contract and the problems collector.
 *
 * - The contract's defaults: `INPUT_DEFAULTS` and `REQUIRED_INPUTS`, derived from the one table of
 *   inputs, `INPUTS` in `contract.ts` (which action.yml, task.json and the README are generated from).
 * - The collector: reads an input (trimmed, its default applied), records each bad value as an
 *   `InputProblem` (all of them, not just the first), and `SettingsError` reports them together,
 *   naming each input as the host's user writes it (kebab-case on GitHub, camelCase on Azure DevOps).
 *
 * Pure.
 */
import type * as z from "zod/mini";
import { ActionError } from "../errors.ts";
import { INPUTS, type InputName, type InputSpec, type RequiredInputName } from "./contract.ts";

/** Canonical (kebab-case) name of every input the settings read. */
export type { InputName } from "./contract.ts";

/** The settings' inputs of the contract: both hosts' and GitHub-only ones, not the task's service connection. */
const SETTINGS_INPUTS = (INPUTS as readonly InputSpec[]).filter((input) => input.host !== "ado");

/**
 * The default of every optional input, exactly as action.yml and task.json declare it, by canonical name;
 * from the contract's `INPUTS`. (`github-token`'s is the runner's `${{ github.token }}` expression: the
 * runner fills in the job's token; the action reads the input as given, never this text.)
 */
export const INPUT_DEFAULTS = Object.fromEntries(
  SETTINGS_INPUTS.flatMap((input) => (input.default === undefined ? [] : [[input.name, input.default]])),
) as Readonly<Record<Exclude<InputName, RequiredInputName>, string>>;

/** Inputs with no default, from the contract's `INPUTS`: the run cannot start without them. */
export const REQUIRED_INPUTS = SETTINGS_INPUTS.flatMap((input) => (input.required ? [input.name] : [])) as readonly RequiredInputName[];

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
