/**
 * `github-release: true` end to end: the bundle, spawned as the GitHub runner spawns it, with
 * `GITHUB_API_URL` pointing its Octokit (@actions/github) at a local stand-in of the GitHub REST API
 * (emulator/github-api.ts, every request recorded). Each published version becomes a release
 * `image/<definition>/<version>` with the changelog and the manifest; a later build whose previous image
 * template is gone reads the previous manifest from that release.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../emulator/azurite.ts";
import { type GitHubApi, startGitHubApi } from "../../emulator/github-api.ts";
import { POLL_MS, imageBuilderClient } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

const TOKEN = "ghs_write_contents_0123456789abcdef";
const READ_ONLY = "ghs_read_contents_0123456789abcdef";
const MANIFEST_1 = "avd-image-manifest-win11-avd-m365-1.0.0.json";

describe("github-release, end to end against a stand-in of the GitHub REST API", () => {
  let azurite: Azurite;
  let s: Scenario;
  let api: GitHubApi;
  let untrust: () => void;
  before(async () => {
    azurite = await startAzurite();
    s = await startScenario({ azurite });
    api = await startGitHubApi({ tokens: [TOKEN], readOnlyTokens: [READ_ONLY] });
    untrust = trustEmulator(s.emu);
  });
  after(async () => {
    untrust();
    await api.close();
    await s.emu.close();
    await azurite.stop();
  });
  const run = (inputs: Record<string, string>, token = TOKEN) =>
    s.spawn(
      { "github-release": "true", "github-token": token, ...inputs },
      { GITHUB_API_URL: api.url, GITHUB_ACTOR: "avd-admin", GITHUB_EVENT_NAME: "schedule" },
    );

  it("creates the release image/<definition>/<version> with the changelog as its body and the manifest attached", async () => {
    const first = await run({ "inline-script": "Write-Host 'v1'" });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.deepEqual(
      first.stdout.split("\n").filter((l) => l.includes(TOKEN)),
      [`::add-mask::${TOKEN}`],
      "the token is masked, never printed",
    );
    assert.match(first.stdout, /^::debug::Settings: .*"githubRelease":\{"token":"\*\*\*"\}/m, "the settings at debug level show the token redacted");
    const [release] = api.releases();
    assert.equal(release!.tag, "image/win11-avd-m365/1.0.0");
    assert.equal(release!.name, "win11-avd-m365 1.0.0");
    assert.equal(release!.commit, "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49", "tagged at the workflow's commit");
    assert.ok(release!.body.startsWith(first.outputs.changelog!), "the body is the changelog");
    assert.deepEqual(
      release!.assets.map((a) => [a.name, a.contentType]),
      [[MANIFEST_1, "application/json"]],
    );
    const manifest = JSON.parse(release!.assets[0]!.content) as { imageVersion: string; provenance: Record<string, string> };
    assert.equal(manifest.imageVersion, "1.0.0");
    assert.deepEqual(
      manifest.provenance,
      {
        host: "github",
        repository: "contoso/avd-images",
        commit: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
        runUrl: "https://github.com/contoso/avd-images/actions/runs/9876543210/attempts/1",
        actor: "avd-admin",
        event: "schedule",
      },
      "provenance from @actions/github's context",
    );
    const create = api.requests.find((r) => r.method === "POST" && r.path === "/repos/contoso/avd-images/releases")!;
    assert.equal(create.headers.authorization, `token ${TOKEN}`);
    const upload = api.requests.find((r) => r.method === "POST" && r.path.startsWith("/uploads/repos/contoso/avd-images/releases/"));
    assert.match(
      upload!.path,
      new RegExp(`^/uploads/repos/contoso/avd-images/releases/\\d+/assets\\?name=${MANIFEST_1.replace(/\./g, "\\.")}`),
      "uploaded to the release's upload_url",
    );
  });

  it("a later month whose previous template is gone reads the previous manifest from its release: customizers and applications still compared", async () => {
    const previous = s.emu.listImageVersions(s.avd.subscriptionId, s.avd.resourceGroup, s.avd.gallery, s.avd.imageDefinition).find((v) => v.name === "1.0.0")!;
    await imageBuilderClient(s.emu).virtualMachineImageTemplates.beginDeleteAndWait(s.avd.resourceGroup, previous.tags["avd-image-action.template"]!, {
      updateIntervalInMs: POLL_MS,
    });
    const content = s.emu.imageContent();
    s.emu.setImageContent({ applications: content.applications.map((a) => (a.name === "Microsoft Edge" ? { ...a, version: "138.0.3351.55" } : a)) });
    api.requests.length = 0;
    const second = await run({ "inline-script": "Write-Host 'v2'" });
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    const changelog = second.outputs.changelog!;
    assert.match(changelog, /^### What changed since 1\.0\.0$/m);
    assert.match(changelog, /Customizer changed: `inline-script`/);
    assert.match(changelog, /Application upgraded: Microsoft Edge 137\.0\.3296\.68 → 138\.0\.3351\.55/);
    assert.doesNotMatch(changelog, /Not compared/);
    assert.ok(
      api.requests.some((r) => r.method === "GET" && decodeURIComponent(r.path) === "/repos/contoso/avd-images/releases/tags/image/win11-avd-m365/1.0.0"),
      "read the previous version's release",
    );
    assert.ok(
      api.requests.some(
        (r) => r.method === "GET" && /^\/repos\/contoso\/avd-images\/releases\/assets\/\d+$/.test(r.path) && r.headers.accept === "application/octet-stream",
      ),
    );
    assert.deepEqual(
      api.releases().map((r) => r.tag),
      ["image/win11-avd-m365/1.0.0", "image/win11-avd-m365/1.0.1"],
    );
  });

  it("a token that may not write releases fails the run naming contents: write; the version stays published", async () => {
    const third = await run({ "inline-script": "Write-Host 'v3'" }, READ_ONLY);
    assert.equal(third.exitCode, 1, third.stdout);
    assert.match(
      third.stdout,
      /::error::Image version 1\.0\.2 was published, but the GitHub release image\/win11-avd-m365\/1\.0\.2 could not be made: Resource not accessible by integration.*contents: write/,
    );
    assert.equal(third.outputs["image-version"], "1.0.2");
    assert.equal(api.releases().length, 2);
  });
});
