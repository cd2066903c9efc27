/**
 * Issue 10 rule 4, end to end: an image template stuck in Canceling (danielsollondon/azvmimagebuilder
 * #48, #79, #116). The next run builds the same content under `<name>-2` and warns once, naming the stuck
 * template and what to ask Azure support; later runs' garbage collection tries it again and never fails
 * because of it; once Azure support has ended the cancel, a run deletes it. And the emulator alone, with
 * the product's handling bypassed: cancel, run and delete of the stuck template answer 405.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, startScenario, versionNames } from "../helpers/scenario.ts";

describe("a template stuck in Canceling, end to end", () => {
  let s: Scenario;
  let stuck: string;
  before(async () => {
    s = await startScenario();
  });
  after(() => s.emu.close());

  const templates = () =>
    s.emu
      .listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup)
      .map((t) => String(t.name))
      .sort();
  // (The emulator here writes no customization.log: its "Build log" warning is not about this rule.)
  const warnings = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("::warning::") && !l.startsWith("::warning::Build log:"));

  it("the next run builds under <name>-2, publishes, and warns once naming the stuck template and what to ask Azure support", async () => {
    // A build submitted, then canceled and stuck: it published nothing.
    const submitted = await s.run({ wait: "false" });
    assert.equal(submitted.exitCode, 0, submitted.stdout);
    [stuck] = templates();
    s.emu.stickTemplateInCanceling(s.avd.subscriptionId, s.avd.resourceGroup, stuck!);
    assert.deepEqual(versionNames(s), []);

    const run = await s.run();
    assert.equal(run.exitCode, 0, run.stdout);
    assert.deepEqual(templates(), [stuck, `${stuck}-2`].sort());
    assert.equal(run.outputs["image-version"], "1.0.0", "the version the stuck build never published");
    assert.deepEqual(versionNames(s), ["1.0.0"]);
    const w = warnings(run.stdout);
    assert.equal(w.length, 1, w.join("\n"));
    assert.match(w[0]!, new RegExp(`Image template ${stuck} is stuck in Canceling`));
    assert.match(w[0]!, new RegExp(`This run builds the same content as image template ${stuck}-2\\.`));
    assert.match(w[0]!, new RegExp(`Ask Azure support \\(Azure VM Image Builder\\) to end the stuck cancel of /subscriptions/.*/imageTemplates/${stuck}`));
    assert.doesNotMatch(run.stdout, /another run/i);
    assert.match(
      run.stdout,
      new RegExp(`Older template ${stuck} is still stuck in Canceling: Image Builder refuses to delete it\\. The next run tries again\\.`),
    );
  });

  it("a later run reuses <name>-2; its garbage collection tries the stuck template again and leaves it without failing", async () => {
    s.emu.resetLog();
    const run = await s.run();
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs["image-version"], "1.0.1");
    assert.match(run.stdout, new RegExp(`Image template: ${stuck}-2 \\(reuse`));
    assert.equal(warnings(run.stdout).length, 1, "the stuck template is named once per run");
    const deletes = s.emu.requests.filter((e) => e.method === "DELETE" && e.path.endsWith(`/imageTemplates/${stuck}`));
    assert.deepEqual(
      deletes.map((d) => d.status),
      [405],
      "tried once, refused",
    );
    assert.ok(templates().includes(stuck));
  });

  it("once Azure support has ended the cancel, the next run's garbage collection deletes it", async () => {
    s.emu.releaseStuckCanceling(s.avd.subscriptionId, s.avd.resourceGroup, stuck);
    const run = await s.run();
    assert.equal(run.exitCode, 0, run.stdout);
    assert.deepEqual(warnings(run.stdout), []);
    assert.equal(templates().length, 1, templates().join(", "));
  });
});

describe("the emulator alone: a stuck template refuses cancel, run and delete (405), as Azure does", () => {
  let s: Scenario;
  let untrust: () => void;
  before(async () => {
    s = await startScenario();
    untrust = trustEmulator(s.emu);
  });
  after(async () => {
    untrust();
    await s.emu.close();
  });

  it("without the product's renaming, the run of the stuck template would fail", async () => {
    const submitted = await s.run({ wait: "false" });
    assert.equal(submitted.exitCode, 0, submitted.stdout);
    const [name] = s.emu.listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup).map((t) => String(t.name));
    s.emu.stickTemplateInCanceling(s.avd.subscriptionId, s.avd.resourceGroup, name!);
    const ib = imageBuilderClient(s.emu);
    const poll = { updateIntervalInMs: 10 };
    const refused = async (call: Promise<unknown>, action: string) => {
      await assert.rejects(call, (e: { statusCode?: number; code?: string; message?: string }) => {
        assert.equal(e.statusCode, 405);
        assert.equal(e.code, "OperationNotAllowed");
        assert.equal(
          e.message,
          `Operation Microsoft.VirtualMachineImages/imageTemplates/${action} is not allowed in provisioning state: provisioned or run state: canceling.`,
        );
        return true;
      });
    };
    await refused(ib.virtualMachineImageTemplates.run(s.avd.resourceGroup, name!, poll).submitted(), "run/action");
    await refused(ib.virtualMachineImageTemplates.cancel(s.avd.resourceGroup, name!, poll).submitted(), "cancel/action");
    await refused(ib.virtualMachineImageTemplates.delete(s.avd.resourceGroup, name!, poll), "delete");
    const got = await ib.virtualMachineImageTemplates.get(s.avd.resourceGroup, name!);
    assert.equal(got.lastRunStatus?.runState, "Canceling", "still stuck");
  });
});
