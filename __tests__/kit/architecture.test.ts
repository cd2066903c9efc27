/**
 * ARCHITECTURE.md is the map of the house: it names every folder of `src/`, `emulator/` and `harness/` (each as
 * `` `folder/` ``), so a new folder without a line in the map fails here.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { read } from "./kit-helpers.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Every folder under `top` (itself included) that is a directory or holds a file, as `top/sub/` paths. */
function foldersOf(top: string): string[] {
  const folders = new Set<string>([`${top}/`]);
  for (const entry of readdirSync(`${root}${top}`, { recursive: true, withFileTypes: true })) {
    const parent = entry.parentPath.slice(root.length).replaceAll("\\", "/").replace(/\/?$/, "/");
    folders.add(parent);
    if (entry.isDirectory()) folders.add(`${parent}${entry.name}/`);
  }
  return [...folders].sort();
}

/** The folders the document does not name as `` `folder/` ``. */
function unnamedFolders(folders: readonly string[], doc: string): string[] {
  return folders.filter((folder) => !doc.includes(`\`${folder}\``));
}

describe("ARCHITECTURE.md", () => {
  const doc = read("ARCHITECTURE.md");

  it("names every folder of src/, emulator/ and harness/", () => {
    const folders = [...foldersOf("src"), ...foldersOf("emulator"), ...foldersOf("harness")];
    assert.ok(folders.includes("src/settings/") && folders.includes("emulator/") && folders.includes("harness/"), `the walk found ${folders.join(", ")}`);
    assert.deepEqual(unnamedFolders(folders, doc), []);
  });

  it("the check fails for a folder the document does not name", () => {
    assert.deepEqual(unnamedFolders(["src/", "src/new-layer/"], doc), ["src/new-layer/"]);
    assert.deepEqual(unnamedFolders(["src/steps/"], doc.replaceAll("`src/steps/`", "steps")), ["src/steps/"]);
  });

  it("says where a new input, a new pipeline step and a new Azure rule go", () => {
    for (const heading of ["### A new input", "### A new pipeline step", "### A new Azure rule"]) {
      assert.ok(doc.includes(heading), `ARCHITECTURE.md has no '${heading}' section`);
    }
  });
});
