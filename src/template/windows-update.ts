/**
 * The options of Image Builder's `WindowsUpdate` customizer (`searchCriteria`, `filters`, `updateLimit`;
 * imagebuilder.json 2025-10-01 `ImageTemplateWindowsUpdateCustomizer`), checked before anything is
 * created so a typo fails in seconds, not in the Customizing phase an hour into a build. Pure.
 *
 * - `searchCriteria` is the Windows Update Agent search string (IUpdateSearcher::Search). Grammar after
 *   [MS-UAMG] 3.38.4.11: `criterion = propertyname operator value`, operators `=`, `!=`, `contains`,
 *   values an integer or a single-quoted string, joined with `and` / `or` and parentheses; and, as the
 *   wuapi Search remarks say, `or` only at the top level ("(x=1 and y=1) or (z=1)" is valid,
 *   "(x=1) and (y=1 or z=1)" is not).
 * - `filters` follow the packer windows-update provisioner AIB runs (rgl/packer-plugin-windows-update
 *   README): `include:<PowerShell expression>` or `exclude:<expression>`, evaluated in order, the first
 *   that returns `$true` decides; an update no filter includes is not installed.
 * - `updateLimit`: updates installed at a time; 0 is AIB's default, 1000 (the spec: int32, minimum 0).
 */
import type { ImageTemplateWindowsUpdateCustomizer } from "@azure/arm-imagebuilder";

/** What the action's Windows Update customizers search, filter and install at a time. */
export interface WindowsUpdateOptions {
  /** WUA search criteria, e.g. `IsInstalled=0`. */
  searchCriteria: string;
  /** `include:`/`exclude:` filters, in order. */
  filters: string[];
  /** Updates installed at a time, 0–1000 (0: AIB's default, 1000). */
  updateLimit: number;
}

/** The action's defaults: everything not installed, previews excluded, 40 at a time. */
export const WINDOWS_UPDATE_DEFAULTS: WindowsUpdateOptions = {
  searchCriteria: "IsInstalled=0",
  filters: ["exclude:$_.Title -like '*Preview*'", "include:$true"],
  updateLimit: 40,
};

/** Most updates at a time the input takes (AIB's own default). */
export const MAX_UPDATE_LIMIT = 1000;

/** Property names of [MS-UAMG] 3.38.4.11 with the operators each supports. */
const CRITERIA: Record<string, readonly string[]> = {
  type: ["=", "!="],
  deploymentaction: ["="],
  isassigned: ["="],
  autoselectonwebsites: ["="],
  browseonly: ["="],
  updateid: ["=", "!="],
  revisionnumber: ["="],
  categoryids: ["contains"],
  isinstalled: ["="],
  ishidden: ["="],
  ispresent: ["="],
  rebootrequired: ["="],
};
const CRITERIA_NAMES =
  "Type, DeploymentAction, IsAssigned, AutoSelectOnWebSites, BrowseOnly, UpdateID, RevisionNumber, CategoryIDs, IsInstalled, IsHidden, IsPresent, RebootRequired";

type Token = { kind: "name" | "op" | "value" | "and" | "or" | "(" | ")"; text: string };

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  const re = /\s*(?:(\()|(\))|(!=|=)|('(?:[^']|'')*')|(-?\d+)\b|([A-Za-z]+))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return `cannot read '${text.slice(at).trim()}' (values are integers or 'single-quoted' strings)`;
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: "(", text: "(" });
    else if (m[2]) tokens.push({ kind: ")", text: ")" });
    else if (m[3]) tokens.push({ kind: "op", text: m[3] });
    else if (m[4] || m[5]) tokens.push({ kind: "value", text: m[4] ?? m[5]! });
    else {
      const word = m[6]!.toLowerCase();
      tokens.push(
        word === "and" || word === "or" ? { kind: word, text: word } : word === "contains" ? { kind: "op", text: "contains" } : { kind: "name", text: m[6]! },
      );
    }
  }
  return tokens;
}

/**
 * Checks a Windows Update search criteria string.
 * @returns undefined when it is valid, else what is wrong (for the input's error message).
 */
