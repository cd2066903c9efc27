/**
 * The pin-scripts step in a whole run: a `script-uris` script without a SHA-256 is read and pinned by
 * content in the template, so a script changed in place makes a new template; an unreadable one fails the
 * run before any write.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { fakeWorld, runMain } from "../fakes/fake-services.ts";

const URI = "https://scripts.contoso.com/avd/optimize.ps1";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("pin-scripts step", () => {
  it("pins the script's SHA-256 in the template's customizer, and a changed script makes a new template", async () => {
    const world = fakeWorld();
    world.scriptContent.read = async () => new TextEncoder().encode("Write-Host 'v1'");
    const first = await runMain(world, { "script-uris": URI });
    assert.equal(first.code, 0, first.host.failed);
    const [template] = world.azure.templatesIn(world.gallery[0]);
    const step = template!.customize!.find((c) => (c as { scriptUri?: string }).scriptUri === URI) as { sha256Checksum?: string };
    assert.equal(step.sha256Checksum, sha256("Write-Host 'v1'"));
    assert.match(first.host.messages("info").join("\n"), new RegExp(`Script ${URI}: sha256 ${sha256("Write-Host 'v1'")}`));

    world.scriptContent.read = async () => new TextEncoder().encode("Write-Host 'v2'");
    const second = await runMain(world, { "script-uris": URI });
    assert.equal(second.code, 0, second.host.failed);
    const names = world.azure.callsOf("createTemplate").map((args) => args[1]);
    assert.equal(new Set(names).size, 2, `a second template for the changed script: ${names}`);
  });

  it("a script that cannot be read fails the run naming 'script-uris' and the fix, before any write", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world, { "script-uris": URI });
    assert.equal(code, 1);
    assert.match(host.failed!, /script-uris/);
    assert.match(host.failed!, /HTTP 404/);
    assert.deepEqual(world.azure.writes(), []);
  });

  it("a script given with its SHA-256 is not read", async () => {
    const world = fakeWorld();
    const { code, host } = await runMain(world, { "script-uris": `${URI} ${sha256("x")}` });
    assert.equal(code, 0, host.failed);
    assert.deepEqual(world.scriptContent.reads, []);
  });
});
