/**
 * End to end against the bundle (README, "Scripts pinned by content"): scripts the build VM downloads are
 * pinned by content before anything is written. A `script-uris` script served by the emulator's HTTPS
 * file host and changed in place between two runs gives the second run a new template pinned to the new
 * SHA-256; an unreadable URI stops the run before any write, naming the URI and the fix. (The emulator
 * alone copying scripts at template creation and failing a stale checksum late:
 * __tests__/emulator/script-files.test.ts.)
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Name and customizers of the image template the run created (its PUT), or undefined when it reused one. */
function createdTemplate(s: Scenario): { name: string; customize: Record<string, unknown>[] } | undefined {
  const put = s.emu.writeRequests().find((e) => e.method === "PUT" && /\/imageTemplates\//i.test(e.path));
  if (!put) return undefined;
  return { name: put.path.split("/").pop()!, customize: (put.body as { properties: { customize: Record<string, unknown>[] } }).properties.customize };
}

describe("script content pinned, end to end", () => {
  let s: Scenario;
  let workspace: string;
  before(async () => {
    s = await startScenario();
    workspace = mkdtempSync(join(tmpdir(), "avd-pinning-"));
    mkdirSync(join(workspace, "images"));
  });
  after(async () => {
    await s.emu.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it("a script changed in place between two runs: the second run creates a new template pinned to the new sha256", async () => {
    const v1 = "Write-Host 'install agent 1.0'\n";
    const v2 = "Write-Host 'install agent 1.1 (fixed)'\n";
    const url = s.emu.files.put("install-agent.ps1", v1);
    const inputs = { "script-uris": url, "inline-script": "" };

    s.emu.resetLog();
    const first = await s.run(inputs);
    assert.equal(first.exitCode, 0, first.stdout);
    const created1 = createdTemplate(s)!;
    assert.equal(created1.customize.find((c) => c.scriptUri === url)?.sha256Checksum, sha256(v1));
    assert.match(first.stdout, new RegExp(`Script ${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: sha256 ${sha256(v1)}`));

    s.emu.files.put("install-agent.ps1", v2);
    s.emu.resetLog();
    const second = await s.run(inputs);
    assert.equal(second.exitCode, 0, second.stdout);
    assert.equal(second.outputs["template-reused"], "false");
    const created2 = createdTemplate(s);
    assert.ok(created2, "the second run created a template");
    assert.notEqual(created2.name, created1.name);
    assert.equal(second.outputs["template-name"], created2.name);
    assert.equal(created2.customize.find((c) => c.scriptUri === url)?.sha256Checksum, sha256(v2));
    const inAzure = s.emu.getImageTemplate(s.avd.subscriptionId, s.avd.resourceGroup, created2.name)!;
    const customize = (inAzure["properties"] as { customize: Record<string, unknown>[] }).customize;
    assert.equal(customize.find((c) => c.scriptUri === url)?.sha256Checksum, sha256(v2));

    // Unchanged: the template is reused (a dry run says so and writes nothing).
    s.emu.resetLog();
    const third = await s.run({ ...inputs, "dry-run": "true" });
    assert.equal(third.exitCode, 0, third.stdout);
    assert.equal(third.outputs["template-reused"], "true");
    assert.equal(third.outputs["template-name"], created2.name);
    assert.equal(createdTemplate(s), undefined);
  });

  it("a line with its sha256 is not read: the given checksum is the template's", async () => {
    const given = "a".repeat(64);
    const url = s.emu.files.url("not-served.ps1");
    s.emu.resetLog();
    const run = await s.run({ "script-uris": `${url} ${given}`, "dry-run": "true" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(
      s.emu.requests.some((r) => r.path.endsWith("/files/not-served.ps1")),
      false,
    );
  });

  it("an unreadable script-uris line stops the run before any write, naming the URI and the fix", async () => {
    const url = s.emu.files.url("missing.ps1");
    s.emu.resetLog();
    const run = await s.run({ "script-uris": url });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.ok(run.durationMs < 10_000, `${run.durationMs} ms`);
    assert.match(run.stdout, /::error::1 script could not be read to pin its content; nothing was created or deleted/);
    assert.match(
      run.stdout,
      new RegExp(
        `Input 'script-uris': ${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} could not be read \\(HTTP 404[^)]*\\)\\. Add its SHA-256 after the URL .*or put the script in the repository and list it in 'scripts'`,
      ),
    );
    assert.deepEqual(s.emu.writeRequests(), []);
  });

  it("a template file's File, PowerShell and validator downloads are pinned; an unreadable one is refused naming the file and the fix", async () => {
    const config = s.emu.files.put("agent-config.json", '{"tenant":"contoso"}');
    const script = s.emu.files.put("install-apps.ps1", "Write-Host apps\n");
    const check = s.emu.files.put("check-apps.ps1", "if (-not (Test-Path C:\\Apps)) { exit 1 }\n");
    const missing = s.emu.files.url("gone.msi");
    writeFileSync(
      join(workspace, "images", "downloads.yml"),
      [
        "customize:",
        `  - { type: File, name: agent-config, sourceUri: "${config}", destination: 'C:\\AVDImage\\agent.json' }`,
        `  - { type: PowerShell, name: install-apps, scriptUri: "${script}", runElevated: true, runAsSystem: true }`,
        "validate:",
        "  inVMValidations:",
        `    - { type: PowerShell, name: check-apps, scriptUri: "${check}" }`,
        "",
      ].join("\n"),
    );
    s.emu.resetLog();
    const run = await s.run({ "template-file": "images/downloads.yml", "dry-run": "true" }, { GITHUB_WORKSPACE: workspace });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.match(run.stdout, new RegExp(`sha256 ${sha256('{"tenant":"contoso"}')}`));
    assert.match(run.stdout, new RegExp(`sha256 ${sha256("Write-Host apps\n")}`));
    assert.match(run.stdout, new RegExp(`check-apps\\.ps1: sha256 ${sha256("if (-not (Test-Path C:\\Apps)) { exit 1 }\n")}`));

    writeFileSync(
      join(workspace, "images", "gone.yml"),
      ["customize:", `  - { type: File, name: agent-msi, sourceUri: "${missing}", destination: 'C:\\AVDImage\\agent.msi' }`, ""].join("\n"),
    );
    s.emu.resetLog();
    const refused = await s.run({ "template-file": "images/gone.yml" }, { GITHUB_WORKSPACE: workspace });
    assert.equal(refused.exitCode, 1, refused.stdout);
    assert.match(
      refused.stdout,
      /Input 'template-file': .*gone\.msi could not be read \(HTTP 404[^)]*\)\. Give images\/gone\.yml: customize\[0\] \(agent-msi\) its 'sha256Checksum', or put the file in the repository and list it in 'scripts'/,
    );
    assert.deepEqual(s.emu.writeRequests(), []);
  });
});
