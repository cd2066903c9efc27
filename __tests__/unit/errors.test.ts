/**
 * One failure family: every error class of src/ extends ActionError (src/errors.ts), whose details, log
 * excerpt and facts feed the job summary; the entry point's one catch tells an ActionError (summary from
 * the error) from anything else (its message, no details).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ActionError, BuildFailedError, CanceledError, ConflictError } from "../../src/errors.ts";
import { main } from "../../src/main.ts";
import { failureSummary } from "../../src/report.ts";
import { parseSettings } from "../../src/settings/index.ts";
import { PreflightError } from "../../src/steps/preflight.ts";
import { createRecordingHost } from "../fakes/recording-host.ts";
import { validInputs } from "../helpers/inputs.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every `class XError extends Y` in src/ but ActionError itself, with its file (hosts/azure-pipelines.ts, which only runs under Azure DevOps, declares none). */
function errorClasses(): { file: string; name: string }[] {
  const found: { file: string; name: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && entry.name !== "azure-pipelines.ts") {
        for (const match of readFileSync(path, "utf8").matchAll(/^export class (\w+Error) extends /gm))
          if (match[1] !== "ActionError") found.push({ file: path, name: match[1]! });
      }
    }
  };
  walk(SRC);
  return found;
}

describe("ActionError family", () => {
  it("every error class of src/ extends ActionError (at least the 13 of the renovation)", async () => {
    const classes = errorClasses();
    assert.ok(classes.length >= 13, `found only ${classes.map((c) => c.name).join(", ")}`);
    for (const { file, name } of classes) {
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const cls = module[name] as (new (...args: never[]) => Error) | undefined;
      assert.equal(typeof cls, "function", `${relative(SRC, file)} exports ${name}`);
      assert.ok(cls!.prototype instanceof ActionError, `${name} (${relative(SRC, file)}) extends ActionError`);
    }
  });

  it("keeps each class's own name and message; details, headline and cause default sensibly", () => {
    const cause = new Error("socket hang up");
    const error = new ActionError("Input 'x': wrong.", { details: ["one", "two"], cause });
    assert.equal(error.message, "Input 'x': wrong.");
    assert.equal(error.headline, error.message);
    assert.deepEqual(error.details, ["one", "two"]);
    assert.equal(error.cause, cause);
    const conflict = new ConflictError("Template in use.");
    assert.ok(conflict instanceof ActionError);
    assert.equal(conflict.name, "ConflictError");
    assert.deepEqual(conflict.details, []);
    assert.equal(new CanceledError("Received SIGTERM").name, "CanceledError");
  });

  it("BuildFailedError: the message carries the log's last lines, the headline and details do not", () => {
    const log = { url: "https://st.blob.core.windows.net/packerlogs/x/customization.log", lines: ["line 1", "line 2"] };
    const facts = { lead: "Image Builder run of template t ended Failed", imageBuilder: "PowerShell exit 1" };
    const error = new BuildFailedError("Build failed: PowerShell exit 1", ["Staging resource group: IT_rg"], log, facts);
    assert.equal(error.headline, "Build failed: PowerShell exit 1");
    assert.equal(error.message, "Build failed: PowerShell exit 1\n\nLast 2 lines of customization.log:\nline 1\nline 2");
    assert.deepEqual(error.details, ["Staging resource group: IT_rg"]);
    assert.equal(error.log, log);
    assert.equal(error.facts, facts);
    const summary = failureSummary(
      parseSettings((n) => validInputs()[n] ?? ""),
      error,
    );
    assert.match(summary, /^## AVD image: win11-avd-m365 — failed$/m);
    assert.match(summary, /\*\*Image Builder:\*\* PowerShell exit 1/);
    assert.match(summary, /^- Staging resource group: IT_rg$/m);
    assert.match(summary, /<details><summary>Last 2 lines of customization.log<\/summary>/);
  });

  it("PreflightError: details list every check with its mark, the message only the failed ones", () => {
    const error = new PreflightError(
      [
        { check: "Gallery image definition", status: "ok", detail: "found" },
        { check: "Quota", status: "warning", detail: "close to the limit" },
        { check: "Identity", status: "failed", detail: "not found", input: "identity-id" },
      ],
      (n) => n,
    );
    assert.deepEqual(error.details, ["✔ Gallery image definition: found", "⚠ Quota: close to the limit", "✖ Identity: not found"]);
    assert.equal(error.message, "Preflight found 1 problem; nothing was created or deleted:\n- Input 'identity-id': not found");
  });
});

describe("main(): one catch for every failure", () => {
  const signal = new AbortController().signal;

  it("a SettingsError (an ActionError) fails the run and heads the summary 'inputs not valid'", async () => {
    // The recording host's default credential throws: bad inputs never sign in.
    const host = createRecordingHost({ inputs: validInputs({ "keep-versions": "-1" }) });
    assert.equal(await main(host, signal), 1);
    assert.match(host.failed!, /^1 input is not valid:\n- Input 'keep-versions': .*whole number of versions/);
    assert.match(host.summary, /^## AVD image: inputs not valid, nothing done\n\n1 input is not valid:/);
  });

  it("an ActionError's details go into the summary; any other error is reported by its message alone", async () => {
    const explained = createRecordingHost({ inputs: validInputs() });
    const services = () => {
      throw new ActionError("Service connection 'sc' cannot be used.", { details: ["Fix the connection's scheme."] });
    };
    assert.equal(await main(explained, signal, { services }), 1);
    assert.equal(explained.failed, "Service connection 'sc' cannot be used.");
    assert.match(explained.summary, /^## AVD image: win11-avd-m365 — failed\n\nService connection 'sc' cannot be used\.\n\n- Fix the connection's scheme\.\n/);

    const plain = createRecordingHost({ inputs: validInputs() });
    assert.equal(
      await main(plain, signal, {
        services: () => {
          throw new TypeError("boom");
        },
      }),
      1,
    );
    assert.equal(plain.failed, "boom");
    assert.equal(plain.summary, "## AVD image: win11-avd-m365 — failed\n\nboom\n");
  });
});
