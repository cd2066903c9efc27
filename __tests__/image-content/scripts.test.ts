/**
 * Repository scripts (`scripts`): read from the checkout with their SHA-256, turned into customizers
 * (uploaded blobs with `sha256Checksum`, or inlined), part of the template hash, and uploaded only when
 * the blob does not already hold the content.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type ScriptStore, ScriptUploadError, uploadScripts } from "../../src/azure/scripts-upload.ts";
import { type InputName, type SettingsError, parseSettings } from "../../src/settings/index.ts";
import { type PinnedSource, buildTemplatePlan } from "../../src/template/build.ts";
import {
  INLINE_MAX_BYTES,
  type ScriptUpload,
  globToRegExp,
  parseScriptsStorage,
  readRepositoryScripts,
  repositoryOnDisk,
  sha256Hex,
} from "../../src/template/scripts.ts";
import { validInputs } from "../helpers/inputs.ts";
import { fakeRepository } from "./repository.ts";

const INSTALL = "param()\r\nWrite-Host 'Installing 7-Zip'\r\n";
const repository = (install = INSTALL) =>
  fakeRepository({
    "scripts/Install-Apps.ps1": `\uFEFF${install}`,
    "scripts/Set-Branding.ps1": "Write-Host 'branding'\n",
    "scripts/readme.md": "# scripts",
    "installers/agent.msi": new Uint8Array([0x4d, 0x53, 0x49, 0x00, 0xff]),
    "installers/tools/x.exe": "MZ",
  });
const pinned: PinnedSource = {
  type: "PlatformImage",
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  version: "26100.4349.250607",
};
const STORAGE = { "scripts-storage-account": "stcontosoimages", "scripts-container": "avd-scripts" };
const planWith = (overrides: Record<string, string>, repo = repository()) => {
  const inputs = validInputs({ "safety-steps": "false", "windows-update": "false", ...overrides });
  return buildTemplatePlan(
    parseSettings(
      (n: InputName) => inputs[n] ?? "",
      (n) => n,
      repo,
    ),
    pinned,
    { major: 1, minor: 0, patch: 0 },
  );
};
type Step = { type: string; name: string; inline?: string[]; scriptUri?: string; sourceUri?: string; sha256Checksum?: string; destination?: string };

describe("repository scripts", () => {
  it("reads paths and globs: .ps1 files run, other files are copied (default C:\\AVDImage\\<path>, or '=> destination')", () => {
    const { scripts, problems } = readRepositoryScripts(
      "scripts/*.ps1\n# comment\nscripts/Install-Apps.ps1\ninstallers/agent.msi => C:\\Install\\\ninstallers/tools/*",
      repository(),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      scripts.map((s) => [s.path, s.action.kind === "copy" ? s.action.destination : "run"]),
      [
        ["scripts/Install-Apps.ps1", "run"],
        ["scripts/Set-Branding.ps1", "run"],
        ["installers/agent.msi", "C:\\Install\\agent.msi"],
        ["installers/tools/x.exe", "C:\\AVDImage\\installers\\tools\\x.exe"],
      ],
    );
    assert.equal(scripts[2]!.sha256, sha256Hex(new Uint8Array([0x4d, 0x53, 0x49, 0x00, 0xff])));
  });

  it("globs the checkout on disk (tinyglobby, not fs.globSync, which Node 20 lacks): *, **, ?, [..], {a,b}; .git skipped", () => {
    const dir = mkdtempSync(join(tmpdir(), "avd-glob-"));
    try {
      for (const file of ["scripts/a.ps1", "scripts/b.ps1", "scripts/sub/c.ps1", "installers/x/agent.msi", ".git/hooks/h.ps1", "README.md"]) {
        mkdirSync(join(dir, file, ".."), { recursive: true });
        writeFileSync(join(dir, file), file);
      }
      const repo = repositoryOnDisk(dir);
      assert.deepEqual(repo.glob("scripts/*.ps1"), ["scripts/a.ps1", "scripts/b.ps1"]);
      assert.deepEqual(repo.glob("**/*.ps1"), ["scripts/a.ps1", "scripts/b.ps1", "scripts/sub/c.ps1"]);
      assert.deepEqual(repo.glob("scripts/**/*.ps1"), ["scripts/a.ps1", "scripts/b.ps1", "scripts/sub/c.ps1"]);
      assert.deepEqual(repo.glob("scripts/{a,b}.ps1"), ["scripts/a.ps1", "scripts/b.ps1"]);
      assert.deepEqual(repo.glob("scripts/[ab].ps?"), ["scripts/a.ps1", "scripts/b.ps1"]);
      assert.deepEqual(repo.glob("installers/*/agent.msi"), ["installers/x/agent.msi"]);
      assert.deepEqual(repo.glob("README.md"), ["README.md"]);
      assert.deepEqual(repo.glob("scripts"), [], "a folder is not a file");
      assert.deepEqual(repo.glob("missing/*.ps1"), []);
      assert.equal(new TextDecoder().decode(repo.read("scripts/a.ps1")), "scripts/a.ps1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(globToRegExp("v1.2+build.ps1").test("v1.2+build.ps1"), "'.' and '+' are literal");
    assert.ok(!globToRegExp("a.ps1").test("aXps1"));
    assert.ok(globToRegExp("a.b\\(c\\)+.ps1").test("a.b(c)+.ps1"), "parentheses follow extglob rules: escape them");
  });

  it("refuses what does not resolve to files in the repository", () => {
    const cases: [string, RegExp][] = [
      ["scripts/*.bat", /'scripts\/\*\.bat' matches no file in \/work\/repo/],
      ["../secrets/*.ps1", /must be a path inside the repository/],
      ["/etc/passwd", /must be a path inside the repository/],
      ["scripts/*.ps1 => D:", /must be an absolute Windows path/],
      ["scripts/*.ps1 => C:\\Scripts\\one.ps1", /matches 2 files but names one destination file/],
    ];
    for (const [text, expected] of cases) {
      const { scripts, problems } = readRepositoryScripts(text, repository());
      assert.equal(scripts.length, 0, text);
      assert.match(problems[0]!, expected);
    }
  });

  it("uploads to the storage account: each customizer downloads <sha256>/<path> with its SHA-256", () => {
    const plan = planWith({ scripts: "scripts/Install-Apps.ps1\ninstallers/agent.msi => C:\\Install\\", ...STORAGE });
    const sha = sha256Hex(new TextEncoder().encode(`\uFEFF${INSTALL}`));
    const steps = plan.template.customize as Step[];
    assert.deepEqual(steps[0], {
      type: "PowerShell",
      name: "repo-script-scripts_Install-Apps.ps1",
      scriptUri: `https://stcontosoimages.blob.core.windows.net/avd-scripts/${sha}/scripts/Install-Apps.ps1`,
      sha256Checksum: sha,
      runElevated: true,
      runAsSystem: true,
    });
    assert.equal(steps[1]!.type, "File");
    assert.equal(steps[1]!.destination, "C:\\Install\\agent.msi");
    assert.match(steps[1]!.sourceUri!, /^https:\/\/stcontosoimages\.blob\.core\.windows\.net\/avd-scripts\/[0-9a-f]{64}\/installers\/agent\.msi$/);
    assert.equal(steps[2]!.name, "restart-after-scripts");
    assert.deepEqual(
      plan.uploads!.map((u) => [u.path, u.blobName, u.sha256]),
      [
        ["scripts/Install-Apps.ps1", `${sha}/scripts/Install-Apps.ps1`, sha],
        ["installers/agent.msi", `${steps[1]!.sha256Checksum}/installers/agent.msi`, steps[1]!.sha256Checksum],
      ],
    );
  });

  it("inlines small PowerShell scripts without a storage account, with their path and SHA-256", () => {
    const plan = planWith({ scripts: "scripts/Install-Apps.ps1" });
    const step = (plan.template.customize as Step[])[0]!;
    assert.deepEqual(step.inline, [
      `# scripts/Install-Apps.ps1 sha256:${sha256Hex(new TextEncoder().encode(`\uFEFF${INSTALL}`))}`,
      "param()",
      "Write-Host 'Installing 7-Zip'",
    ]);
    assert.deepEqual(plan.uploads, []);
  });

  it("asks for a storage account for files to copy and scripts too big to inline", () => {
    const big = fakeRepository({ "scripts/Big.ps1": `# ${"x".repeat(INLINE_MAX_BYTES)}`, "installers/agent.msi": "MSI" });
    const inputs = validInputs({ scripts: "scripts/Big.ps1\ninstallers/agent.msi" });
    assert.throws(
      () =>
        parseSettings(
          (n: InputName) => inputs[n] ?? "",
          (n) => n,
          big,
        ),
      (error: SettingsError) => {
        assert.deepEqual(
          error.problems.map((p) => p.input),
          ["scripts", "scripts"],
        );
        assert.match(error.message, /'scripts\/Big\.ps1' has 65538 bytes, more than the 65536 inlined into the template: give 'scripts-storage-account'/);
        assert.match(
          error.message,
          /'installers\/agent\.msi' is a file to copy to C:\\AVDImage\\installers\\agent\.msi: the build VM downloads it, so give 'scripts-storage-account'/,
        );
        return true;
      },
    );
  });

  it("changes the template hash when one byte of a script changes, and only then", () => {
    for (const storage of [STORAGE, {}]) {
      const base = planWith({ scripts: "scripts/*.ps1", ...storage });
      assert.equal(planWith({ scripts: "scripts/*.ps1", ...storage }).hash, base.hash);
      const changed = planWith({ scripts: "scripts/*.ps1", ...storage }, repository(INSTALL.replace("7-Zip", "7-Zap")));
      assert.notEqual(changed.hash, base.hash);
    }
  });

  it("reads the storage account as a name (blob endpoint of the environment's cloud) or a blob endpoint URL", () => {
    assert.equal(parseScriptsStorage("stimages", "c01", "AzureUSGovernment").storage?.blobEndpoint, "https://stimages.blob.core.usgovcloudapi.net/");
    assert.deepEqual(parseScriptsStorage("https://127.0.0.1:10000/devstoreaccount1", "c01", "AzureCloud").storage, {
      account: "devstoreaccount1",
      blobEndpoint: "https://127.0.0.1:10000/devstoreaccount1/",
      container: "c01",
    });
    assert.equal(parseScriptsStorage("https://stimages.z12.blob.storage.azure.net/", "c01", "AzureCloud").storage?.account, "stimages");
    assert.match(parseScriptsStorage("St_Images", "c01", "AzureCloud").problem!.message, /storage account name/);
    assert.equal(parseScriptsStorage("http://stimages.blob.core.windows.net/", "c01", "AzureCloud").problem!.input, "scripts-storage-account");
    assert.equal(parseScriptsStorage("stimages", "Scripts--2", "AzureCloud").problem!.input, "scripts-container");
  });
});

