/**
 * Behaviour of the emulator as the real SDK clients and credentials see it: auth (secret, GitHub
 * federated assertion, certificate assertion, their errors; ARM 401s), LRO headers, paging, retries
 * after 429/500/dropped connections, AIB template rules, build phases and failures, marketplace order.
 */

import assert from "node:assert/strict";
import { X509Certificate, createHash, createPrivateKey, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { getIDToken } from "@actions/core";
import { ClientCertificateCredential } from "@azure/identity";
import selfsigned from "selfsigned";
import type { AvdDefaults, Emulator, RunSubState } from "../../emulator/index.ts";
import { RUN_SUB_STATES, startEmulator } from "../../emulator/index.ts";
import { POLL_MS, avdTemplate, computeClient, githubCredential, imageBuilderClient, raw, secretCredential } from "../helpers/emulator-clients.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const FAST_PHASES = { Queued: 10, Building: 10, Customizing: 10, Optimizing: 10, Validating: 10, Distributing: 10 };
const poll = { updateIntervalInMs: POLL_MS };

let emu: Emulator;
let untrust: () => void;
let a: AvdDefaults;
let counter = 0;
const uniqueName = (p: string) => `${p}-${++counter}`;

function galleryImageId(version?: string): string {
  return version ? `${a.imageDefinitionId}/versions/${version}` : a.imageDefinitionId;
}

/** Creates a template via the SDK and waits for provisioning. */
async function createTemplate(name: string, o: Partial<Parameters<typeof avdTemplate>[0]> = {}) {
  const ib = imageBuilderClient(emu);
  return ib.virtualMachineImageTemplates.createOrUpdate(
    a.resourceGroup,
    name,
    avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0"), ...o }),
    poll,
  );
}

async function errorOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

before(async () => {
  emu = await startEmulator({
    phaseDurationsMs: FAST_PHASES,
    templateCreateMs: 20,
    templateUpdateMs: 20,
    templateDeleteMs: 20,
    cancelMs: 30,
    galleryWriteMs: 20,
    versionDeleteMs: 20,
    lroRetryAfterSeconds: 0,
  });
  untrust = trustEmulator(emu);
  a = emu.seedAvdDefaults();
});

after(async () => {
  await emu.close();
  untrust();
});

beforeEach(() => {
  emu.clearFaults();
});

describe("fake Entra ID and GitHub OIDC", () => {
  test("ClientSecretCredential gets a token through openid-configuration + token endpoint; ARM accepts it", async () => {
    emu.resetLog();
    const t = await secretCredential(emu).getToken("https://management.azure.com/.default");
    assert.ok(t.token.split(".").length === 3);
    assert.ok(Math.abs(t.expiresOnTimestamp - Date.now() - 3600_000) < 60_000);
    const paths = emu.requests.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(paths, [`GET /${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`, `POST /${emu.defaults.tenantId}/oauth2/v2.0/token`]);
    assert.equal((emu.requests[1]!.body as any).client_secret, "<redacted>");
    const rg = await raw(emu, "GET", `/subscriptions/${a.subscriptionId}/resourcegroups/${a.resourceGroup}?api-version=2025-04-01`, { token: t.token });
    assert.equal(rg.status, 200);
    assert.equal(
      rg.body.id,
      `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}`,
      "ids use the canonical casing whatever the request path casing",
    );
  });

  test("a wrong secret is AADSTS7000215 (401 invalid_client)", async () => {
    const err = await errorOf(secretCredential(emu, { secret: "wrong" }).getToken("https://management.azure.com/.default"));
    assert.match(err.message, /AADSTS7000215: Invalid client secret provided/);
    const res = await fetch(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: emu.defaults.clientId,
        client_secret: "wrong",
        scope: "https://management.azure.com/.default",
      }),
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as any;
    assert.equal(body.error, "invalid_client");
    assert.deepEqual(body.error_codes, [7000215]);
    assert.match(body.error_description, /^AADSTS7000215: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s);
  });

  test("an unknown client is AADSTS700016", async () => {
    const err = await errorOf(secretCredential(emu, { clientId: "00000000-0000-0000-0000-00000000dead" }).getToken("https://management.azure.com/.default"));
    assert.match(err.message, /AADSTS700016: Application with identifier '00000000-0000-0000-0000-00000000dead' was not found/);
  });

  test("@actions/core getIDToken → ClientAssertionCredential → ARM works with the default federated credential", async () => {
    const env = emu.githubOidcEnv();
    const saved = { url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL, token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN };
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    // @actions/core prints ::debug:: and ::add-mask:: workflow commands on stdout; keep the test output clean.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: any, ...rest: any[]) => (String(chunk).startsWith("::") ? true : write(chunk, ...rest))) as typeof process.stdout.write;
    try {
      const before = emu.githubOidcCalls;
      const jwt = await getIDToken("api://AzureADTokenExchange");
      assert.equal(emu.githubOidcCalls, before + 1);
      const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
      assert.equal(claims.iss, `${emu.url}/github`);
      assert.equal(claims.aud, "api://AzureADTokenExchange");
      assert.equal(claims.sub, "repo:contoso/avd-images:ref:refs/heads/main");
      assert.equal(claims.exp - claims.iat, 300);
      const cred = githubCredential(emu, () => getIDToken("api://AzureADTokenExchange"));
      const rg = await computeClient(emu, cred).galleries.get(a.resourceGroup, a.gallery);
      assert.equal(rg.name, a.gallery);
      assert.ok(emu.githubOidcCalls >= before + 2);
    } finally {
      process.stdout.write = write;
      process.env.ACTIONS_ID_TOKEN_REQUEST_URL = saved.url;
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = saved.token;
      if (saved.url === undefined) delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      if (saved.token === undefined) delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    }
  });

  test('the GitHub OIDC request endpoint refuses a wrong request token and accepts a URL without "?"', async () => {
    const r = await fetch(`${emu.url}/github/oidc/token?audience=x`, { headers: { authorization: "Bearer nope" } });
    assert.equal(r.status, 401);
    // @actions/core appends `&audience=…` to ACTIONS_ID_TOKEN_REQUEST_URL as given.
    const ok = await fetch(`${emu.url}/github/oidc/token&audience=${encodeURIComponent("api://AzureADTokenExchange")}`, {
      headers: { authorization: `Bearer ${emu.defaults.githubRequestToken}` },
    });
    assert.equal(ok.status, 200);
    const { value } = (await ok.json()) as { value: string };
    assert.equal(JSON.parse(Buffer.from(value.split(".")[1]!, "base64url").toString()).aud, "api://AzureADTokenExchange");
  });

  test("an expired GitHub assertion is AADSTS700024", async () => {
    const old = Math.floor(Date.now() / 1000) - 3600;
    const cred = githubCredential(emu, async () => emu.mintGithubOidcToken({ issuedAt: old, lifetimeSeconds: 300 }));
    const err = await errorOf(cred.getToken("https://management.azure.com/.default"));
    assert.match(
      err.message,
      /AADSTS700024: Client assertion is not within its valid time range\. Current time: .*, assertion valid from .*, expiry time of assertion /,
    );
  });

  test("another subject, audience or a bad signature is refused with AADSTS700213 / 700212 / 700027", async () => {
    const sub = "repo:contoso/avd-images:ref:refs/heads/feature";
    const e1 = await errorOf(githubCredential(emu, async () => emu.mintGithubOidcToken({ subject: sub })).getToken("https://management.azure.com/.default"));
    assert.match(e1.message, new RegExp(`AADSTS700213: No matching federated identity record found for presented assertion subject '${sub}'`));
    const e2 = await errorOf(
      githubCredential(emu, async () => emu.mintGithubOidcToken({ audience: "api://Other" })).getToken("https://management.azure.com/.default"),
    );
    assert.match(e2.message, /AADSTS700212: .*audience 'api:\/\/Other'/);
    const e3 = await errorOf(
      githubCredential(emu, async () => emu.mintGithubOidcToken({ badSignature: true })).getToken("https://management.azure.com/.default"),
    );
    assert.match(e3.message, /AADSTS700027/);
    // A wildcard federated credential on another app accepts any subject.
    emu.registerApp({ clientId: "11111111-2222-4333-8444-555555555555", federated: [{ issuer: emu.defaults.githubIssuer, subject: "*" }] });
    const t = await githubCredential(emu, async () => emu.mintGithubOidcToken({ subject: sub }));
    const other = new (t.constructor as any)(
      emu.defaults.tenantId,
      "11111111-2222-4333-8444-555555555555",
      async () => emu.mintGithubOidcToken({ subject: sub }),
      {
        authorityHost: emu.url,
        disableInstanceDiscovery: true,
      },
    );
    assert.ok((await other.getToken("https://management.azure.com/.default")).token);
  });

  test("a certificate-signed client assertion (ClientCertificateCredential) works for an app registered with that certificate", async () => {
    const pems = await selfsigned.generate([{ name: "commonName", value: "ado-spn" }], { keySize: 2048, algorithm: "sha256" });
    const clientId = "22222222-3333-4444-8555-666666666666";
    emu.registerApp({ clientId, certificatePem: pems.cert });
    const cred = new ClientCertificateCredential(
      emu.defaults.tenantId,
      clientId,
      { certificate: `${pems.private}\n${pems.cert}` },
      { authorityHost: emu.url, disableInstanceDiscovery: true },
    );
    assert.ok((await cred.getToken("https://management.azure.com/.default")).token);
    // Same client, a certificate Entra does not know.
    const other = await selfsigned.generate([{ name: "commonName", value: "rogue" }], { keySize: 2048, algorithm: "sha256" });
    const rogue = new ClientCertificateCredential(
      emu.defaults.tenantId,
      clientId,
      { certificate: `${other.private}\n${other.cert}` },
      { authorityHost: emu.url, disableInstanceDiscovery: true },
    );
    const err = await errorOf(rogue.getToken("https://management.azure.com/.default"));
    assert.match(err.message, /AADSTS700027: Client assertion failed signature validation\. \[Reason - The key was not found\./);

    // An RS256 assertion with a SHA-1 `x5t` header (older MSAL / other SDKs) is accepted too; a tampered one is not.
    const der = new X509Certificate(pems.cert).raw;
    const now = Math.floor(Date.now() / 1000);
    const tokenUrl = `${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/token`;
    const h = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") })).toString("base64url");
    const p = Buffer.from(JSON.stringify({ aud: tokenUrl, iss: clientId, sub: clientId, jti: "j1", nbf: now, exp: now + 600 })).toString("base64url");
    const sig = sign("sha256", Buffer.from(`${h}.${p}`), createPrivateKey(pems.private)).toString("base64url");
    const post = (assertion: string) =>
      fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: clientId,
          scope: "https://management.azure.com/.default",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
        }),
      });
    assert.equal((await post(`${h}.${p}.${sig}`)).status, 200);
    const tampered = await post(`${h}.${p}.${sig.slice(0, -4)}AAAA`);
    assert.equal(tampered.status, 401);
    assert.deepEqual(((await tampered.json()) as any).error_codes, [700027]);
  });

  test("ARM answers 401 AuthenticationFailed / InvalidAuthenticationToken / ExpiredAuthenticationToken with a Bearer challenge", async () => {
    const path = `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}?api-version=2025-04-01`;
    const none = await raw(emu, "GET", path, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "AuthenticationFailed");
    assert.equal(none.body.error.message, "Authentication failed. The 'Authorization' header is missing.");
    assert.equal(
      none.headers.get("www-authenticate"),
      `Bearer authorization_uri="${emu.url}/${emu.defaults.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    );
    const forged = await raw(emu, "GET", path, { token: emu.mintGithubOidcToken() });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, "InvalidAuthenticationToken");
    emu.setOptions({ tokenLifetimeSeconds: 0 });
    try {
      const res = await fetch(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: emu.defaults.clientId,
          client_secret: emu.defaults.clientSecret,
          scope: "https://management.azure.com/.default",
        }),
      });
      const tok = (await res.json()) as any;
      assert.equal(tok.expires_in, 0);
      const expired = await raw(emu, "GET", path, { token: tok.access_token });
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error.code, "ExpiredAuthenticationToken");
      assert.match(expired.body.error.message, /^The access token expiry UTC time '\d+\/\d+\/\d{4} \d+:\d{2}:\d{2} [AP]M' is earlier than current UTC time '/);
      assert.match(expired.headers.get("www-authenticate")!, /error="invalid_token"/);
    } finally {
      emu.setOptions({ tokenLifetimeSeconds: 3600 });
    }
  });
});

describe("ARM conventions", () => {
  test("missing api-version is 400 MissingApiVersionParameter; unknown subscription is SubscriptionNotFound", async () => {
    const r = await raw(emu, "GET", `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Compute/galleries/${a.gallery}`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." },
    });
    const s = await raw(emu, "GET", `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/x?api-version=2025-04-01`);
    assert.equal(s.status, 404);
    assert.equal(s.body.error.code, "SubscriptionNotFound");
  });

  test("responses carry request ids, echo the correlation id and count rate limits per read/write", async () => {
    const r1 = await raw(emu, "GET", `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}?api-version=2025-04-01`, {
      headers: { "x-ms-correlation-request-id": "corr-123" },
    });
    const r2 = await raw(emu, "GET", `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}?api-version=2025-04-01`);
    assert.equal(r1.headers.get("x-ms-correlation-request-id"), "corr-123");
    assert.match(r1.headers.get("x-ms-request-id")!, /^[0-9a-f-]{36}$/);
    assert.notEqual(r1.headers.get("x-ms-request-id"), r2.headers.get("x-ms-request-id"));
    assert.equal(
      Number(r1.headers.get("x-ms-ratelimit-remaining-subscription-reads")) - 1,
      Number(r2.headers.get("x-ms-ratelimit-remaining-subscription-reads")),
    );
    assert.match(r1.headers.get("content-type")!, /^application\/json/);
  });

  test("LRO: 201 + Azure-AsyncOperation on the emulator host with the configured Retry-After; status bodies InProgress → Succeeded", async () => {
    emu.setOptions({ lroRetryAfterSeconds: 3, templateCreateMs: 80 });
    try {
      const name = uniqueName("lro");
      const body = avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0") });
      const { identity, location, tags, ...properties } = body;
      const r = await raw(
        emu,
        "PUT",
        `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}?api-version=2025-10-01`,
        {
          body: { identity, location, tags, properties },
        },
      );
      assert.equal(r.status, 201);
      assert.equal(r.headers.get("retry-after"), "3");
      const url = r.headers.get("azure-asyncoperation")!;
      assert.ok(url.startsWith(`${emu.url}/subscriptions/`));
      const p1 = await raw(emu, "GET", url);
      assert.equal(p1.body.status, "InProgress");
      assert.equal(p1.body.endTime, undefined);
      assert.equal(p1.headers.get("retry-after"), "3");
      await sleep(120);
      const p2 = await raw(emu, "GET", url);
      assert.equal(p2.body.status, "Succeeded");
      assert.ok(p2.body.endTime);
    } finally {
      emu.setOptions({ lroRetryAfterSeconds: 0, templateCreateMs: 20 });
    }
  });

  test("the SDK iterator follows nextLink paging (page size 2)", async () => {
    const img = "paged";
    emu.seedImageDefinition({ resourceGroup: a.resourceGroup, gallery: a.gallery, name: img, publisher: "p", offer: "o", sku: "paged" });
    for (const v of ["1.0.0", "1.0.1", "1.0.2", "1.0.10", "2.0.0"])
      emu.seedImageVersion({ resourceGroup: a.resourceGroup, gallery: a.gallery, image: img, version: v });
    emu.setOptions({ pageSize: 2 });
    emu.resetLog();
    try {
      const names: string[] = [];
      for await (const v of computeClient(emu).galleryImageVersions.listByGalleryImage(a.resourceGroup, a.gallery, img)) names.push(v.name!);
      assert.deepEqual(names, ["1.0.0", "1.0.1", "1.0.2", "1.0.10", "2.0.0"]);
      const lists = emu.requests.filter((r) => r.path.endsWith(`/images/${img}/versions`));
      assert.equal(lists.length, 3);
      assert.deepEqual(
        lists.map((r) => r.query["$skipToken"]),
        [undefined, "2", "4"],
      );
    } finally {
      emu.setOptions({ pageSize: 50 });
    }
  });

  test("429 with Retry-After is retried by the SDK", async () => {
    const f = emu.injectFault({ method: "GET", path: /\/galleries\/galAvd\/images\/win11-avd-m365\?/, kind: "throttle", times: 2, retryAfterSeconds: 0 });
    emu.resetLog();
    const img = await computeClient(emu).galleryImages.get(a.resourceGroup, a.gallery, a.imageDefinition);
    assert.equal(img.name, a.imageDefinition);
    assert.equal(f.hits, 2);
    const statuses = emu.requests.filter((r) => r.kind === "arm").map((r) => r.status);
    assert.deepEqual(statuses, [429, 429, 200]);
  });

  test("a throttled response has ARM throttling body and headers", async () => {
    emu.injectFault({ path: /\/resourceGroups\/rg-avd-images\?/, kind: "throttle", retryAfterSeconds: 7 });
    const r = await raw(emu, "GET", `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}?api-version=2025-04-01`);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "7");
    assert.equal(r.body.error.code, "SubscriptionRequestsThrottled");
    assert.match(r.body.error.message, /Number of 'read' requests for subscription '.*' exceeded\. Please try again after '7' seconds/);
  });

  test("500 on an LRO status poll is retried and the LRO still completes", async () => {
    const f = emu.injectFault({ method: "GET", path: /\/operations\//i, kind: "error500", times: 2 });
    emu.resetLog();
    const t = await createTemplate(uniqueName("poll500"));
    assert.equal(t.provisioningState, "Succeeded");
    assert.equal(f.hits, 2);
    const polls = emu.requests.filter((r) => /\/operations\//.test(r.path));
    assert.deepEqual(
      polls.slice(0, 2).map((r) => r.status),
      [500, 500],
    );
    assert.equal(polls.at(-1)!.status, 200);
  });

  test("a dropped connection is retried by the SDK", async () => {
    const f = emu.injectFault({ method: "GET", path: /\/versions\?/, kind: "drop", times: 1 });
    emu.resetLog();
    const versions = [];
    for await (const v of computeClient(emu).galleryImageVersions.listByGalleryImage(a.resourceGroup, a.gallery, a.imageDefinition)) versions.push(v);
    assert.equal(f.hits, 1);
    const lists = emu.requests.filter((r) => r.path.endsWith("/versions"));
    assert.deepEqual(
      lists.map((r) => r.status),
      [0, 200],
    );
    assert.equal(lists[0]!.fault, "drop");
  });

  test("writeRequests() lists ARM writes only", async () => {
    emu.resetLog();
    await secretCredential(emu).getToken("https://management.azure.com/.default");
    await createTemplate(uniqueName("writes"));
    const writes = emu.writeRequests();
    assert.equal(writes.length, 1);
    assert.equal(writes[0]!.method, "PUT");
    assert.ok(emu.requests.some((r) => r.kind === "entra" && r.method === "POST"));
  });
});

describe("Image Builder templates", () => {
  test("identical re-PUT succeeds (tags may change); any other change is 409 Conflict with AIB wording", async () => {
    const name = uniqueName("conflict");
    await createTemplate(name);
    const ib = imageBuilderClient(emu);
    const same = await ib.virtualMachineImageTemplates.createOrUpdate(
      a.resourceGroup,
      name,
      avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0"), tags: { run: "2" } }),
      poll,
    );
    assert.deepEqual(same.tags, { run: "2" });
    const err = await errorOf(
      ib.virtualMachineImageTemplates.createOrUpdate(
        a.resourceGroup,
        name,
        avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0"), customizerName: "changed" }),
        poll,
      ),
    );
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "Conflict");
    assert.match(err.message, /^Update\/Upgrade of image templates is currently not supported\. Please change the name of the template you are submitting\./);
  });

  test("PATCH accepts distribute/vmProfile/tags and rejects other fields and removed distribution targets", async () => {
    const name = uniqueName("patch");
    await createTemplate(name);
    const ib = imageBuilderClient(emu);
    const dist = [{ type: "SharedImage", runOutputName: "avd-image", galleryImageId: galleryImageId("1.0.7") } as any];
    // ImageTemplateUpdateParameters is NOT flattened in the SDK: distribute/vmProfile go under `properties`.
    const res = await ib.virtualMachineImageTemplates.update(
      a.resourceGroup,
      name,
      { tags: { patched: "yes" }, properties: { distribute: dist, vmProfile: { vmSize: "Standard_D8s_v5" } } },
      poll,
    );
    assert.equal((res.distribute![0] as any).galleryImageId, galleryImageId("1.0.7"));
    assert.deepEqual(res.tags, { patched: "yes" });
    assert.equal(res.vmProfile?.vmSize, "Standard_D8s_v5");
    const path = `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}?api-version=2025-10-01`;
    const bad = await raw(emu, "PATCH", path, { body: { properties: { customize: [] } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /properties\.customize/);
    const removed = await raw(emu, "PATCH", path, {
      body: { properties: { distribute: [{ type: "SharedImage", runOutputName: "other", galleryImageId: galleryImageId("1.0.8") }] } },
    });
    assert.equal(removed.status, 400);
    assert.equal(
      removed.body.error.message,
      "Validation failed: Distribute target with Runoutput name avd-image not found in the update request. Deleting a distribution target is not allowed.",
    );
  });

  test("PUT validation: identity is required, exactly one user-assigned identity", async () => {
    const path = `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${uniqueName("val")}?api-version=2025-10-01`;
    const body = avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0") });
    const { identity, location, tags, ...properties } = body;
    const noIdentity = await raw(emu, "PUT", path, { body: { location, properties } });
    assert.equal(noIdentity.status, 400);
    assert.match(noIdentity.body.error.message, /Missing field identity/);
    const two = await raw(emu, "PUT", path, {
      body: { location, properties, identity: { type: "UserAssigned", userAssignedIdentities: { [a.identityId]: {}, [`${a.identityId}2`]: {} } } },
    });
    assert.equal(two.status, 400);
    const flat = await raw(emu, "PUT", path, { body: { location, identity, ...properties } });
    assert.equal(flat.status, 400, 'a flattened body (no "properties") is rejected');
    const badName = await raw(emu, "PUT", path.replace(/imageTemplates\/[^?]+/, "imageTemplates/bad%20name"), { body: { location, identity, properties } });
    assert.equal(badName.status, 400);
  });

  test("a platform image that is not in the marketplace fails provisioning (BadPIRSource); re-PUT is then a Conflict", async () => {
    const name = uniqueName("badpir");
    const ib = imageBuilderClient(emu);
    const tpl = avdTemplate({ identityId: a.identityId, galleryImageId: galleryImageId("1.0.0"), sourceVersion: "1.2.3" });
    const err = await errorOf(ib.virtualMachineImageTemplates.createOrUpdate(a.resourceGroup, name, tpl, poll));
    assert.match(
      err.message,
      /BadPIRSource.*Platform Image was not found\. location: westeurope, publisherName: MicrosoftWindowsDesktop, offer: office-365, sku: win11-24h2-avd-m365, version: 1\.2\.3/,
    );
    const got = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
    assert.equal(got.provisioningState, "Failed");
    assert.equal(got.provisioningError?.provisioningErrorCode, "BadPIRSource");
    const again = await errorOf(ib.virtualMachineImageTemplates.createOrUpdate(a.resourceGroup, name, tpl, poll));
    assert.equal(again.statusCode, 409);
    await ib.virtualMachineImageTemplates.delete(a.resourceGroup, name, poll);
    await assert.rejects(ib.virtualMachineImageTemplates.get(a.resourceGroup, name), (e: any) => e.statusCode === 404 && e.code === "ResourceNotFound");
  });

  test("failNextTemplateCreate makes provisioning fail with the given error", async () => {
    emu.failNextTemplateCreate({ provisioningErrorCode: "BadStagingResourceGroup", message: "staging rg is not empty" });
    const name = uniqueName("provfail");
    const err = await errorOf(createTemplate(name));
    assert.match(err.message, /BadStagingResourceGroup\. staging rg is not empty/);
    assert.equal((emu.getImageTemplate(a.subscriptionId, a.resourceGroup, name) as any).properties.provisioningState, "Failed");
  });
});

describe("Image Builder builds", () => {
  test("a run walks Queued → … → Distributing, then creates the version and the run output", async () => {
    const name = uniqueName("build");
    await createTemplate(name, { galleryImageId: galleryImageId("1.1.0"), artifactTags: { source: "avd-image-action" } });
    const phases: RunSubState[] = [];
    const seen = new Set<string>();
    const off = emu.onBuildPhase((t, p) => {
      if (t.name === name) phases.push(p);
    });
    const ib = imageBuilderClient(emu);
    const poller = ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll);
    const watcher = (async () => {
      while (!poller.isDone) {
        const t = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
        if (t.lastRunStatus?.runState === "Running") seen.add(t.lastRunStatus.runSubState!);
        await sleep(3);
      }
    })();
    await poller;
    await watcher;
    off();
    assert.deepEqual(phases, [...RUN_SUB_STATES]);
    assert.ok(seen.size >= 3, `saw sub-states ${[...seen]}`);
    const t = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
    assert.equal(t.lastRunStatus?.runState, "Succeeded");
    assert.ok(t.lastRunStatus!.endTime! >= t.lastRunStatus!.startTime!);
    const outs = [];
    for await (const o of ib.virtualMachineImageTemplates.listRunOutputs(a.resourceGroup, name)) outs.push(o);
    assert.equal(outs.length, 1);
    assert.equal(
      outs[0]!.artifactId,
      `/subscriptions/${a.subscriptionId}/resourcegroups/${a.resourceGroup}/providers/Microsoft.Compute/galleries/${a.gallery}/images/${a.imageDefinition}/versions/1.1.0`,
    );
    const v = await computeClient(emu).galleryImageVersions.get(a.resourceGroup, a.gallery, a.imageDefinition, "1.1.0");
    assert.equal(v.provisioningState, "Succeeded");
    assert.deepEqual(v.tags, { source: "avd-image-action" });
    assert.equal(v.publishingProfile?.targetRegions?.[0]?.name, "West Europe");
    assert.ok(v.publishingProfile?.publishedDate instanceof Date);
  });

  test("without /versions/ in galleryImageId the next patch of the latest version is used", async () => {
    const img = "autover";
    emu.seedImageDefinition({
      resourceGroup: a.resourceGroup,
      gallery: a.gallery,
      name: img,
      publisher: "p",
      offer: "o",
      sku: img,
      securityType: "TrustedLaunchSupported",
    });
    for (const v of ["1.0.9", "1.0.10", "0.9.99"]) emu.seedImageVersion({ resourceGroup: a.resourceGroup, gallery: a.gallery, image: img, version: v });
    const name = uniqueName("auto");
    await createTemplate(name, { galleryImageId: `${a.galleryId}/images/${img}` });
    await imageBuilderClient(emu).virtualMachineImageTemplates.run(a.resourceGroup, name, poll);
    const names = emu.listImageVersions(a.subscriptionId, a.resourceGroup, a.gallery, img).map((v) => v.name);
    assert.ok(names.includes("1.0.11"), names.join(","));
  });

  test("a failing customizer fails the run with the packer message and the customization.log location; no version", async () => {
    const name = uniqueName("custfail");
    await createTemplate(name, { galleryImageId: galleryImageId("1.2.0"), customizerName: "install-office" });
    emu.failNextBuild({ phase: "Customizing", customizerName: "install-office" });
    const ib = imageBuilderClient(emu);
    const err = await errorOf(ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll));
    assert.match(err.message, /Packer build command has failed: exit status 1/);
    const t = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
    assert.equal(t.lastRunStatus?.runState, "Failed");
    assert.equal(t.lastRunStatus?.runSubState, "Customizing");
    assert.match(
      t.lastRunStatus!.message!,
      /^Failed while waiting for packerizer: Microservice has failed: .* Image Build log location: https:\/\/[a-z0-9]{24}\.blob\.core\.windows\.net\/packerlogs\/[0-9a-f-]{36}\/customization\.log\. OperationId: [0-9a-f-]{36}\. Use this operationId to search packer logs\.$/,
    );
    assert.equal(
      emu.listImageVersions(a.subscriptionId, a.resourceGroup, a.gallery, a.imageDefinition).some((v) => v.name === "1.2.0"),
      false,
    );
    const outs = [];
    for await (const o of ib.virtualMachineImageTemplates.listRunOutputs(a.resourceGroup, name)) outs.push(o);
    assert.equal(outs.length, 0);
  });

  test("a customizer fault for a name the template lacks stays queued", async () => {
    emu.failNextBuild({ phase: "Customizing", customizerName: "not-in-this-template" });
    const name = uniqueName("nofault");
    await createTemplate(name, { galleryImageId: galleryImageId("1.2.5") });
    await imageBuilderClient(emu).virtualMachineImageTemplates.run(a.resourceGroup, name, poll);
    assert.equal((emu.getImageTemplate(a.subscriptionId, a.resourceGroup, name) as any).properties.lastRunStatus.runState, "Succeeded");
    emu.nextBuild({ templateName: "drain" }); // keep the queue from leaking into later tests
  });

  test("a version that already exists fails the distribution with AIB wording", async () => {
    emu.seedImageVersion({ resourceGroup: a.resourceGroup, gallery: a.gallery, image: a.imageDefinition, version: "1.3.0", tags: { keep: "me" } });
    const name = uniqueName("exists");
    await createTemplate(name, { galleryImageId: galleryImageId("1.3.0") });
    const ib = imageBuilderClient(emu);
    const err = await errorOf(ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll));
    assert.match(err.message, /Failed in distributing 1 images out of total 1: \{\[Error 0\] \[Distribute 0\] Error publishing MDI to Azure Compute Gallery:/);
    assert.match(err.message, /Changing property 'galleryImageVersion\.properties\.storageProfile\.source\.id' is not allowed\./);
    const t = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
    assert.equal(t.lastRunStatus?.runState, "Failed");
    assert.equal(t.lastRunStatus?.runSubState, "Distributing");
    const v = emu.listImageVersions(a.subscriptionId, a.resourceGroup, a.gallery, a.imageDefinition).find((x) => x.name === "1.3.0")!;
    assert.deepEqual(v.tags, { keep: "me" }, "the existing version is untouched");
  });

  test("a version created by someone else during the build (race) fails the distribution", async () => {
    const name = uniqueName("race");
    await createTemplate(name, { galleryImageId: galleryImageId("1.4.0") });
    const off = emu.onBuildPhase(async (t, phase) => {
      if (t.name === name && phase === "Distributing") {
        await computeClient(emu).galleryImageVersions.createOrUpdate(
          a.resourceGroup,
          a.gallery,
          a.imageDefinition,
          "1.4.0",
          {
            location: "westeurope",
            storageProfile: { source: { id: `/subscriptions/${a.subscriptionId}/resourceGroups/other/providers/Microsoft.Compute/images/x` } },
          },
          poll,
        );
      }
    });
    const err = await errorOf(imageBuilderClient(emu).virtualMachineImageTemplates.run(a.resourceGroup, name, poll));
    off();
    assert.match(err.message, /Failed in distributing 1 images out of total 1/);
  });

  test("cancel mid-build: Canceling then Canceled, the run LRO ends canceled, no version", async () => {
    const name = uniqueName("cancel");
    await createTemplate(name, { galleryImageId: galleryImageId("1.5.0") });
    emu.nextBuild({ templateName: name, phaseDurationsMs: { Customizing: 10_000 } });
    let inCustomizing!: () => void;
    const reached = new Promise<void>((r) => (inCustomizing = r));
    const off = emu.onBuildPhase((t, p) => {
      if (t.name === name && p === "Customizing") inCustomizing();
    });
    const ib = imageBuilderClient(emu);
    const run = ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll);
    const runDone = run.then(
      () => "succeeded",
      (e: Error) => e.message,
    );
    await reached;
    off();
    const cancel = ib.virtualMachineImageTemplates.cancel(a.resourceGroup, name, poll);
    await cancel.submitted();
    assert.equal((await ib.virtualMachineImageTemplates.get(a.resourceGroup, name)).lastRunStatus?.runState, "Canceling");
    await cancel;
    assert.equal(await runDone, "Operation was canceled");
    const t = await ib.virtualMachineImageTemplates.get(a.resourceGroup, name);
    assert.equal(t.lastRunStatus?.runState, "Canceled");
    assert.ok(t.lastRunStatus?.endTime);
    assert.equal(
      emu.listImageVersions(a.subscriptionId, a.resourceGroup, a.gallery, a.imageDefinition).some((v) => v.name === "1.5.0"),
      false,
    );
  });

  test("buildTimeoutInMinutes (scaled) fails the build with AIB timeout message", async () => {
    emu.setOptions({ buildTimeoutMsPerMinute: 10 });
    try {
      const name = uniqueName("timeout");
      await createTemplate(name, { galleryImageId: galleryImageId("1.6.0"), buildTimeoutInMinutes: 6 });
      emu.nextBuild({ templateName: name, phaseDurationsMs: { Building: 1_000 } });
      const started = Date.now();
      const err = await errorOf(imageBuilderClient(emu).virtualMachineImageTemplates.run(a.resourceGroup, name, poll));
      assert.ok(Date.now() - started < 900, "the timeout (6 × 10 ms) ended the build before Building finished");
      assert.match(err.message, /Timeout waiting for microservice to complete: 'context deadline exceeded'/);
      const t = emu.getImageTemplate(a.subscriptionId, a.resourceGroup, name) as any;
      assert.equal(t.properties.lastRunStatus.runState, "Failed");
      assert.equal(
        t.properties.lastRunStatus.message,
        "Failed while waiting for packerizer: Timeout waiting for microservice to complete: 'context deadline exceeded'",
      );
    } finally {
      emu.setOptions({ buildTimeoutMsPerMinute: 60_000 });
    }
  });

  test("delete and a second run are refused while a build runs (OperationNotAllowed)", async () => {
    const name = uniqueName("busy");
    await createTemplate(name, { galleryImageId: galleryImageId("1.7.0") });
    emu.nextBuild({ templateName: name, phaseDurationsMs: { Building: 300 } });
    const ib = imageBuilderClient(emu);
    const run = ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll);
    await run.submitted();
    const del = await errorOf(ib.virtualMachineImageTemplates.delete(a.resourceGroup, name, poll));
    assert.equal(del.statusCode, 409);
    assert.equal(del.code, "OperationNotAllowed");
    assert.equal(
      del.message,
      "Operation Microsoft.VirtualMachineImages/imageTemplates/delete is not allowed in provisioning state: provisioned or run state: running.",
    );
    const again = await errorOf(ib.virtualMachineImageTemplates.run(a.resourceGroup, name, poll));
    assert.match(again.message, /imageTemplates\/run\/action is not allowed in provisioning state: provisioned or run state: running\./);
    await run;
    await ib.virtualMachineImageTemplates.delete(a.resourceGroup, name, poll);
    assert.equal(emu.getImageTemplate(a.subscriptionId, a.resourceGroup, name), undefined);
  });
});

describe("Compute Gallery versions", () => {
  test("PATCH excludeFromLatest/endOfLifeDate/tags is an LRO and changes the version", async () => {
    emu.seedImageVersion({ resourceGroup: a.resourceGroup, gallery: a.gallery, image: a.imageDefinition, version: "0.1.0" });
    const cc = computeClient(emu);
    const publishingProfile = { excludeFromLatest: true, endOfLifeDate: new Date("2030-01-01T00:00:00Z") };
    // GalleryImageVersionUpdate requires properties.storageProfile (GalleryRP 2025-12-03): without it Azure answers 400.
    const refused = await errorOf(
      cc.galleryImageVersions.update(a.resourceGroup, a.gallery, a.imageDefinition, "0.1.0", { tags: { retained: "true" }, publishingProfile } as any, poll),
    );
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.code, "InvalidParameter");
    assert.equal(refused.message, "Required parameter 'galleryImageVersion.properties.storageProfile' is missing (null).");
    const { storageProfile } = await cc.galleryImageVersions.get(a.resourceGroup, a.gallery, a.imageDefinition, "0.1.0");
    const v = await cc.galleryImageVersions.update(
      a.resourceGroup,
      a.gallery,
      a.imageDefinition,
      "0.1.0",
      { tags: { retained: "true" }, publishingProfile, storageProfile } as any,
      poll,
    );
    assert.equal(v.provisioningState, "Succeeded");
    assert.equal(v.publishingProfile?.excludeFromLatest, true);
    assert.deepEqual(v.tags, { retained: "true" });
    assert.equal(v.publishingProfile?.endOfLifeDate?.toISOString(), "2030-01-01T00:00:00.000Z");
  });

  test("DELETE is an LRO; the version disappears when it ends; blockDeletionBeforeEndOfLife refuses it", async () => {
    emu.setOptions({ versionDeleteMs: 60 });
    try {
      emu.seedImageVersion({ resourceGroup: a.resourceGroup, gallery: a.gallery, image: a.imageDefinition, version: "0.2.0" });
      const cc = computeClient(emu);
      const poller = cc.galleryImageVersions.delete(a.resourceGroup, a.gallery, a.imageDefinition, "0.2.0", poll);
      await poller.submitted();
      assert.equal((await cc.galleryImageVersions.get(a.resourceGroup, a.gallery, a.imageDefinition, "0.2.0")).provisioningState, "Deleting");
      await poller;
      await assert.rejects(cc.galleryImageVersions.get(a.resourceGroup, a.gallery, a.imageDefinition, "0.2.0"), (e: any) => e.statusCode === 404);
      emu.seedImageVersion({
        resourceGroup: a.resourceGroup,
        gallery: a.gallery,
        image: a.imageDefinition,
        version: "0.3.0",
        endOfLifeDate: "2099-01-01T00:00:00Z",
        blockDeletionBeforeEndOfLife: true,
      });
      const err = await errorOf(cc.galleryImageVersions.delete(a.resourceGroup, a.gallery, a.imageDefinition, "0.3.0", poll));
      assert.equal(err.statusCode, 409);
      assert.ok(emu.listImageVersions(a.subscriptionId, a.resourceGroup, a.gallery, a.imageDefinition).some((v) => v.name === "0.3.0"));
    } finally {
      emu.setOptions({ versionDeleteMs: 20 });
    }
  });
});

describe("marketplace images", () => {
  test("$orderby=name sorts as text (Azure), so text order and numeric order disagree", async () => {
    const cc = computeClient(emu);
    const m = a.marketplace;
    const top = await cc.virtualMachineImages.list("westeurope", m.publisher, m.offer, m.sku, { orderby: "name desc", top: 1 });
    assert.deepEqual(
      top.map((v) => v.name),
      ["26100.4349.250607"],
    );
    assert.equal(m.latest, "26100.10000.250610");
    const all = await cc.virtualMachineImages.list("westeurope", m.publisher, m.offer, m.sku);
    assert.deepEqual(
      all.map((v) => v.name),
      ["26100.10000.250610", "26100.2894.250113", "26100.4349.250607"],
    );
    assert.match(
      all[0]!.id!,
      /^\/Subscriptions\/.*\/Providers\/Microsoft\.Compute\/Locations\/westeurope\/Publishers\/MicrosoftWindowsDesktop\/ArtifactTypes\/VMImage\/Offers\/office-365\/Skus\/win11-24h2-avd-m365\/Versions\/26100\.10000\.250610$/,
    );
    const one = await cc.virtualMachineImages.get("westeurope", m.publisher, m.offer, m.sku, m.latest);
    assert.equal(one.hyperVGeneration, "V2");
    assert.equal(one.osDiskImage?.operatingSystem, "Windows");
    assert.deepEqual(
      one.features?.find((f) => f.name === "SecurityType"),
      { name: "SecurityType", value: "TrustedLaunchSupported" },
    );
  });

  test('an unknown image is 404 NotFound "Artifact: VMImage was not found."', async () => {
    const cc = computeClient(emu);
    const err = await errorOf(cc.virtualMachineImages.list("westeurope", "MicrosoftWindowsDesktop", "office-365", "no-such-sku"));
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "NotFound");
    assert.equal(err.message, "Artifact: VMImage was not found.");
  });

  test("a plan is returned when seeded", async () => {
    emu.seedMarketplaceImage({
      location: "westeurope",
      publisher: "vendor",
      offer: "app",
      sku: "gen2",
      versions: ["1.0.0"],
      plan: { name: "gen2", product: "app", publisher: "vendor" },
    });
    const img = await computeClient(emu).virtualMachineImages.get("westeurope", "vendor", "app", "gen2", "1.0.0");
    assert.deepEqual(img.plan, { name: "gen2", product: "app", publisher: "vendor" });
  });
});

describe("lifecycle", () => {
  test("close() releases the port and its timers (a pending build does not keep the process alive)", async () => {
    const e2 = await startEmulator({ phaseDurationsMs: { Queued: 60_000 }, templateCreateMs: 1 });
    const d = e2.seedAvdDefaults();
    const restore = trustEmulator(e2);
    const url = e2.url;
    try {
      const ib = imageBuilderClient(e2);
      await ib.virtualMachineImageTemplates.createOrUpdate(
        d.resourceGroup,
        "x",
        avdTemplate({ identityId: d.identityId, galleryImageId: `${d.imageDefinitionId}/versions/1.0.0` }),
        poll,
      );
      const run = ib.virtualMachineImageTemplates.run(d.resourceGroup, "x", poll);
      await run.submitted();
      run.catch(() => undefined);
    } finally {
      await e2.close();
      restore();
    }
    await assert.rejects(fetch(`${url}/github/.well-known/jwks`));
    assert.equal(existsSync(e2.caFile), false, "the CA bundle file is removed");
  });
});
