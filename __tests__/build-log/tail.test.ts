/**
 * The parts of the live build log, in process: the printer (lines, headings, diagnostics), the error
 * verdicts, the tail's search and backoff over fake stores, and the SDK-backed tail against Azurite with
 * a token from the emulator's Entra ID (ranged reads of only the new bytes).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type Emulator, startEmulator } from "../../emulator/index.ts";
import { type BuildLogStores, BuildLogUnavailableError, createBuildLogStores, createBuildLogTail } from "../../src/azure/log-blob.ts";
import { classifyLogError } from "../../src/azure/log-errors.ts";
import { resolveCloud } from "../../src/cloud.ts";
import { BuildLogFollower, BuildLogPrinter, describeSection, neutralize } from "../../src/steps/live-log.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const restError = (statusCode: number, code: string) => new RestError(`${code}: refused\nRequestId:1`, { statusCode, code });

describe("BuildLogPrinter", () => {
  it("prints each complete line once, keeps partial lines and split UTF-8 characters until they complete", () => {
    const printed: string[] = [];
    const printer = new BuildLogPrinter((line) => printed.push(line));
    const bytes = enc("first line\r\nsecond — naïve\nthird, unterminated");
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte em dash
    printer.push(bytes.slice(0, 5));
    assert.deepEqual(printed, []);
    printer.push(bytes.slice(5, cut));
    assert.deepEqual(printed, ["first line"]);
    printer.push(bytes.slice(cut));
    assert.deepEqual(printed, ["first line", "second — naïve"]);
    printer.end();
    assert.deepEqual(printed, ["first line", "second — naïve", "third, unterminated"]);
    printer.end();
    assert.equal(printed.length, 3, "end() twice prints nothing more");
  });

  it("puts a heading before each customizer and each AVD script, and names the one the log ends in", () => {
    const printed: string[] = [];
    const printer = new BuildLogPrinter((line) => printed.push(line));
    printer.push(
      enc(
        [
          "[op] PACKER OUT ==> azure-arm: Connected to WinRM!",
          "[op] PACKER ERR 2025/06/13 08:28:58 [INFO] (telemetry) Starting provisioner powershell",
          "[op] PACKER OUT     azure-arm: hello",
          "[op] PACKER ERR 2025/06/13 08:28:59 [INFO] (telemetry) ending powershell",
          "[op] PACKER ERR 2025/06/13 08:29:00 [INFO] (telemetry) Starting provisioner powershell",
          "[op] PACKER OUT     azure-arm: Starting AVD AIB Customization : Office Apps : 6/13/2025 8:29:01 AM",
          "[op] PACKER OUT     azure-arm: *** AVD AIB CUSTOMIZER PHASE : Office Apps - Exception occurred ***",
          "",
        ].join("\n"),
      ),
    );
    assert.deepEqual(
      printed.filter((l) => l.startsWith("▶")),
      ["▶ Customizer 1: powershell", "▶ Customizer 2: powershell", "▶ AVD customization: Office Apps"],
    );
    assert.equal(printed[1], "▶ Customizer 1: powershell");
    assert.match(printed[2]!, /Starting provisioner powershell$/);
    assert.equal(describeSection(printer.section!), "Office Apps (AVD script, provisioner 2: powershell)");
  });

  it("keeps exactly the last 50 lines", () => {
    const printer = new BuildLogPrinter(() => undefined);
    printer.push(enc(Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join("\n")));
    printer.end();
    assert.deepEqual(
      printer.lastLines,
      Array.from({ length: 50 }, (_, i) => `line ${i + 71}`),
    );
  });

  it("defuses workflow commands a customizer prints, without changing ordinary lines", () => {
    assert.notEqual(neutralize("::error::boom"), "::error::boom");
    assert.doesNotMatch(neutralize("  ::add-mask::x"), /^\s*::/);
    assert.doesNotMatch(neutralize("x ##vso[task.setvariable variable=a]b"), /##vso\[/);
    assert.doesNotMatch(neutralize("##[group]x"), /##\[/);
    assert.equal(neutralize("[op] PACKER OUT ==> azure-arm: a::b"), "[op] PACKER OUT ==> azure-arm: a::b");
  });
});

describe("log error verdicts", () => {
  const where = { stagingResourceGroup: "IT_rg_t_1", account: "stg1" };
  it("a missing data-plane role is unavailable, and says which role to assign where", () => {
    const v = classifyLogError(restError(403, "AuthorizationPermissionMismatch"), "blob", where);
    assert.equal(v.kind, "unavailable");
    assert.match(
      v.kind === "unavailable" ? `${v.reason} ${v.remedy}` : "",
      /AuthorizationPermissionMismatch.*'Storage Blob Data Reader' on the staging resource group IT_rg_t_1/s,
    );
  });
  it("a storage firewall (AuthorizationFailure) and an unreachable endpoint point at network isolation", () => {
    const firewall = classifyLogError(restError(403, "AuthorizationFailure"), "blob", where);
    const refused = classifyLogError(Object.assign(new RestError("connect ECONNREFUSED 10.0.0.4:443", { code: "REQUEST_SEND_ERROR" })), "blob", where);
    for (const v of [firewall, refused]) {
      assert.equal(v.kind, "unavailable");
      assert.match(v.kind === "unavailable" ? v.remedy : "", /network-isolated/);
    }
    assert.equal(
      classifyLogError(new RestError("connect ECONNRESET", { code: "REQUEST_SEND_ERROR" }), "blob", where, true).kind,
      "transient",
      "a blip after reads worked",
    );
  });
  it("a log, container or staging group that is not there yet is waiting; ARM 403 asks for Reader", () => {
    assert.equal(classifyLogError(restError(404, "ContainerNotFound"), "blob", where).kind, "waiting");
    assert.equal(classifyLogError(restError(404, "ResourceGroupNotFound"), "arm", where).kind, "waiting");
    const arm = classifyLogError(restError(403, "AuthorizationFailed"), "arm", where);
    assert.equal(arm.kind, "unavailable");
    assert.match(arm.kind === "unavailable" ? arm.remedy : "", /'Reader' and 'Storage Blob Data Reader'/);
    assert.equal(classifyLogError(restError(503, "ServerBusy"), "blob", where).kind, "transient");
  });
});

/** Fake stores: one account whose blobs and bytes the test controls, counting calls. */
function fakeStores(init: { accounts?: { name: string; blobEndpoint?: string }[]; blobs?: { name: string; createdOn: Date }[] } = {}) {
  const state = {
    accounts: init.accounts ?? [{ name: "stg1", blobEndpoint: "https://stg1.blob.core.windows.net/" }],
    blobs: init.blobs ?? [],
    data: new Map<string, Uint8Array>(),
    listCalls: [] as number[],
    readError: undefined as unknown,
  };
  let poll = 0;
  const stores: BuildLogStores = {
    async listAccounts() {
      state.listCalls.push(poll);
      return state.accounts;
    },
    async listLogBlobs() {
      return state.blobs;
    },
    async read(_endpoint, name, offset) {
      if (state.readError) throw state.readError;
      return (state.data.get(name) ?? new Uint8Array()).slice(offset);
    },
    blobUrl: (endpoint, name) => `${endpoint}packerlogs/${name}`,
  };
  return { state, stores, setPoll: (n: number) => (poll = n) };
}