describe("script upload", () => {
  const upload = (content: string): ScriptUpload => {
    const bytes = new TextEncoder().encode(content);
    const sha256 = sha256Hex(bytes);
    return {
      path: "scripts/a.ps1",
      url: `https://st.blob.core.windows.net/c/${sha256}/scripts/a.ps1`,
      blobEndpoint: "https://st.blob.core.windows.net/",
      container: "c",
      blobName: `${sha256}/scripts/a.ps1`,
      content: bytes,
      sha256,
    };
  };
  const memoryStore = () => {
    const blobs = new Map<string, string>();
    const puts: string[] = [];
    const store: ScriptStore = {
      storedSha256: async (u) => blobs.get(u.blobName),
      put: async (u) => {
        puts.push(u.blobName);
        blobs.set(u.blobName, u.sha256);
      },
    };
    return { store, blobs, puts };
  };

  it("uploads a script once; the same content is not uploaded again, a changed byte is", async () => {
    const { store, puts } = memoryStore();
    const log: string[] = [];
    assert.deepEqual(await uploadScripts(store, [upload("Write-Host 1")], (m) => log.push(m)), { uploaded: ["scripts/a.ps1"], unchanged: [] });
    assert.deepEqual(await uploadScripts(store, [upload("Write-Host 1")], (m) => log.push(m)), { uploaded: [], unchanged: ["scripts/a.ps1"] });
    assert.deepEqual(await uploadScripts(store, [upload("Write-Host 2")], (m) => log.push(m)), { uploaded: ["scripts/a.ps1"], unchanged: [] });
    assert.equal(puts.length, 2);
    assert.match(log[1]!, /unchanged .* not uploaded again/);
  });

  it("uploads again a blob whose recorded SHA-256 differs (or is missing)", async () => {
    const { store, blobs, puts } = memoryStore();
    const u = upload("Write-Host 1");
    blobs.set(u.blobName, "");
    await uploadScripts(store, [u], () => undefined);
    assert.deepEqual(puts, [u.blobName]);
  });

  it("explains a refused upload: the data role and the firewall", async () => {
    const { RestError } = await import("@azure/core-rest-pipeline");
    const store: ScriptStore = {
      storedSha256: async () => {
        throw new RestError("This request is not authorized to perform this operation using this permission.", {
          statusCode: 403,
          code: "AuthorizationPermissionMismatch",
        });
      },
      put: async () => undefined,
    };
    await assert.rejects(
      uploadScripts(store, [upload("x")], () => undefined),
      (error: Error) => {
        assert.ok(error instanceof ScriptUploadError);
        assert.match(
          error.message,
          /Uploading 'scripts\/a\.ps1' to container 'c' at https:\/\/st\.blob\.core\.windows\.net\/ was refused \(AuthorizationPermissionMismatch\)\. Give the identity .*'Storage Blob Data Contributor'/,
        );
        return true;
      },
    );
  });
});
