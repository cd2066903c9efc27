/**
 * The demo's log is for people: `npm run demo` prints at most 120 lines with the
 * default `build-log: steps` — a heading per customizer, no packer debug lines — and every line of
 * customization.log with `--build-log full`. The demo is spawned as `npm run demo` runs it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs demo/run.ts with `args`; resolves to its exit code and its output's lines (stdout and stderr, as a terminal shows them). */
function demo(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["demo/run.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, lines: out.replace(/\n$/, "").split("\n") }));
  });
}

/** The number of lines of customization.log the demo reports on its last lines. */
function logLineCount(lines: string[]): number {
  const line = lines.find((l) => /customization\.log: \d+ lines/.test(l));
  assert.ok(line, "the demo reports the size of customization.log");
  return Number(/customization\.log: (\d+) lines/.exec(line)![1]);
}

describe("the demo's log", () => {
  const runs = Promise.all([demo([]), demo(["--build-log", "full"])]);

  it("has at most 120 lines with the default build-log (steps): a heading per customizer, no packer debug lines", async () => {
    const [{ code, lines }] = await runs;
    assert.equal(code, 0, lines.join("\n"));
    // npm run adds 4 lines of its own (a blank, "> avd-image-action@… demo", "> node demo/run.ts", a blank).
    assert.ok(lines.length + 4 <= 120, `${lines.length} lines (+4 of npm):\n${lines.join("\n")}`);
    assert.deepEqual(
      lines.filter((l) => / PACKER (OUT|ERR) /.test(l)),
      [],
      "no raw customization.log line",
    );
    const headings = lines.filter((l) => l.startsWith("▶ "));
    const total = Number(/customizer 1 of (\d+)\)$/.exec(headings[0] ?? "")?.[1]);
    assert.ok(total > 20, headings.join("\n"));
    assert.equal(headings.length, total + 1, "one per customizer of the template, then Image Builder's deprovisioning step");
    assert.ok(
      headings.some((h) => new RegExp(`^▶ inline-script \\(PowerShell, customizer \\d+ of ${total}\\)$`).test(h)),
      headings.join("\n"),
    );
    assert.equal(headings.at(-1), `▶ Image Builder's deprovisioning (Sysprep), after the template's ${total} steps`);
    assert.deepEqual(
      lines.filter((l) => /^ {2}[✖⚠] /.test(l)),
      [],
      "a successful demo build has no error or warning lines (packer's PACKER ERR debug log is neither)",
    );
    assert.ok(logLineCount(lines) > 300, "the log it summarized is long");
  });

  it("shows every line of customization.log with build-log: full", async () => {
    const [, { code, lines }] = await runs;
    assert.equal(code, 0, lines.join("\n"));
    const packer = lines.filter((l) => /^\[[0-9a-f-]+\] PACKER (OUT|ERR) /.test(l));
    assert.equal(packer.length, logLineCount(lines));
    assert.ok(packer.filter((l) => l.includes(" PACKER ERR ")).length > 100, "packer's debug log, as Image Builder writes it");
    assert.ok(lines.length > 120 + packer.length / 2);
  });
});
