/**
 * The `avd-steps` input: one AVD built-in step a line, each parameter checked against the script's
 * `param()` block as the catalog records it (ValidateSet values, https URLs, whole numbers) and against
 * the rules the scripts enforce beyond it. Pure; every problem is a sentence naming the line, the
 * parameter and what it accepts.
 */
import { AVD_STEPS, type AvdStepCall, type AvdStepDefinition, type CatalogParam, WINDOWS_UPDATE_ID, findStep } from "./catalog.ts";

/** Whether `value` is an https URL. */
function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/**
 * Splits a list of ValidateSet values, some of which contain commas (`Chinese (Simplified, China)`,
 * `Norwegian, Bokmål (Norway)`): at each position the longest allowed value followed by a comma or the
 * end wins; otherwise the text up to the next comma is taken (and reported as not allowed).
 */
function splitChoices(text: string, allowed: string[]): string[] {
  const result: string[] = [];
  let rest = text.trim();
  const byLength = [...allowed].sort((a, b) => b.length - a.length);
  while (rest !== "") {
    const lower = rest.toLowerCase();
    const match = byLength.find((a) => lower.startsWith(a.toLowerCase()) && /^\s*(,|$)/.test(rest.slice(a.length)));
    const token = match ? rest.slice(0, match.length) : rest.split(",")[0]!;
    result.push(unquote(token));
    rest = rest
      .slice(token.length)
      .replace(/^\s*,\s*/, "")
      .trim();
  }
  return result.filter((t) => t !== "");
}

function listOf(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(", ");
}

/** What a parameter accepts, in words, for error messages. */
function expectation(step: AvdStepDefinition, param: CatalogParam): string {
  const format = step.formats[param.name];
  const many = param.type.endsWith("[]");
  if (format === "choice" && Array.isArray(param.allowed)) return `${many ? "one or more (comma-separated) of" : "one of"}: ${listOf(param.allowed)}`;
  if (format === "https-url") return `an https:// URL${param.portalValue ? ` (the portal uses ${param.portalValue})` : ""}`;
  if (format === "whole-number") return `a whole number${typeof param.allowed === "string" ? ` (${param.allowed})` : ""}`;
  return many
    ? `one or more comma-separated values${typeof param.allowed === "string" ? ` (${param.allowed})` : ""}`
    : `a value${typeof param.allowed === "string" ? ` (${param.allowed})` : ""}`;
}

/** Checks one parameter value; returns the value (canonical spelling) or a problem. */
function checkValue(step: AvdStepDefinition, param: CatalogParam, raw: string): { value: string | string[] } | { problem: string } {
  const format = step.formats[param.name];
  const many = param.type.endsWith("[]");
  const text = raw.trim();
  if (text === "") return { problem: `${param.name} needs a value: ${expectation(step, param)}.` };
  if (format === "choice" && Array.isArray(param.allowed)) {
    const allowed = param.allowed;
    const values = many ? splitChoices(text, allowed) : [unquote(text)];
    const canonical: string[] = [];
    for (const value of values) {
      const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
      if (!found) return { problem: `'${value}' is not an allowed ${param.name} value. Allowed: ${listOf(allowed)}.` };
      if (!canonical.includes(found)) canonical.push(found);
    }
    return { value: many ? canonical : canonical[0]! };
  }
  const values = many
    ? text
        .split(",")
        .map(unquote)
        .filter((v) => v !== "")
    : [unquote(text)];
  for (const value of values) {
    if (format === "https-url" && !isHttpsUrl(value)) return { problem: `${param.name} '${value}' must be ${expectation(step, param)}.` };
    if (format === "whole-number" && !/^\d{1,9}$/.test(value)) return { problem: `${param.name} '${value}' must be ${expectation(step, param)}.` };
  }
  return { value: many ? values : values[0]! };
}

/** Step-specific rules the `param()` block cannot express but the script enforces (see the catalog's notes). */
function crossChecks(step: AvdStepDefinition, params: Map<string, string | string[]>): string[] {
  const problems: string[] = [];
  if (step.script.id === "configureOfficeApps") {
    const type = params.get("Type");
    const apps = (params.get("Applications") as string[] | undefined) ?? [];
    const addable = ["Visio", "Project"];
    if (type === "Add") {
      const wrong = apps.filter((a) => !addable.includes(a));
      if (wrong.length)
        problems.push(`Type=Add installs only Visio and Project (the script ignores ${listOf(wrong)}); use Type=Remove to remove apps from Microsoft 365.`);
    } else if (type === "Remove") {
      const wrong = apps.filter((a) => addable.includes(a));
      if (wrong.length)
        problems.push(
          `Type=Remove removes only ${listOf(((step.script.params.find((p) => p.name === "Applications")?.allowed as string[]) ?? []).filter((a) => !addable.includes(a)))} (not ${listOf(wrong)}).`,
        );
    }
  }
  if (step.script.id === "configureSessionTimeouts" && params.size === 0) {
    problems.push(`give at least one of ${listOf(step.script.params.map((p) => p.name))}, e.g. 'session-timeouts: MaxIdleTime=120' (minutes).`);
  }
  return problems;
}

