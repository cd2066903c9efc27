/**
 * Readers for the adoption kit's files: the action's inputs, the Bicep in setup/ (no Bicep compiler is
 * available offline from npm or Debian, so its structure is read here), setup.sh's role lists, and the
 * example workflows.
 */
import { readFileSync, readdirSync } from "node:fs";
import { parse } from "yaml";

export const root = new URL("../../", import.meta.url);
export const read = (path: string): string => readFileSync(new URL(path, root), "utf8");
export const list = (dir: string): string[] => readdirSync(new URL(dir, root)).sort();

/** action.yml inputs: name → required. */
export function actionInputs(): Map<string, boolean> {
  const action = parse(read("action.yml")) as { inputs: Record<string, { required?: boolean }> };
  return new Map(Object.entries(action.inputs).map(([name, input]) => [name, input.required === true]));
}

/** `subscription-id` → `subscriptionId`. */
export const camel = (kebab: string): string => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** `subscriptionId` → `subscription-id`. */
export const kebab = (camelCase: string): string => camelCase.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** The GitHub variable setup.sh stores an input in: `subscription-id` → `AVD_SUBSCRIPTION_ID`. */
export const variableOf = (input: string): string => `AVD_${input.toUpperCase().replace(/-/g, "_")}`;

/** Bicep text with comments blanked out (strings kept). */
export function stripBicepComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === "'") inString = false;
    } else if (c === "'") {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i += 1;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** Unbalanced `{}` `[]` `()` outside strings and comments, as "line N: message" (empty when balanced). */
export function bracketProblems(text: string): string[] {
  const code = stripBicepComments(text);
  const pairs: Record<string, string> = { "}": "{", "]": "[", ")": "(" };
  const stack: { c: string; line: number }[] = [];
  const problems: string[] = [];
  let line = 1;
  let inString = false;
  for (let i = 0; i < code.length; i += 1) {
    const c = code[i]!;
    if (c === "\n") line += 1;
    if (inString) {
      if (c === "\\") i += 1;
      else if (c === "'") inString = false;
      continue;
    }
    if (c === "'") inString = true;
    else if ("{[(".includes(c)) stack.push({ c, line });
    else if (c in pairs) {
      const open = stack.pop();
      if (open?.c !== pairs[c]) problems.push(`line ${line}: '${c}' closes ${open ? `'${open.c}' of line ${open.line}` : "nothing"}`);
    }
  }
  if (inString) problems.push("a string is not closed");
  for (const open of stack) problems.push(`line ${open.line}: '${open.c}' is never closed`);
  return problems;
}

export interface BicepParam {
  name: string;
  type: string;
  /** The default's source text (first line; arrays: the whole literal), if any. */
  defaultText?: string;
  description?: string;
  allowed?: string[];
}

/** `param` declarations, with their `@description` and `@allowed` decorators. */
export function bicepParams(text: string): BicepParam[] {
  const lines = text.split("\n");
  const params: BicepParam[] = [];
  let description: string | undefined;
  let allowed: string[] | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const desc = /^@description\('(.*)'\)\s*$/.exec(line);
    if (desc) description = desc[1]!.replace(/\\'/g, "'");
    if (line.startsWith("@allowed([")) {
      allowed = [];
      for (i += 1; i < lines.length && lines[i]!.trim() !== "])"; i += 1) allowed.push(lines[i]!.trim().replace(/^'|'$/g, ""));
      continue;
    }
    const param = /^param (\w+) (\w+)(?: = (.*))?$/.exec(line);
    if (!param) continue;
    let defaultText = param[3];
    if (defaultText === "[") {
      const items: string[] = [];
      for (i += 1; i < lines.length && lines[i]!.trim() !== "]"; i += 1) items.push(lines[i]!.trim());
      defaultText = `[${items.join(", ")}]`;
    }
    params.push({ name: param[1]!, type: param[2]!, defaultText, description, allowed });
    description = undefined;
    allowed = undefined;
  }
  return params;
}

/** The value of a string literal default (`'x'`), or of an array of string literals. */
export function literal(text: string | undefined): string | string[] | undefined {
  if (text === undefined) return undefined;
  const single = /^'((?:[^'\\]|\\.)*)'$/.exec(text);
  if (single) return single[1]!.replace(/\\'/g, "'");
  const array = /^\[(.*)\]$/.exec(text);
  if (array) return array[1]!.trim() === "" ? [] : array[1]!.split(",").map((item) => literal(item.trim()) as string);
  return undefined;
}

/** `output NAME TYPE = EXPR` declarations. */
export function bicepOutputs(text: string): { name: string; type: string; value: string }[] {
  return [...text.matchAll(/^output (\w+) (\w+) = (.+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]!, value: m[3]! }));
}

/** `resource NAME 'TYPE@API' ...` declarations. */
export function bicepResources(text: string): { name: string; type: string; apiVersion: string; line: string }[] {
  return [...text.matchAll(/^resource (\w+) '([^@']+)@([^']+)'(.*)$/gm)].map((m) => ({ name: m[1]!, type: m[2]!, apiVersion: m[3]!, line: m[0] }));
}