describe("the tail over its stores", () => {
  const target = { stagingResourceGroupId: "/subscriptions/s/resourceGroups/IT_rg_t_1", buildStartTime: new Date("2025-06-13T08:00:00Z") };

  it("while the staging group has no storage account, searches ARM at polls 1, 2, 4, 8, 16 … and once more at the end", async () => {
    const { state, stores, setPoll } = fakeStores({ accounts: [] });
    const tail = createBuildLogTail(stores, target);
    for (let i = 1; i <= 40; i += 1) {
      setPoll(i);
      assert.equal((await tail.poll()).kind, "waiting");
    }
    setPoll(41);
    await tail.poll({ final: true });
    assert.deepEqual(state.listCalls, [1, 2, 4, 8, 16, 32, 41]);
  });

  it("follows the newest log created since the run started (not the previous run's), and reads each byte once", async () => {
    const { state, stores } = fakeStores({
      blobs: [
        { name: "old-run/customization.log", createdOn: new Date("2025-06-12T08:00:00Z") },
        { name: "this-run/customization.log", createdOn: new Date("2025-06-13T08:03:00Z") },
        { name: "this-run/validation.log", createdOn: new Date("2025-06-13T09:00:00Z") },
      ],
    });
    state.data.set("old-run/customization.log", enc("old\n"));
    state.data.set("this-run/customization.log", enc("one\ntw"));
    const tail = createBuildLogTail(stores, target);
    const first = await tail.poll();
    assert.equal(first.kind, "data");
    assert.equal(first.kind === "data" && first.location.blobName, "this-run/customization.log");
    assert.equal(new TextDecoder().decode(first.kind === "data" ? first.bytes : undefined), "one\ntw");
    state.data.set("this-run/customization.log", enc("one\ntwo\nthree\n"));
    const second = await tail.poll();
    assert.equal(new TextDecoder().decode(second.kind === "data" ? second.bytes : undefined), "o\nthree\n");
    const third = await tail.poll();
    assert.equal(third.kind === "data" && third.bytes.byteLength, 0);
  });

  it("tolerates four transient read failures in a row, gives up at the fifth, and throws a refusal at once", async () => {
    const { state, stores } = fakeStores({ blobs: [{ name: "r/customization.log", createdOn: new Date("2025-06-13T08:01:00Z") }] });
    const tail = createBuildLogTail(stores, target);
    await tail.poll();
    state.readError = restError(503, "ServerBusy");
    for (let i = 0; i < 4; i += 1) assert.equal((await tail.poll()).kind, "waiting");
    await assert.rejects(tail.poll(), BuildLogUnavailableError);
    const refused = fakeStores({ blobs: [{ name: "r/customization.log", createdOn: new Date("2025-06-13T08:01:00Z") }] });
    refused.state.readError = restError(403, "AuthorizationPermissionMismatch");
    await assert.rejects(createBuildLogTail(refused.stores, target).poll(), /AuthorizationPermissionMismatch/);
  });

  it("the follower warns once when the log never appears (at the end, or 30 minutes into the build), and not again", async () => {
    const template = { exactStagingResourceGroup: target.stagingResourceGroupId } as Parameters<BuildLogFollower["onPoll"]>[0];
    const follow = (minutesIn: number) => {
      const warnings: string[] = [];
      const { stores } = fakeStores({ accounts: [] });
      const follower = new BuildLogFollower({
        host: { info: () => undefined, warning: (m) => warnings.push(m) },
        buildLog: (t) => createBuildLogTail(stores, t),
        signal: new AbortController().signal,
        now: () => target.buildStartTime.getTime() + minutesIn * 60_000,
      });
      return { follower, warnings };
    };
    const early = follow(2);
    for (let i = 0; i < 3; i += 1) await early.follower.onPoll(template, { startTime: target.buildStartTime, runState: "Running" });
    assert.deepEqual(early.warnings, [], "not there in the first minutes: quiet");
    assert.equal(await early.follower.finish(), undefined);
    assert.equal(early.warnings.length, 1);
    assert.match(
      early.warnings[0]!,
      /^Build log: customization\.log of this build was not found in the staging resource group IT_rg_t_1: it was not found by the end of the build \(no storage account/,
    );

    const late = follow(31);
    await late.follower.onPoll(template, { startTime: target.buildStartTime, runState: "Running" });
    await late.follower.onPoll(template, { startTime: target.buildStartTime, runState: "Running" });
    await late.follower.finish();
    assert.equal(late.warnings.length, 1);
    assert.match(late.warnings[0]!, /did not appear within 30 minutes/);
  });
});

describe("the SDK-backed tail against Azurite, with the emulator's Entra ID tokens", () => {
  let azurite: Azurite;
  let emu: Emulator;
  let untrust: () => void;
  before(async () => {
    [azurite, emu] = await Promise.all([startAzurite(), startEmulator()]);
    untrust = trustEmulator(emu);
  });
  after(async () => {
    untrust();
    await emu.close();
    await azurite.stop();
  });

  it("Entra issues a storage token Azurite's OAuth accepts and Resource Manager refuses", async () => {
    const credential = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, emu.defaults.clientSecret, {
      authorityHost: emu.url,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken("https://storage.azure.com/.default");
    const claims = JSON.parse(Buffer.from(token.token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    assert.equal(claims.aud, "https://storage.azure.com");
    assert.match(String(claims.iss), /^https:\/\/sts\.windows\.net\/[0-9a-f-]+\/$/);
    assert.ok(typeof claims.iat === "number" && typeof claims.nbf === "number" && typeof claims.exp === "number");
    const account = azurite.accounts[0]!;
    await new BlobServiceClient(azurite.blobEndpoint(account.name), credential).getContainerClient("probe").createIfNotExists();
    const arm = await fetch(`${emu.url}/subscriptions/${emu.defaults.subscriptionId}?api-version=2022-12-01`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    assert.equal(arm.status, 401);
    assert.match(await arm.text(), /wrong audience/);
  });

  it("reads only the bytes appended since the last read (ranged downloads), never a byte twice", async () => {
    const account = azurite.accounts[1]!;
    const writer = new BlobServiceClient(azurite.blobEndpoint(account.name), new StorageSharedKeyCredential(account.name, account.key)).getContainerClient(
      "packerlogs",
    );
    await writer.createIfNotExists();
    const blob = writer.getAppendBlobClient("run-1/customization.log");
    await blob.createIfNotExists();
    const credential = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, emu.defaults.clientSecret, {
      authorityHost: emu.url,
      disableInstanceDiscovery: true,
    });
    const sdk = createBuildLogStores(credential, resolveCloud("AzureCloud", emu.url, emu.url));
    const reads: { offset: number; bytes: number }[] = [];
    const stores: BuildLogStores = {
      ...sdk,
      listAccounts: async () => [{ name: account.name, blobEndpoint: azurite.blobEndpoint(account.name) }],
      async read(endpoint, name, offset, count, signal) {
        const bytes = await sdk.read(endpoint, name, offset, count, signal);
        reads.push({ offset, bytes: bytes.byteLength });
        return bytes;
      },
    };
    const tail = createBuildLogTail(stores, { stagingResourceGroupId: "/subscriptions/s/resourceGroups/IT_x", buildStartTime: new Date(Date.now() - 1000) });
    const pieces = ["PACKER OUT one\nPACKER OUT tw", "o\n", "", "PACKER OUT — three\nPACKER OUT four\n"];
    let received = "";
    const decoder = new TextDecoder();
    for (const piece of pieces) {
      if (piece) await blob.appendBlock(piece, Buffer.byteLength(piece));
      const result = await tail.poll();
      assert.equal(result.kind, "data");
      received += decoder.decode(result.kind === "data" ? result.bytes : undefined, { stream: true });
    }
    assert.equal(received, pieces.join(""));
    let expectedOffset = 0;
    for (const read of reads) {
      assert.equal(read.offset, expectedOffset, "each read starts where the last one ended");
      expectedOffset += read.bytes;
    }
    assert.equal(expectedOffset, Buffer.byteLength(pieces.join("")));
    assert.equal(reads[2]!.bytes, 0, "nothing new, nothing read");
  });
});
