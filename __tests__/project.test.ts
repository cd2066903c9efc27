/**
 * Project contract: the committed bundle is what the sources build, and action.yml is valid and runs on
 * node24. (Its inputs and outputs, and the README's tables of them, are written from
 * src/settings/contract.ts: __tests__/kit/contract.test.ts.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse } from "yaml";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
/** Every file under `dir`, chunks/ included, as sorted relative paths. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

describe("project", () => {
  it("dist/ is exactly what `npm run build` makes from the committed sources", () => {
    const out = mkdtempSync(join(tmpdir(), "dist-check-"));
    execFileSync(process.execPath, ["scripts/build.ts", "--outdir", out], { cwd: root });
    const built = filesUnder(out);
    assert.ok(
      built.some((file) => file.startsWith("chunks/")),
      "the build splits the lazily loaded SDKs into dist/chunks/",
    );
    assert.deepEqual(filesUnder(fileURLToPath(new URL("dist", root))), built, "dist/ holds other files than the build makes");
    for (const file of built) {
      assert.ok(readFileSync(join(out, file)).equals(readFileSync(new URL(`dist/${file}`, root))), `dist/${file} is stale: run npm run build and commit dist/`);
    }
  });

  it("action.yml validates against the GitHub Action schema and runs the bundle on node24", () => {
    const action = parse(read("action.yml")) as { runs: { using: string; main: string } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(read("__tests__/fixtures/schemas/github-action.schema.json")));
    assert.ok(validate(action), JSON.stringify(validate.errors, null, 2));
    assert.equal(action.runs.using, "node24");
    assert.equal(action.runs.main, "dist/index.js");
  });
});
