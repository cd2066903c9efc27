/**
 * Layer rules for avd-image-action, enforced by dependency-cruiser inside `npm test`
 * (`npm run lint:layers`). See ARCHITECTURE.md for the layers themselves:
 * thin host adapters (src/hosts/), the steps (src/steps/), one narrow layer that talks to Azure
 * (src/azure/), and a pure core (settings, template, versioning, retention, schedule, changelog, ...).
 *
 * Parser: TypeScript 7 (the project's compiler) has no JavaScript compiler API, which
 * dependency-cruiser's "tsc" extractor needs (it supports typescript >=2 <7), so the TypeScript sources
 * are parsed with swc (`@swc/core`). swc's extractor keeps the imports that vanish at compile time and
 * marks them: `import type`/`export type` as "type-only", `import("…").T` as "type-import". It does so
 * without `tsPreCompilationDeps`, which stays false because turning it on only makes dependency-cruiser
 * warn that no TypeScript < 7 is installed. __tests__/kit/layers.test.ts plants a type-only cycle and a
 * type-only import from the pure core into a step, so a change of that behaviour fails a test.
 * Resolution: every import carries its `.ts` extension (tsconfig `allowImportingTsExtensions`), which
 * enhanced-resolve finds as is; `tsConfig` is read too once a TypeScript with a JavaScript API is there.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** The pure core: no I/O to Azure, no CI host, no orchestration. */
const PURE_CORE = [
  "^src/settings/",
  "^src/template/",
  "^src/changelog/",
  "^src/avd/",
  "^src/versioning\\.ts$",
  "^src/retention\\.ts$",
  "^src/schedule\\.ts$",
  "^src/tags\\.ts$",
  "^src/resource-id\\.ts$",
  "^src/cloud\\.ts$",
  "^src/redact\\.ts$",
  "^src/errors\\.ts$",
];

/** Dependency types that exist only for the type checker (`import type`, `export type`, `import("…").T`). */
const TYPE_ONLY = ["type-only", "type-import"];

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment:
        "No import cycles in src/, emulator/ or harness/ (type-only imports included): a cycle means two modules are one module, or a type lives in the wrong place.",
      from: { path: "^(src|emulator|harness)/" },
      to: { circular: true },
    },
    {
      name: "pure-core-stays-pure",
      severity: "error",
      comment:
        "The pure core (settings, template, versioning, retention, schedule, changelog, ...) never imports the steps, the host adapters or the Azure layer. Move the shared type down into the core instead.",
      from: { path: PURE_CORE },
      to: { path: "^src/(steps|hosts|azure)/" },
    },
    {
      name: "report-below-pipeline",
      severity: "error",
      comment:
        "src/report.ts (the BuildReport type, the outputs, every job-summary Markdown) sits below the pipeline: pipeline.ts, main.ts and the steps import it; it imports only the pure core (and SDK types), not even a type from the entry, the pipeline, the steps, the host adapters, the Azure layer or github/. Move the type it needs into report.ts or the core.",
      from: { path: "^src/report\\.ts$" },
      to: { path: ["^src/(index|main|services|pipeline)\\.ts$", "^src/(steps|hosts|azure|github)/"] },
    },
    {
      name: "only-azure-layer-imports-azure-sdk",
      severity: "error",
      comment:
        "Only src/azure/ imports @azure/* values (SDK clients, credentials, enums). Elsewhere in src/ use `import type` for SDK types, or go through src/azure/.",
      from: { path: "^src/", pathNot: "^src/azure/" },
      to: {
        path: "(^|/)node_modules/@azure/|^@azure/",
        dependencyTypesNot: TYPE_ONLY,
      },
    },
    {
      name: "emulator-never-imports-src",
      severity: "error",
      comment: "The emulator stands in for Azure: it must not share code with the product it checks (a shared bug would pass both).",
      from: { path: "^emulator/" },
      to: { path: "^src/" },
    },
    {
      name: "harness-never-imports-src",
      severity: "error",
      comment:
        "harness/ stands in for the CI systems (GitHub runner, Azure Pipelines agent, local-action): it runs the bundle as they do and may use the emulator, but never shares code with the product it runs.",
      from: { path: "^harness/" },
      to: { path: "^src/" },
    },
    {
      name: "emulator-never-imports-harness",
      severity: "error",
      comment:
        "The emulator stands in for Azure and knows nothing of the CI systems or the action's inputs: harness/ builds on the emulator, never the reverse. Only emulator/cli.ts, the `npm run emulator` program (nothing imports it), prints a local-action .env from harness/.",
      from: { path: "^emulator/", pathNot: "^emulator/cli\\.ts$" },
      to: { path: "^harness/" },
    },
    {
      name: "nothing-imports-the-emulator-cli",
      severity: "error",
      comment: "emulator/cli.ts is a program (`npm run emulator`), not a module: importing it would start an emulator.",
      from: {},
      to: { path: "^emulator/cli\\.ts$" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve would make the other rules blind to it.",
      from: { path: "^(src|emulator|harness)/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
    tsPreCompilationDeps: false, // see the header: swc keeps type-only imports regardless
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json", ".d.ts"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
