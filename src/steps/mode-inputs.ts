/**
 * Inputs that have no effect in the chosen mode: a step that sets them is most likely a copy of another
 * step, and the user should know that what they set is not applied. Pure.
 *
 * - `mode: promote` only marks a staged version as included in latest (and tags it): nothing that shapes,
 *   builds, versions, tags at publish or prunes applies.
 * - `attach: true` follows the build a `wait: false` step submitted: the image template (and so the
 *   version it publishes) is that step's, so the inputs that shape the template and choose the version
 *   do not apply; tags, end-of-life and retention do.
 * - `mode: build` never promotes: `promote-after-days` does not apply.
 */
import { INPUTS, type InputSpec } from "../settings/contract.ts";
import { INPUT_DEFAULTS, type InputName, type InputReader } from "../settings/inputs.ts";
import type { Settings } from "../settings/types.ts";

/** The inputs of the contract (settings/contract.ts) whose `appliesTo` is `scope`. */
const inputsThatApplyTo = (scope: InputSpec["appliesTo"]): InputName[] =>
  (INPUTS as readonly InputSpec[]).filter((input) => input.appliesTo === scope).map((input) => input.name as InputName);

/** Inputs that shape the image template or its build, or choose the version to build (`appliesTo: "template"`). */
const TEMPLATE_INPUTS = inputsThatApplyTo("template");

/** Inputs that only apply when a build publishes a version: its tags, end-of-life, retention, and the build's control (`appliesTo: "publish"`). */
const PUBLISH_INPUTS = inputsThatApplyTo("publish");

/** One mode and the inputs set in this step that it ignores. */
export interface InapplicableInputs {
  /** The mode as the user writes it, e.g. `mode: promote`, `attach: true`. */
  mode: string;
  /** Canonical names of the inputs set (to a value other than the default) that have no effect. */
  inputs: InputName[];
  /** Why they do not apply, in a few words. */
  why: string;
}

/**
 * The inputs set in this step that have no effect in its mode. An input counts as set when its value
 * differs from its default (Azure DevOps passes every input with its task.json default).
 * @param read the host's input reader (canonical names; '' when unset).
 */
export function inapplicableInputs(read: InputReader, settings: Settings): InapplicableInputs[] {
  const set = (names: readonly string[]): InputName[] =>
    names.filter((name): name is InputName => {
      const value = read(name as InputName).trim();
      const fallback = (INPUT_DEFAULTS as Record<string, string>)[name] ?? "";
      return value !== "" && value !== fallback;
    });
  const found: InapplicableInputs[] = [];
  if (settings.mode === "promote") {
    found.push({
      mode: "mode: promote",
      inputs: set([...TEMPLATE_INPUTS, ...PUBLISH_INPUTS]),
      why: "a promotion only includes a staged version in latest; it builds, tags at publish and deletes nothing",
    });
  } else {
    found.push({ mode: "mode: build", inputs: set(["promote-after-days"]), why: "only mode: promote promotes" });
    if (settings.attach) {
      found.push({
        mode: "attach: true",
        inputs: set([...TEMPLATE_INPUTS, "version"]),
        why: "the submitted build's image template, and the version it publishes, are the submitting step's",
      });
    }
  }
  return found.filter((f) => f.inputs.length > 0);
}

/** The warning for one mode's inapplicable inputs, naming each input as the host writes it. */
export function inapplicableWarning(found: InapplicableInputs, label: (input: InputName) => string): string {
  const names = found.inputs.map((i) => `'${label(i)}'`).join(", ");
  const one = found.inputs.length === 1;
  return `Input${one ? "" : "s"} ${names} ${one ? "has" : "have"} no effect with '${found.mode}' (${found.why}): remove ${one ? "it" : "them"} from this step.`;
}
