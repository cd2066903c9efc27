/**
 * Bundles src/index.ts into dist/index.js (ESM, Node 24) with esbuild — the one entrypoint of the
 * GitHub Action and the Azure DevOps task. `--outdir DIR` writes elsewhere (the dist check uses it).
 * The output is deterministic: same sources and lockfile, same bytes.
 */
import { build } from "esbuild";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });

await build({
  entryPoints: ["src/index.ts"],
  outfile: `${values.outdir}/index.js`,
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  minify: true,
  legalComments: "linked",
  // Some dependencies still call require(): give the ESM bundle one (only `require`; see DESIGN §5).
  banner: { js: "import { createRequire as __avdCreateRequire } from 'node:module'; const require = __avdCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
