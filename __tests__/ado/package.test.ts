/**
 * `npm run package:ado` makes the extension (.vsix) offline with tfx-cli; the test opens the zip and
 * finds the task (task.json with package.json's version, the committed bundle byte for byte, the ESM
 * marker beside it) and the extension manifest, then runs the packaged task as an agent would.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inflateRawSync } from "node:zlib";
import { agentEnv, parseVsoCommands } from "../../harness/ado-agent.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const task = JSON.parse(readFileSync(join(root, "task.json"), "utf8")) as { name: string; id: string };
const manifest = JSON.parse(readFileSync(join(root, "vss-extension.json"), "utf8")) as { id: string; publisher: string };

/** Reads every entry of a zip file through its central directory (stored or deflated entries). */
function readZip(zip: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip: no end of central directory record");
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n += 1) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString("utf8");
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`${name}: compression method ${method}`);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe("npm run package:ado", () => {
  let entries: Map<string, Buffer>;
  let out: string;
  let stdout: string;
  let bundle: Buffer;

  before(async () => {
    bundle = readFileSync(join(root, "dist/index.js"));
    const dir = mkdtempSync(join(tmpdir(), "package-ado-"));
    out = join(dir, "out", "extension.vsix");
    // Offline: no registry, no proxy (the machine has no internet; tfx must not need it).
    const env = { ...process.env, npm_config_offline: "true", HTTP_PROXY: "http://127.0.0.1:9", HTTPS_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };
    ({ stdout } = await promisify(execFile)("npm", ["run", "--silent", "package:ado", "--", "--out", out, "--stage", join(dir, "stage")], { cwd: root, env }));
    entries = readZip(readFileSync(out));
  });

  it("prints the path of the .vsix it made", () => {
    assert.equal(stdout.trim().split("\n").at(-1), out);
  });

  it("holds the task: task.json with package.json's version, the committed bundle byte for byte, the ESM marker and the icon", () => {
    const folder = task.name;
    const packaged = JSON.parse(entries.get(`${folder}/task.json`)!.toString("utf8")) as { id: string; version: Record<string, number> };
    assert.equal(packaged.id, task.id);
    const [Major, Minor, Patch] = pkg.version.split(".").map(Number);
    assert.deepEqual(packaged.version, { Major, Minor, Patch });
    assert.ok(entries.get(`${folder}/dist/index.js`)!.equals(bundle), "the committed bundle, unchanged");
    // The lazily loaded chunks too (dist/chunks/, imported by dist/index.js), every one byte for byte.
    const chunks = readdirSync(join(root, "dist/chunks")).sort();
    assert.ok(chunks.length > 0, "the build writes dist/chunks/");
    for (const chunk of chunks) {
      assert.ok(entries.get(`${folder}/dist/chunks/${chunk}`)?.equals(readFileSync(join(root, "dist/chunks", chunk))), `the vsix holds dist/chunks/${chunk}`);
    }
    assert.deepEqual(JSON.parse(entries.get(`${folder}/package.json`)!.toString("utf8")), { type: "module" });
    assert.ok(entries.has(`${folder}/icon.png`));
  });

  it("holds the extension manifest with the package version, and the files it names", () => {
    const vsixManifest = entries.get("extension.vsixmanifest")!.toString("utf8");
    const identity = /<Identity [^>]*>/.exec(vsixManifest)?.[0] ?? "";
    assert.match(identity, new RegExp(` Id="${manifest.id}"`));
    assert.match(identity, new RegExp(` Version="${pkg.version.replace(/\./g, "\\.")}"`));
    assert.match(identity, new RegExp(` Publisher="${manifest.publisher}"`));
    const vsoManifest = JSON.parse(entries.get("extension.vsomanifest")!.toString("utf8")) as {
      contributions: { type: string; properties: { name: string } }[];
    };
    assert.deepEqual(
      vsoManifest.contributions.filter((c) => c.type === "ms.vss-distributed-task.task").map((c) => c.properties.name),
      [task.name],
    );
    assert.ok(entries.has("images/icon.png"));
    assert.ok(entries.has("README.md"));
  });

  it("the packaged task runs from its own folder as the agent runs it (ESM bundle beside its package.json)", () => {
    const dir = mkdtempSync(join(tmpdir(), "vsix-task-"));
    for (const [name, data] of entries) {
      if (!name.startsWith(`${task.name}/`) || name.endsWith("/")) continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), data);
    }
    const temp = mkdtempSync(join(tmpdir(), "vsix-agent-"));
    // No service connection and few inputs: the task starts, reads its inputs and fails cleanly.
    const env = agentEnv({ location: "westeurope" }, [], {}, temp);
    const result = spawnSync(process.execPath, [join(dir, task.name, "dist/index.js")], { cwd: temp, env, encoding: "utf8", timeout: 30_000 });
    const complete = parseVsoCommands(result.stdout).filter((c) => c.command === "task.complete");
    assert.equal(result.status, 1, result.stderr);
    assert.deepEqual(
      complete.map((c) => c.properties.result),
      ["Failed"],
    );
    assert.match(complete[0]!.message, /Input 'azureSubscription' is required/);
  });
});
