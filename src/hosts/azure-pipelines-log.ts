/**
 * Log text for the Azure Pipelines agent. Pure (no task library), so it is tested in-process.
 */

/**
 * Text relayed from Azure (template names, Image Builder messages) must not act as a logging command:
 * the agent runs a `##vso[` found anywhere in a line, and `##[group]`-style formatting at a line's
 * start. A zero-width space breaks the marker and keeps the text readable.
 */
export function neutralizeCommands(text: string): string {
  return text.replace(/##(vso\[)/gi, "##\u200b$1").replace(/^##\[/gm, "#\u200b#[");
}