/** The source text of the `{ ... }` block that opens on the first line matching `start`. */
export function bicepBlock(text: string, start: RegExp): string {
  const code = stripBicepComments(text);
  const at = code.search(start);
  if (at < 0) throw new Error(`no block matches ${start}`);
  const open = code.indexOf("{", at);
  let depth = 0;
  let inString = false;
  for (let i = open; i < code.length; i += 1) {
    const c = code[i]!;
    if (inString) {
      if (c === "\\") i += 1;
      else if (c === "'") inString = false;
    } else if (c === "'") inString = true;
    else if (c === "{") depth += 1;
    else if (c === "}" && (depth -= 1) === 0) return code.slice(open, i + 1);
  }
  throw new Error(`the block matching ${start} is not closed`);
}

/** Keys of the object literal directly inside `block` (one per line, `key: value`), at its first level. */
export function objectKeys(block: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (const line of block.split("\n")) {
    const key = /^\s*(\w+):/.exec(line);
    if (depth === 1 && key) keys.push(key[1]!);
    for (const c of line.replace(/'(?:[^'\\]|\\.)*'/g, "''")) {
      if (c === "{" || c === "[") depth += 1;
      if (c === "}" || c === "]") depth -= 1;
    }
  }
  return keys;
}

/** One entry of a justified list: the value and the comment lines right above it. */
export interface Justified {
  value: string;
  comment: string;
}

/** The entries of `var NAME = [ ... ]` in Bicep, each with the `//` comment above it. */
export function bicepJustifiedArray(text: string, name: string): Justified[] {
  const match = new RegExp(`^var ${name} = \\[\\n([\\s\\S]*?)^\\]`, "m").exec(text);
  if (!match) throw new Error(`main.bicep has no var ${name} = [ ... ]`);
  return justified(match[1]!, /^\s*\/\/\s?(.*)$/, (line) => /^\s*'([^']+)'\s*$/.exec(line)?.[1]);
}

/** The entries of `NAME=( ... )` in a bash script, each with the `#` comment above it. */
export function bashJustifiedArray(text: string, name: string): Justified[] {
  const match = new RegExp(`^${name}=\\(\\n([\\s\\S]*?)^\\)`, "m").exec(text);
  if (!match) throw new Error(`setup.sh has no ${name}=( ... )`);
  return justified(match[1]!, /^\s*#\s?(.*)$/, (line) => /^\s*([\w./-]+)\s*$/.exec(line)?.[1]);
}

function justified(body: string, commentLine: RegExp, valueOfLine: (line: string) => string | undefined): Justified[] {
  const entries: Justified[] = [];
  let comment: string[] = [];
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const c = commentLine.exec(line);
    if (c) {
      comment.push(c[1]!);
      continue;
    }
    const value = valueOfLine(line);
    if (!value) throw new Error(`unexpected line in a role list: ${line}`);
    entries.push({ value, comment: comment.join(" ") });
    comment = [];
  }
  return entries;
}

/** A step of a GitHub workflow that uses this action, with where it is. */
export interface ActionStep {
  file: string;
  job: string;
  uses: string;
  with: Record<string, unknown>;
}

/** GitHub workflow files of examples/ and .github/workflows/ (path relative to the repository). */
export function githubWorkflowFiles(): string[] {
  const examples = list("examples/")
    .filter((f) => /\.ya?ml$/.test(f) && f !== "azure-pipelines.yml")
    .map((f) => `examples/${f}`);
  const ci = list(".github/workflows/")
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.github/workflows/${f}`);
  return [...examples, ...ci];
}

type Workflow = { jobs: Record<string, { environment?: string | { name: string }; steps?: { uses?: string; with?: Record<string, unknown> }[] }> };

/** Every `uses: …/avd-image-action@…` step of a workflow. */
export function actionSteps(file: string, workflow: Workflow = parse(read(file)) as Workflow): ActionStep[] {
  const steps: ActionStep[] = [];
  for (const [job, body] of Object.entries(workflow.jobs ?? {})) {
    for (const step of body.steps ?? []) {
      if (step.uses && /(^|\/)avd-image-action@/.test(step.uses)) steps.push({ file, job, uses: step.uses, with: step.with ?? {} });
    }
  }
  return steps;
}

/** The OIDC subject GitHub gives a job of `repository` (default claims): its environment, else the branch. */
export function githubSubjectOf(repository: string, job: { environment?: string | { name: string } }, branch = "main"): string {
  const environment = typeof job.environment === "string" ? job.environment : job.environment?.name;
  return environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:refs/heads/${branch}`;
}

/** A README section's text, from its `## Title` line to the next `## ` heading. */
export function readmeSection(title: string): string {
  const readme = read("README.md");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 4);
  return readme.slice(start + 1, end < 0 ? undefined : end);
}
