/**
 * Scripts pinned by content, for Azure Blob Storage: a `script-uris` blob in a private container (Azurite, the real
 * Storage emulator) is read with the run's own Azure credential (@azure/storage-blob, bearer token) to pin
 * its SHA-256 — an anonymous read of that container is refused — and a missing blob stops the run before
 * any write, naming it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const SCRIPT = "Write-Host 'Contoso baseline from private storage'\n";

describe("script content pinned from Azure Blob Storage, with the run's credential", () => {
  let azurite: Azurite;
  let s: Scenario;
  let endpoint: string;
  before(async () => {
    azurite = await startAzurite({ accounts: 1 });
    s = await startScenario({ azurite });
    const account = azurite.accounts[0]!;
    endpoint = azurite.blobEndpoint(account.name);
    const container = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account.name, account.key)).getContainerClient("admin-scripts");
    await container.createIfNotExists(); // private: no anonymous access
    await container.getBlockBlobClient("Set-Baseline.ps1").uploadData(new TextEncoder().encode(SCRIPT));
  });
  after(async () => {
    await s.emu.close();
    await azurite.stop();
  });

  it("reads a private blob with the run's credential and pins its SHA-256", async () => {
    const url = `${endpoint}admin-scripts/Set-Baseline.ps1`;
    assert.equal((await fetch(url)).ok, false, "the container refuses anonymous reads");
    s.emu.resetLog();
    const run = await s.run({ "script-uris": url, "scripts-storage-account": endpoint, "dry-run": "true" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const sha = createHash("sha256").update(SCRIPT).digest("hex");
    assert.ok(run.stdout.includes(`Script ${url}: sha256 ${sha} (pinned in the template)`), run.stdout);
    assert.deepEqual(s.emu.writeRequests(), []);
  });

  it("a missing blob stops the run before any write, naming it and the fix", async () => {
    const url = `${endpoint}admin-scripts/Missing.ps1`;
    s.emu.resetLog();
    const run = await s.run({ "script-uris": url, "scripts-storage-account": endpoint });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
    assert.ok(run.stdout.includes(`Input 'script-uris': ${url} could not be read (Azure Storage answered 404 BlobNotFound).`), run.stdout);
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
