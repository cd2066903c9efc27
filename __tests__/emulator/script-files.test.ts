/**
 * The emulator alone (Azure SDK, no product code): its HTTPS file host serves scripts with the emulator's
 * TLS; Image Builder copies a template's scripts when the template is created and computes their
 * sha256Checksum itself (as the SDK recording of a template GET shows); a declared checksum that is not the
 * content's fails the build late, at Customizing; an unreadable script fails the template's provisioning;
 * and a script changed in place after creation does not reach a rebuild of the same template — which is
 * why the action pins content into the template hash (__tests__/e2e/script-pinning.test.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type AvdDefaults, type Emulator, startEmulator } from "../../emulator/index.ts";
import { POLL_MS, avdTemplate, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("emulator alone: the file host and Image Builder's copies of scripts", () => {
  let emu: Emulator;
  let avd: AvdDefaults;
  let untrust: () => void;
  let version = 0;
  before(async () => {
    emu = await startEmulator({
      lroRetryAfterSeconds: null,
      phaseDurationsMs: { Queued: 10, Building: 10, Customizing: 10, Optimizing: 10, Validating: 10, Distributing: 10 },
    });
    untrust = trustEmulator(emu);
    avd = emu.seedAvdDefaults();
  });
  after(async () => {
    untrust();
    await emu.close();
  });

  function template(customize: Record<string, unknown>[]) {
    version += 1;
    const t = avdTemplate({ identityId: avd.identityId, galleryImageId: `${avd.imageDefinitionId}/versions/2.0.${version}` });
    t.customize = customize;
    return t;
  }

  it("serves files over HTTPS with the emulator's certificate, and what a test puts there next", async () => {
    const url = emu.files.put("hello.ps1", "Write-Host 1\n");
    assert.equal(await (await fetch(url)).text(), "Write-Host 1\n");
    emu.files.put("hello.ps1", "Write-Host 2\n");
    assert.equal(await (await fetch(url)).text(), "Write-Host 2\n");
    assert.equal((await fetch(emu.files.url("nothing.ps1"))).status, 404);
  });

  it("computes the sha256Checksum of a script the template did not give one for (GET shows it)", async () => {
    const url = emu.files.put("computed.ps1", "Write-Host computed\n");
    const client = imageBuilderClient(emu);
    await client.virtualMachineImageTemplates.createOrUpdate(
      avd.resourceGroup,
      "computed",
      template([{ type: "PowerShell", name: "computed", scriptUri: url, runElevated: true }]),
      { updateIntervalInMs: POLL_MS },
    );
    const got = await client.virtualMachineImageTemplates.get(avd.resourceGroup, "computed");
    assert.equal((got.customize![0] as { sha256Checksum?: string }).sha256Checksum, sha256("Write-Host computed\n"));
  });

  it("a declared sha256Checksum that is not the content's fails the build late, at Customizing; nothing is published", async () => {
    const url = emu.files.put("stale.ps1", "Write-Host fixed in place\n");
    const client = imageBuilderClient(emu);
    const stale = sha256("Write-Host as it was\n");
    await client.virtualMachineImageTemplates.createOrUpdate(
      avd.resourceGroup,
      "stale",
      template([{ type: "PowerShell", name: "install-agent", scriptUri: url, sha256Checksum: stale, runElevated: true }]),
      { updateIntervalInMs: POLL_MS },
    );
    await assert.rejects(client.virtualMachineImageTemplates.run(avd.resourceGroup, "stale", { updateIntervalInMs: POLL_MS }));
    const status = (await client.virtualMachineImageTemplates.get(avd.resourceGroup, "stale")).lastRunStatus!;
    assert.equal(status.runState, "Failed");
    assert.equal(status.runSubState, "Customizing");
    assert.match(
      status.message!,
      new RegExp(
        `Customizer 'install-agent': the SHA256 checksum of '.*stale\\.ps1' is ${sha256("Write-Host fixed in place\n")}, not the sha256Checksum ${stale} of the template`,
      ),
    );
    assert.equal(
      emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).some((v) => v.name === `2.0.${version}`),
      false,
    );
  });

  it("a script it cannot download fails the template submission (provisioningState Failed)", async () => {
    const url = emu.files.url("never-uploaded.ps1");
    const client = imageBuilderClient(emu);
    await assert.rejects(
      client.virtualMachineImageTemplates.createOrUpdate(
        avd.resourceGroup,
        "unreadable",
        template([{ type: "File", name: "msi", sourceUri: url, destination: "C:\\a.msi" }]),
        { updateIntervalInMs: POLL_MS },
      ),
      /Downloading external file \(.*never-uploaded\.ps1\) to local file \(0\.customizer\.fp\) \[attempt 1 of 10\] failed/,
    );
    const got = await client.virtualMachineImageTemplates.get(avd.resourceGroup, "unreadable");
    assert.equal(got.provisioningState, "Failed");
    assert.equal(got.provisioningError?.provisioningErrorCode, "NoCustomizerScript");
  });

  it("a script changed in place after the template was created does not reach its next build (the copy stays)", async () => {
    const url = emu.files.put("in-place.ps1", "Write-Host v1\n");
    const client = imageBuilderClient(emu);
    await client.virtualMachineImageTemplates.createOrUpdate(
      avd.resourceGroup,
      "in-place",
      template([{ type: "PowerShell", name: "in-place", scriptUri: url, runElevated: true }]),
      { updateIntervalInMs: POLL_MS },
    );
    emu.files.put("in-place.ps1", "Write-Host v2 (the fix)\n");
    await client.virtualMachineImageTemplates.run(avd.resourceGroup, "in-place", { updateIntervalInMs: POLL_MS });
    const got = await client.virtualMachineImageTemplates.get(avd.resourceGroup, "in-place");
    assert.equal(got.lastRunStatus!.runState, "Succeeded");
    assert.equal((got.customize![0] as { sha256Checksum?: string }).sha256Checksum, sha256("Write-Host v1\n"), "the template still holds the v1 copy");
  });
});