export function searchCriteriaProblem(text: string): string | undefined {
  const tokens = tokenize(text);
  if (typeof tokens === "string") return tokens;
  if (tokens.length === 0) return "is empty";
  let i = 0;
  const peek = () => tokens[i];
  // or-group := and-group ("or" and-group)*, only at depth 0; and-group := term ("and" term)*;
  // term := criterion | "(" and-group-or-criterion ")".
  const criterion = (): string | undefined => {
    const name = tokens[i];
    if (name?.kind !== "name") return `expected a criterion such as IsInstalled=0 ${name ? `at '${name.text}'` : "at the end"}`;
    const operators = CRITERIA[name.text.toLowerCase()];
    if (!operators) return `'${name.text}' is not a search criterion (one of ${CRITERIA_NAMES})`;
    const op = tokens[i + 1];
    if (op?.kind !== "op") return `'${name.text}' needs an operator and a value, e.g. ${name.text}=0`;
    if (!operators.includes(op.text)) return `'${name.text}' takes ${operators.map((o) => `'${o}'`).join(" or ")}, not '${op.text}'`;
    const value = tokens[i + 2];
    if (value?.kind !== "value") return `'${name.text}${op.text}' needs a value (an integer or a 'single-quoted' string)`;
    i += 3;
    return undefined;
  };
  const term = (depth: number): string | undefined => {
    if (peek()?.kind === "(") {
      i += 1;
      const inner = andGroup(depth + 1);
      if (inner) return inner;
      if (peek()?.kind === "or") return "'or' is allowed only at the top level, e.g. (IsInstalled=0 and Type='Software') or (IsInstalled=0 and Type='Driver')";
      if (peek()?.kind !== ")") return "a '(' is not closed";
      i += 1;
      return undefined;
    }
    return criterion();
  };
  const andGroup = (depth: number): string | undefined => {
    let problem = term(depth);
    while (!problem && peek()?.kind === "and") {
      i += 1;
      problem = term(depth);
    }
    return problem;
  };
  let problem = andGroup(0);
  while (!problem && peek()?.kind === "or") {
    i += 1;
    problem = andGroup(0);
  }
  if (problem) return problem;
  if (i < tokens.length) return tokens[i]!.kind === ")" ? "a ')' has no '('" : `unexpected '${tokens[i]!.text}' (join criteria with 'and' or 'or')`;
  return undefined;
}

/**
 * Checks filters, one a line (blank lines and `#` comments dropped).
 * @returns the filters and every problem found (each naming its line).
 */
export function parseWindowsUpdateFilters(text: string): { filters: string[]; problems: string[] } {
  const filters: string[] = [];
  const problems: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(include|exclude):(.*)$/i.exec(line);
    if (!m) problems.push(`line '${line}' must be 'include:<PowerShell expression>' or 'exclude:<expression>', e.g. exclude:$_.Title -like '*KB5034441*'.`);
    else if (m[2]!.trim() === "") problems.push(`line '${line}' has no expression after '${m[1]}:' (e.g. include:$true).`);
    else filters.push(`${m[1]!.toLowerCase()}:${m[2]!.trim()}`);
  }
  if (problems.length === 0 && filters.length > 0 && !filters.some((f) => f.startsWith("include:"))) {
    problems.push(
      "no line starts with 'include:', so Windows Update would install nothing (an update no filter includes is skipped); end the list with 'include:$true'.",
    );
  }
  return { filters, problems };
}

/** The WindowsUpdate customizer with `options` (imagebuilder.json 2025-10-01 ImageTemplateWindowsUpdateCustomizer). */
export function windowsUpdateCustomizer(name: string, options: WindowsUpdateOptions): ImageTemplateWindowsUpdateCustomizer {
  return { type: "WindowsUpdate", name, searchCriteria: options.searchCriteria, filters: [...options.filters], updateLimit: options.updateLimit };
}

/** True when `options` are the action's defaults. */
export function isDefaultWindowsUpdate(options: WindowsUpdateOptions): boolean {
  const d = WINDOWS_UPDATE_DEFAULTS;
  return options.searchCriteria === d.searchCriteria && options.updateLimit === d.updateLimit && options.filters.join("\n") === d.filters.join("\n");
}
