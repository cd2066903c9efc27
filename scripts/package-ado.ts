/**
 * Packages the Azure DevOps extension (.vsix) with tfx-cli, offline, from the committed bundle.
 *
 *   npm run package:ado [-- --out file.vsix] [--stage dir] [--publisher id]
 *
 * Stages into `--stage` (default `.tmp/ado/stage`):
 *   vss-extension.json, README.md, images/icon.png           (the extension)
 *   AvdImageBuilder/task.json, icon.png, package.json,        (the task: the folder the contribution names)
 *   AvdImageBuilder/dist/index.js, dist/chunks/ (the lazily loaded parts) and their LEGAL.txt files
 * with the versions stamped from package.json (extension `X.Y.Z`, task Major/Minor/Patch), then runs
 * `tfx extension create --manifest-globs vss-extension.json --root <stage> --output-path <out>`.
 * The task folder gets `{"type":"module"}` beside the ESM bundle, as the repository root has.
 * Prints the path of the .vsix (default `avd-image-builder-X.Y.Z.vsix` at the repository root; *.vsix is git-ignored).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { out: { type: "string" }, stage: { type: "string" }, publisher: { type: "string" } },
});

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(root, path), "utf8")) as T;
const pkg = readJson<{ version: string }>("package.json");
const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(pkg.version);
if (!match) throw new Error(`package.json version '${pkg.version}' is not Major.Minor.Patch: the task version is stamped from it.`);
const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];

const manifest = readJson<{ id: string; version: string; publisher: string; contributions: { type: string; properties: { name: string } }[] }>(
  "vss-extension.json",
);
const taskFolder = manifest.contributions.find((c) => c.type === "ms.vss-distributed-task.task")?.properties.name;
if (!taskFolder) throw new Error("vss-extension.json has no ms.vss-distributed-task.task contribution.");
const task = readJson<{ version: { Major: number; Minor: number; Patch: number } }>("task.json");
if (!existsSync(join(root, "dist/index.js"))) throw new Error("dist/index.js is missing: run npm run build first.");

const stage = resolve(root, values.stage ?? ".tmp/ado/stage");
const out = resolve(root, values.out ?? `${manifest.id}-${pkg.version}.vsix`);
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, taskFolder, "dist"), { recursive: true });
mkdirSync(dirname(out), { recursive: true });

manifest.version = pkg.version;
if (values.publisher) manifest.publisher = values.publisher;
writeFileSync(join(stage, "vss-extension.json"), `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync(join(root, "README.md"), join(stage, "README.md"));
cpSync(join(root, "images"), join(stage, "images"), { recursive: true });

task.version = { Major: major, Minor: minor, Patch: patch };
writeFileSync(join(stage, taskFolder, "task.json"), `${JSON.stringify(task, null, 2)}\n`);
writeFileSync(join(stage, taskFolder, "package.json"), `${JSON.stringify({ type: "module" }, null, 2)}\n`);
copyFileSync(join(root, "images/icon.png"), join(stage, taskFolder, "icon.png"));
cpSync(join(root, "dist"), join(stage, taskFolder, "dist"), { recursive: true });

const tfx = createRequire(import.meta.url).resolve("tfx-cli/_build/tfx-cli.js");
rmSync(out, { force: true });
execFileSync(
  process.execPath,
  [tfx, "extension", "create", "--manifest-globs", "vss-extension.json", "--root", stage, "--output-path", out, "--no-prompt", "--no-color"],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
);
if (!existsSync(out)) throw new Error(`tfx did not write ${out}`);
console.log(out);
