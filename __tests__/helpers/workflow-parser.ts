/**
 * GitHub's own workflow parser (@actions/workflow-parser, the parser of GitHub's Actions language
 * services), loaded under Node: its ESM build imports its schema JSON without the `with { type: "json" }`
 * attribute Node requires (it is built for bundlers), so a module hook serves the package's own JSON
 * files as modules whose default export is that JSON, and touches nothing else.
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  load(url, context, nextLoad) {
    if (url.endsWith(".json") && url.includes("/node_modules/@actions/workflow-parser/")) {
      // The schema as a module whose default export is the parsed JSON.
      return { format: "module", source: `export default ${readFileSync(fileURLToPath(url), "utf8")};`, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});

const parser = await import("@actions/workflow-parser");

/**
 * Every error GitHub's parser finds in a workflow file: schema errors of `parseWorkflow` and the semantic
 * ones of `convertWorkflowTemplate` (unknown `needs`, bad expressions ...), one message each, with the
 * line and column the parser gives. Empty when GitHub would accept the file.
 */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (result.value && errors.length === 0) {
    const template = await parser.convertWorkflowTemplate(result.context, result.value);
    for (const e of template.errors ?? [])
      errors.push((e as { Message?: string; message?: string }).Message ?? (e as { message?: string }).message ?? String(e));
  }
  return errors;
}
