/**
 * harness/inputs.ts is the one builder of the action's required inputs (tests, demo, benchmarks, the
 * local-action `.env`, the CI stand-ins). It must give exactly the inputs the public contract marks
 * required, action.yml's and task.json's, so a new required input fails here until the builder has it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { emulatorInputs, requiredInputs, requiredTaskInputs } from "../../harness/inputs.ts";
import { localActionInputs } from "../../harness/local-action-env.ts";
import { parseSettings } from "../../src/settings/index.ts";
import { REQUIRED_INPUTS } from "../../src/settings/inputs.ts";
import { EXAMPLE_TARGET, validInputs } from "../helpers/inputs.ts";
import { read } from "./kit-helpers.ts";

const actionRequired = Object.entries((parse(read("action.yml")) as { inputs: Record<string, { required?: boolean }> }).inputs)
  .filter(([, input]) => input.required === true)
  .map(([name]) => name);
const taskRequired = (JSON.parse(read("task.json")) as { inputs: { name: string; required?: boolean }[] }).inputs
  .filter((i) => i.required === true)
  .map((i) => i.name);

describe("harness/inputs.ts: the one builder of the required inputs", () => {
  it("requiredInputs gives exactly action.yml's required inputs, in its order, and REQUIRED_INPUTS", () => {
    assert.ok(actionRequired.length > 0);
    assert.deepEqual(Object.keys(requiredInputs(EXAMPLE_TARGET)), actionRequired);
    assert.deepEqual([...REQUIRED_INPUTS].sort(), [...actionRequired].sort());
  });

  it("requiredTaskInputs gives exactly task.json's required inputs, the subscription from the service connection", () => {
    const inputs = requiredTaskInputs(EXAMPLE_TARGET, "sc-avd");
    assert.deepEqual(Object.keys(inputs).sort(), [...taskRequired].sort());
    assert.equal(inputs.azureSubscription, "sc-avd");
    assert.equal(inputs.galleryName, EXAMPLE_TARGET.gallery);
  });

  it("what it builds parses into Settings for that target; extra inputs go on top", () => {
    const inputs = validInputs({ "keep-versions": "7", location: "northeurope" });
    const settings = parseSettings((name) => inputs[name] ?? "");
    assert.equal(settings.subscriptionId, EXAMPLE_TARGET.subscriptionId);
    assert.equal(settings.galleryName, EXAMPLE_TARGET.gallery);
    assert.equal(settings.imageDefinition, EXAMPLE_TARGET.imageDefinition);
    assert.equal(settings.location, "northeurope");
  });

  it("emulatorInputs and the local-action .env are the required inputs plus what points the action at the emulator", () => {
    const emu = {
      url: "https://127.0.0.1:8443",
      defaults: { clientId: "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8", tenantId: "8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d" },
    };
    const inputs = emulatorInputs(emu, EXAMPLE_TARGET, { "tenant-id": "" });
    assert.deepEqual(inputs, {
      ...requiredInputs(EXAMPLE_TARGET),
      "client-id": emu.defaults.clientId,
      "tenant-id": "",
      "arm-endpoint": emu.url,
      "authority-host": emu.url,
    });
    const env = localActionInputs({
      url: emu.url,
      caFile: "/ca.pem",
      tenantId: "t",
      clientId: "c",
      clientSecret: "s",
      subscriptionId: EXAMPLE_TARGET.subscriptionId,
      identityId: EXAMPLE_TARGET.identityId,
    });
    assert.deepEqual(Object.keys(env).slice(0, actionRequired.length), actionRequired);
    assert.equal(env["arm-endpoint"], emu.url);
  });
});
