/**
 * Issue 10 rule 9, end to end: cleanup never holds the job. Older image templates are deleted only
 * after the outputs and the summary are written; the deletions are bounded by a timeout; a failure
 * there is a warning; the next run retries.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

describe("cleanup of older image templates, end to end", () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario();
  });
  after(() => s.emu.close());

  const templates = () =>
    s.emu
      .listImageTemplates(s.avd.subscriptionId, s.avd.resourceGroup)
      .map((t) => String(t.name))
      .sort();
  const templateDeletes = () => s.emu.requests.filter((e) => e.method === "DELETE" && /\/imageTemplates\//i.test(e.path));

  it("writes the outputs and the summary before it deletes an older template (killed at that DELETE, both are there)", async () => {
    const first = await s.run({ "inline-script": "Write-Host 'one'" });
    assert.equal(first.exitCode, 0, first.stdout);
    assert.equal(templates().length, 1);
    const older = templates()[0];
    s.emu.setOptions({ templateDeleteMs: 8_000 });
    s.emu.resetLog();
    let killedAtDelete = false;
    const watch = (child: ChildProcess) => {
      const timer = setInterval(() => {
        if (templateDeletes().length) {
          killedAtDelete = true;
          child.kill("SIGKILL");
          clearInterval(timer);
        }
      }, 10);
      child.on("close", () => clearInterval(timer));
    };
    const second = await s.spawn({ "inline-script": "Write-Host 'two'" }, {}, { onSpawn: watch });
    assert.ok(killedAtDelete, `the run reached a template DELETE: ${second.stdout.slice(-2000)}`);
    assert.notEqual(second.exitCode, 0, "killed");
    assert.ok(second.outputs["image-version"], "image-version output written before the DELETE");
    assert.ok(second.summary.includes(`\`${second.outputs["image-version"]}\``), "the summary names the published version");
    assert.match(second.summary, /Older image templates of this image definition are deleted after this summary/);
    assert.ok(templates().includes(older!), "the older template was being deleted when the run was killed");
  });

  it("a deletion that does not finish in time is a warning; the run exits 0 soon after, published", async () => {
    // The deletion of the older template accepted above is still going on (8 s), and the template of the
    // previous test is now older too.
    s.emu.resetLog();
    const run = await s.run({ "inline-script": "Write-Host 'three'" }, { AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS: "2" });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.match(
      run.stdout,
      /::warning::Deleting older image templates did not finish within 2 s; the image version is published and reported\. .*the next run retries the rest\./,
    );
    assert.ok(run.outputs["image-version"]);
    const cleanupStart = run.stdout.indexOf("::group::Clean up older image templates");
    assert.ok(cleanupStart > 0, "cleanup ran in its own group");
    assert.ok(templateDeletes().length >= 1);
  });

  it("deletions Azure keeps failing (500, retried by the SDK) are a warning within the bound; the next run deletes what is left", async () => {
    s.emu.setOptions({ templateDeleteMs: 30 });
    const fault = s.emu.injectFault({ method: "DELETE", path: /\/imageTemplates\//i, kind: "error500", times: 1000 });
    const failing = await s.run({ "inline-script": "Write-Host 'four'" }, { AVD_IMAGE_ACTION_CLEANUP_TIMEOUT_SECONDS: "3" });
    fault.remove();
    assert.equal(failing.exitCode, 0, failing.stdout);
    assert.match(failing.stdout, /::warning::Deleting older image templates did not finish within 3 s/);
    assert.ok(failing.durationMs < 30_000, `bounded: ${failing.durationMs} ms`);
    assert.ok(templates().length > 1, "older templates left");
    const next = await s.run({ "inline-script": "Write-Host 'four'" });
    assert.equal(next.exitCode, 0, next.stdout);
    assert.match(next.stdout, /Deleted older template /);
    assert.deepEqual(templates().length, 1, `only the current template is left: ${templates().join(", ")}`);
  });
});