/**
 * Parses the `avd-steps` input: one step a line, `name` or `name: parameters`, where parameters are
 * `Name=value` pairs (values may contain spaces; a pair ends where the next `Name=` of the step begins)
 * or, for steps with a main parameter, a bare value (`language-packs: English (United Kingdom), German (Germany)`).
 * Empty lines and `#` comments are skipped; a leading `- ` is allowed.
 *
 * @returns the calls in the order given (the layout sorts them into the portal's order) and every
 *   problem found, each a sentence naming the line, the parameter and what it accepts.
 */
export function parseAvdSteps(text: string): { calls: AvdStepCall[]; problems: string[] } {
  const calls: AvdStepCall[] = [];
  const problems: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^-\s+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const colon = line.indexOf(":");
    // `fslogix: ProfilePath=...`: the name is the part before the first colon (URLs come after it).
    const name = (colon < 0 ? line : line.slice(0, colon)).trim();
    const rest = colon < 0 ? "" : line.slice(colon + 1).trim();
    const at = `line '${line}'`;
    if (name.toLowerCase() === "windows-update" || name.toLowerCase() === WINDOWS_UPDATE_ID.toLowerCase()) {
      problems.push(`${at}: Windows Update is the 'windows-update' input (on by default, run before admin-sysprep); remove this line.`);
      continue;
    }
    const step = findStep(name);
    if (!step) {
      problems.push(`${at}: '${name}' is not an AVD built-in step. Steps: ${AVD_STEPS.map((s) => s.key).join(", ")}.`);
      continue;
    }
    if (calls.some((c) => c.step === step)) {
      problems.push(`${at}: '${step.key}' is listed twice; list each step once.`);
      continue;
    }
    const declared = step.script.params;
    const given = new Map<string, string>();
    let lineOk = true;
    if (rest !== "") {
      if (declared.length === 0) {
        problems.push(`${at}: '${step.key}' takes no parameters.`);
        continue;
      }
      const named = /^([A-Za-z][A-Za-z0-9]*)\s*=/.exec(rest);
      if (named) {
        // Split at every ` Name=` of a declared parameter (case-insensitive).
        const names = declared.map((p) => p.name).join("|");
        const marker = new RegExp(`(?:^|\\s)(${names})\\s*=`, "gi");
        const starts = [...rest.matchAll(marker)];
        if (starts.length === 0 || rest.slice(0, starts[0]!.index).trim() !== "" || starts[0]!.index !== 0) {
          problems.push(`${at}: '${named[1]}' is not a parameter of '${step.key}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`);
          continue;
        }
        starts.forEach((m, i) => {
          const param = declared.find((p) => p.name.toLowerCase() === m[1]!.toLowerCase())!;
          const end = i + 1 < starts.length ? starts[i + 1]!.index : rest.length;
          let value = rest.slice(m.index + m[0].length, end).trim();
          const stray = /(?:^|\s)([A-Za-z][A-Za-z0-9]*)\s*=/.exec(value);
          if (stray) {
            problems.push(`${at}: '${stray[1]}' is not a parameter of '${step.key}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`);
            lineOk = false;
            value = value.slice(0, stray.index).trim();
          }
          if (given.has(param.name)) {
            problems.push(`${at}: ${param.name} is given twice.`);
            lineOk = false;
          }
          given.set(param.name, value);
        });
      } else if (step.primary) {
        given.set(step.primary, rest);
      } else {
        problems.push(
          `${at}: '${step.key}' takes named parameters, e.g. '${step.key}: ${declared.map((p) => `${p.name}=…`).join(" ")}'. Parameters: ${declared.map((p) => p.name).join(", ")}.`,
        );
        continue;
      }
    }
    const params = new Map<string, string | string[]>();
    for (const param of declared) {
      const raw = given.get(param.name) ?? param.portalValue;
      if (raw === undefined) {
        if (param.mandatory) {
          problems.push(`${at}: '${step.key}' needs ${param.name}: ${expectation(step, param)}.`);
          lineOk = false;
        }
        continue;
      }
      const checked = checkValue(step, param, raw);
      if ("problem" in checked) {
        problems.push(`${at}: ${checked.problem}`);
        lineOk = false;
      } else {
        params.set(param.name, checked.value);
      }
    }
    if (!lineOk) continue;
    const cross = crossChecks(step, params);
    if (cross.length) {
      problems.push(...cross.map((p) => `${at}: ${p}`));
      continue;
    }
    calls.push({ step, params: declared.filter((p) => params.has(p.name)).map((p) => ({ name: p.name, value: params.get(p.name)! })) });
  }
  return { calls, problems };
}
