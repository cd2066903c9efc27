/** Test helper: a repository checkout in memory, for parseSettings' `template-file` and `scripts`. */
import { type RepositoryFiles, globToRegExp } from "../../src/template/scripts.ts";

/** A repository holding `files` (path → text), for parseSettings. */
export function fakeRepository(files: Record<string, string | Uint8Array>, workspace = "/work/repo"): RepositoryFiles {
  const bytes = (v: string | Uint8Array) => (typeof v === "string" ? new TextEncoder().encode(v) : v);
  const rel = (p: string) => p.replace(`${workspace}/`, "");
  return {
    workspace,
    glob: (pattern) =>
      Object.keys(files)
        .filter((f) => globToRegExp(pattern).test(f))
        .sort(),
    read: (path) => {
      const v = files[rel(path)];
      if (v === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return bytes(v);
    },
  };
}
