/**
 * Loaded by `npm test` before the test runner (`node --import ./scripts/test-setup.ts --test …`): turns on
 * Node's module compile cache (node:module `enableCompileCache`, the `NODE_COMPILE_CACHE` variable) for the
 * runner, every test file's process (they inherit the variable) and what those spawn (the harness passes
 * it on to the bundle it runs). Each of the ~90 test processes loads the same TypeScript modules (src/,
 * emulator/, the SDKs); with the cache they are stripped and compiled once per suite, not once per process
 * (about a third of a test file's start-up CPU on this machine). The cache lives in
 * node_modules/.cache/node-compile-cache and is keyed by file content, so an edit never reads stale code.
 * A test-speed setting only: the product never sees it.
 */
import { enableCompileCache } from "node:module";
import { fileURLToPath } from "node:url";

process.env.NODE_COMPILE_CACHE ??= fileURLToPath(new URL("../node_modules/.cache/node-compile-cache", import.meta.url));
enableCompileCache(process.env.NODE_COMPILE_CACHE);
