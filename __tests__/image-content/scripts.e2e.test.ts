/**
 * Repository scripts end to end, against Azurite (the real Azure Storage emulator, bearer tokens from the
 * emulator's Entra ID): the bundled action uploads the repository's scripts to the named container as
 * `<sha256>/<path>` with their SHA-256 recorded, the template downloads them with `sha256Checksum`; an
 * unchanged script is not uploaded again and its template is reused; one changed byte makes a new
 * upload and a new template hash (README, "Repository scripts").
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { sha256Hex } from "../../src/template/scripts.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const SCRIPT = "Write-Host 'Installing line-of-business apps'\n";
const AGENT = new Uint8Array([0x4d, 0x53, 0x49, 0x00, 0x01, 0x02]);

describe("repository scripts, end to end against Azurite", () => {
  let azurite: Azurite;
  let s: Scenario;
  let workspace: string;
  let container: ReturnType<BlobServiceClient["getContainerClient"]>;
  let inputs: Record<string, string>;
  let lastTemplate = "";
  const blobs = async () => {
    const found: Record<string, { sha256?: string; etag?: string; bytes?: number }> = {};
    for await (const blob of container.listBlobsFlat({ includeMetadata: true }))
      found[blob.name] = { sha256: blob.metadata?.sha256, etag: blob.properties.etag, bytes: blob.properties.contentLength };
    return found;
  };
  const templatePut = () => s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path));

  before(async () => {
    azurite = await startAzurite({ accounts: 2 });
    s = await startScenario({ azurite });
    const account = azurite.accounts[0]!;
    container = new BlobServiceClient(azurite.blobEndpoint(account.name), new StorageSharedKeyCredential(account.name, account.key)).getContainerClient(
      "avd-scripts",
    );
    workspace = mkdtempSync(join(tmpdir(), "avd-repo-"));
    mkdirSync(join(workspace, "scripts"));
    mkdirSync(join(workspace, "installers"));
    writeFileSync(join(workspace, "scripts", "Install-Apps.ps1"), SCRIPT);
    writeFileSync(join(workspace, "installers", "agent.msi"), AGENT);
    inputs = {
      scripts: "scripts/*.ps1\ninstallers/agent.msi => C:\\Install\\",
      "scripts-storage-account": azurite.blobEndpoint(account.name),
      "scripts-container": "avd-scripts",
      "inline-script": "",
      "windows-update": "false",
    };
  });
  after(async () => {
    await s.emu.close();
    await azurite.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  const run = () => s.run(inputs, { GITHUB_WORKSPACE: workspace });

  it("a dry run lists the uploads it would make and uploads nothing", async () => {
    s.emu.resetLog();
    const dry = await s.run({ ...inputs, "dry-run": "true" }, { GITHUB_WORKSPACE: workspace });
    assert.equal(dry.exitCode, 0, dry.stdout);
    assert.match(
      dry.stdout,
      /Repository script scripts\/Install-Apps\.ps1: would upload to https:\/\/\S+\/avd-scripts\/[0-9a-f]{64}\/scripts\/Install-Apps\.ps1 unless/,
    );
    assert.match(dry.stdout, /Repository script installers\/agent\.msi: would upload to/);
    assert.deepEqual(s.emu.writeRequests(), []);
    assert.deepEqual(Object.keys(await blobs().catch(() => ({}))), []);
  });

  it("uploads every script with its SHA-256, and the template downloads them with sha256Checksum", async () => {
    s.emu.resetLog();
    const first = await run();
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const sha = sha256Hex(new TextEncoder().encode(SCRIPT));
    const agentSha = sha256Hex(AGENT);
    const stored = await blobs();
    assert.deepEqual(Object.keys(stored).sort(), [`${agentSha}/installers/agent.msi`, `${sha}/scripts/Install-Apps.ps1`].sort());
    assert.equal(stored[`${sha}/scripts/Install-Apps.ps1`]!.sha256, sha);
    assert.equal(stored[`${agentSha}/installers/agent.msi`]!.bytes, AGENT.byteLength);
    assert.equal((await container.getBlobClient(`${sha}/scripts/Install-Apps.ps1`).downloadToBuffer()).toString(), SCRIPT);
    const customize = (templatePut()!.body as { properties: { customize: Record<string, unknown>[] } }).properties.customize;
    const base = `${azurite.blobEndpoint(azurite.accounts[0]!.name)}avd-scripts`;
    assert.deepEqual(
      customize.find((c) => c.name === "repo-script-scripts_Install-Apps.ps1"),
      {
        type: "PowerShell",
        name: "repo-script-scripts_Install-Apps.ps1",
        scriptUri: `${base}/${sha}/scripts/Install-Apps.ps1`,
        sha256Checksum: sha,
        runElevated: true,
        runAsSystem: true,
      },
    );
    assert.deepEqual(
      customize.find((c) => c.type === "File"),
      {
        type: "File",
        name: "repo-file-installers_agent.msi",
        sourceUri: `${base}/${agentSha}/installers/agent.msi`,
        sha256Checksum: agentSha,
        destination: "C:\\Install\\agent.msi",
      },
    );
    assert.match(first.stdout, /Script scripts\/Install-Apps\.ps1: uploaded \(/);
  });

  it("does not upload an unchanged script again, and reuses its template", async () => {
    const before = await blobs();
    s.emu.resetLog();
    const second = await run();
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    assert.equal(second.outputs["template-reused"], "true");
    lastTemplate = second.outputs["template-name"]!;
    assert.deepEqual(await blobs(), before, "same blobs, same etags: nothing written");
    assert.match(second.stdout, /Script scripts\/Install-Apps\.ps1: unchanged .* not uploaded again/);
    assert.doesNotMatch(second.stdout, /: uploaded \(/);
    assert.equal(templatePut(), undefined, "no new template");
  });

  it("uploads a script with one byte changed, under a new name, and builds a new template (new hash)", async () => {
    const before = await blobs();
    s.emu.resetLog();
    const changed = SCRIPT.replace("apps'", "apps!'");
    writeFileSync(join(workspace, "scripts", "Install-Apps.ps1"), changed);
    const third = await run();
    assert.equal(third.exitCode, 0, third.stdout + third.stderr);
    assert.ok(lastTemplate);
    assert.notEqual(third.outputs["template-name"], lastTemplate, "a new template hash");
    assert.equal(third.outputs["template-reused"], "false");
    const after = await blobs();
    const newSha = sha256Hex(new TextEncoder().encode(changed));
    assert.deepEqual(
      Object.keys(after).sort(),
      [...Object.keys(before), `${newSha}/scripts/Install-Apps.ps1`].sort(),
      "one new blob; the old one stays for older templates",
    );
    assert.equal(after[`${newSha}/scripts/Install-Apps.ps1`]!.sha256, newSha);
    for (const [name, blob] of Object.entries(before)) assert.equal(after[name]!.etag, blob.etag, `${name} untouched`);
    assert.match(third.stdout, /Script scripts\/Install-Apps\.ps1: uploaded \(/);
    assert.match(third.stdout, /Script installers\/agent\.msi: unchanged/);
  });
});
