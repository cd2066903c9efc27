/**
 * Bundles src/index.ts into dist/index.js (ESM, Node 24) with esbuild — the one entrypoint of the
 * GitHub Action and the Azure DevOps task; it only calls `run()` of src/main.ts, and has no top-level
 * await, so Node's require() loads it too (require(esm), as TaskMockRunner does) — and writes dist/post-job.js, the two-line shim task.json's
 * `postjobexecution` runs: it marks the process as the post-job step and loads the same bundle. (The
 * agent runs a task's post-job execution always, even when its main execution never ran, and gives it
 * no argument: without the mark it could not tell itself from a main execution.)
 * Code splitting: dist/index.js holds what every run needs; what run() imports lazily (`import()`) —
 * @azure/storage-blob (live build log, script upload, script pinning), azure-pipelines-task-lib (Azure
 * DevOps only), @actions/github / Octokit (github-release, provenance) — and the code those share sit in
 * dist/chunks/, named `[name]-[hash]` from their content, read from disk only when a run needs them.
 * Each output file with license comments gets its own `<file>.LEGAL.txt` beside it (esbuild "linked").
 * Still no top-level await anywhere, so require() of dist/index.js works (static chunk imports are
 * loaded synchronously with it; the lazy ones are ordinary import() calls at run time).
 * `--outdir DIR` writes elsewhere (the dist check uses it). Deterministic: same sources, same bytes
 * and the same file names.
 */
import { rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });

// Chunk and LEGAL names change with their content: drop the previous build's, so no stale file stays.
rmSync(`${values.outdir}/chunks`, { recursive: true, force: true });
rmSync(`${values.outdir}/index.js.LEGAL.txt`, { force: true });

await build({
  entryPoints: ["src/index.ts"],
  outdir: values.outdir,
  // Code splitting (ESM + outdir): lazily imported modules go to dist/chunks/ (see the header).
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  minify: true,
  legalComments: "linked",
  // Some dependencies still call require(): give the ESM bundle one (only `require`; an ES module has
  // none of its own).
  banner: { js: "import { createRequire as __avdCreateRequire } from 'node:module'; const require = __avdCreateRequire(import.meta.url);" },
  logLevel: "warning",
});

writeFileSync(
  `${values.outdir}/post-job.js`,
  // No top-level await (in either file): harnesses that require() a task's target (TaskMockRunner) load it.
  `// Azure DevOps post-job execution (task.json postjobexecution): the post step of the bundle, never a main run.\nprocess.env.AVD_IMAGE_ACTION_STAGE = "post";\nimport("./index.js").catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`,
);
