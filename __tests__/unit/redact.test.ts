/**
 * What the action logs at debug level never carries a secret: src/redact.ts on URLs (SAS query strings),
 * free text, and the parsed settings (the GitHub token, SAS script URIs, script bytes).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { main } from "../../src/main.ts";
import { REDACTED, redactText, redactUrl, redactValue, redactedJson } from "../../src/redact.ts";
import { parseSettings } from "../../src/settings/index.ts";
import { fakeScriptContent, fakeWorld, runMain } from "../fakes/fake-services.ts";
import { createRecordingHost } from "../fakes/recording-host.ts";
import { validInputs } from "../helpers/inputs.ts";

const SIG = "k9Xq2%2BSECRETsig%3D";
const SAS_URI = `https://stimages.blob.core.windows.net/scripts/Install-Apps.ps1?sv=2022-11-02&se=2027-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=${SIG}`;

describe("redactUrl", () => {
  it("replaces every SAS query value, keeping the names, the path and the host", () => {
    assert.equal(
      redactUrl(SAS_URI),
      `https://stimages.blob.core.windows.net/scripts/Install-Apps.ps1?sv=${REDACTED}&se=${REDACTED}&sr=${REDACTED}&sp=${REDACTED}&sig=${REDACTED}`,
    );
  });

  it("keeps ARM's public query parameters as sent, and redacts the rest (a skip token, a bare value)", () => {
    assert.equal(
      redactUrl(
        "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/galleries?api-version=2025-03-03&$filter=a%20eq%20b&$skiptoken=opaque",
      ),
      `https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/galleries?api-version=2025-03-03&$filter=a%20eq%20b&$skiptoken=${REDACTED}`,
    );
    assert.equal(redactUrl("https://example.com/p?opaquesecret"), `https://example.com/p?${REDACTED}`);
  });

  it("drops a URL's user name and password; text that is no URL is left alone", () => {
    assert.equal(redactUrl("https://deploy:hunter2@example.com/x.ps1"), `https://${REDACTED}@example.com/x.ps1`);
    assert.equal(redactUrl("not a url"), "not a url");
  });
});

describe("redactText and redactValue", () => {
  it("redacts URLs inside text and every known secret wherever it appears", () => {
    const text = `Invoke-WebRequest '${SAS_URI}' -OutFile x.ps1; $env:TOKEN = 'ghp_abc123secret'`;
    const out = redactText(text, ["ghp_abc123secret"]);
    assert.doesNotMatch(out, /SECRETsig|ghp_abc123secret/);
    assert.match(out, /Install-Apps\.ps1\?sv=\*\*\*.*sig=\*\*\*' -OutFile x\.ps1; \$env:TOKEN = '\*\*\*'/);
  });

  it("replaces fields named like secrets at any depth, shows bytes by length and dates as ISO 8601", () => {
    const value = {
      a: { clientSecret: "s3cr3t", githubToken: "t0k3n", nested: [{ sasToken: "?sv=1&sig=2", accountKey: "key==" }] },
      content: new Uint8Array(12),
      at: new Date(0),
      empty: "",
    };
    assert.deepEqual(redactValue(value), {
      a: { clientSecret: REDACTED, githubToken: REDACTED, nested: [{ sasToken: REDACTED, accountKey: REDACTED }] },
      content: "<12 bytes>",
      at: "1970-01-01T00:00:00.000Z",
      empty: "",
    });
  });
});

describe("the parsed settings at debug level", () => {
  it("never show the GitHub token or a script URI's SAS signature; the rest is there to debug with", () => {
    const token = "ghs_0123456789abcdefSECRET";
    const inputs = validInputs({ "github-release": "true", "github-token": token, "script-uris": `${SAS_URI} ${"a".repeat(64)}` });
    const settings = parseSettings((name) => inputs[name] ?? "");
    assert.equal(settings.githubRelease?.token, token, "the token is in the settings");
    assert.ok(settings.scriptUris[0]!.uri.includes(SIG), "the SAS is in the settings");
    const line = redactedJson(settings, [token]);
    assert.ok(!line.includes(token) && !line.includes("0123456789abcdef"), line);
    assert.ok(!line.includes(SIG) && !line.includes("SECRETsig"), line);
    const shown = JSON.parse(line) as {
      subscriptionId: string;
      imageDefinition: string;
      githubRelease: { token: string };
      scriptUris: { uri: string; sha256: string }[];
    };
    assert.equal(shown.subscriptionId, inputs["subscription-id"]);
    assert.equal(shown.imageDefinition, "win11-avd-m365");
    assert.equal(shown.githubRelease.token, REDACTED);
    assert.equal(shown.scriptUris[0]!.uri, redactUrl(SAS_URI));
    assert.equal(shown.scriptUris[0]!.sha256, "a".repeat(64));
  });

  it("main() logs them once at debug level, first, with the token and the signature left out even before any masking", async () => {
    const token = "ghs_0123456789abcdefSECRET";
    const world = fakeWorld();
    const host = createRecordingHost({
      inputs: validInputs({ "github-release": "true", "github-token": token, "script-uris": `${SAS_URI} ${"a".repeat(64)}`, "dry-run": "true" }),
    });
    // The recording host masks what setSecret registered; the debug channel is read raw here, as a host that masks nothing would print it.
    const raw: string[] = [];
    host.debug = (message) => void raw.push(message);
    assert.equal(
      await main(host, new AbortController().signal, { services: (settings, h) => world.services(settings, h), pollIntervalMs: 1, minuteMs: 10 }),
      0,
      host.failed,
    );
    assert.deepEqual(host.secrets, [token], "the token is masked as well");
    const settingsLines = raw.filter((m) => m.startsWith("Settings: "));
    assert.equal(settingsLines.length, 1);
    assert.equal(raw[0], settingsLines[0], "the first debug line of the run");
    assert.match(settingsLines[0]!, /"githubRelease":\{"token":"\*\*\*"\}/);
    assert.ok(!raw.join("\n").includes(token) && !raw.join("\n").includes(SIG), "neither the token nor the SAS signature is in any debug line");
  });
});

describe("a SAS script URI in the job log", () => {
  it("a pinned script's line shows the URI with its query redacted; one that cannot be read fails naming it without the signature", async () => {
    const world = fakeWorld();
    world.scriptContent = fakeScriptContent({ [SAS_URI]: "Write-Host 'apps'" });
    const pinned = await runMain(world, { "script-uris": SAS_URI, "dry-run": "true" });
    assert.equal(pinned.code, 0, pinned.host.failed);
    assert.deepEqual(world.scriptContent.reads, [SAS_URI], "the script was read with its SAS");
    assert.ok(
      pinned.host.messages("info").some((m) => m.startsWith(`Script ${redactUrl(SAS_URI)}: sha256 `)),
      pinned.host.logText(),
    );
    assert.ok(!pinned.host.logText().includes(SIG));

    const unreadable = `${SAS_URI.replace("Install-Apps", "Missing")}`;
    const failed = await runMain(fakeWorld(), { "script-uris": unreadable });
    assert.equal(failed.code, 1);
    assert.match(
      failed.host.failed!,
      /Input 'script-uris': https:\/\/stimages\.blob\.core\.windows\.net\/scripts\/Missing\.ps1\?sv=\*\*\*.*could not be read \(HTTP 404 Not Found\)/,
    );
    assert.ok(!failed.host.failed!.includes(SIG) && !failed.host.summary.includes(SIG) && !failed.host.logText().includes(SIG));
  });

  it("an input error on a script-uris line leaves the signature out", () => {
    const inputs = validInputs({ "script-uris": `${SAS_URI} not-a-checksum` });
    assert.throws(
      () => parseSettings((name) => inputs[name] ?? ""),
      (error: Error) =>
        /Input 'script-uris': line 'https:\/\/stimages.*sig=\*\*\* not-a-checksum': after the URL give nothing or its SHA-256/.test(error.message) &&
        !error.message.includes(SIG),
    );
  });
});
