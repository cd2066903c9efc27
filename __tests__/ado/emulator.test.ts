/**
 * The emulator's Azure DevOps OIDC endpoint and Instance Metadata Service, as @azure/identity uses them,
 * and their refusals: a missing access token, an unknown service connection, a federated credential
 * for another subject, a missing Metadata header, an unknown managed identity.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AzurePipelinesCredential } from "@azure/identity";
import { type Emulator, startEmulator } from "../../emulator/index.ts";
import { decodeJwt } from "../../emulator/jwt.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const ARM = "https://management.azure.com/.default";
const CONNECTION = { id: "7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", name: "sc-avd-images" };

describe("emulator: Azure DevOps OIDC and managed identity endpoints", () => {
  let emu: Emulator;
  let untrust: () => void;
  const saved = process.env.SYSTEM_OIDCREQUESTURI;
  before(async () => {
    emu = await startEmulator();
    untrust = trustEmulator(emu);
    process.env.SYSTEM_OIDCREQUESTURI = emu.azureDevOps.oidcRequestUri; // AzurePipelinesCredential reads it
  });
  after(async () => {
    if (saved === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
    else process.env.SYSTEM_OIDCREQUESTURI = saved;
    untrust();
    await emu.close();
  });

  const oidc = (serviceConnectionId: string, token = emu.azureDevOps.accessToken) =>
    fetch(`${emu.azureDevOps.oidcRequestUri}?api-version=7.1&serviceConnectionId=${serviceConnectionId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-tfs-fedauthredirect": "Suppress" },
    });

  it("mints an OIDC token for a registered connection: issuer, subject sc://org/project/name, audience api://AzureADTokenExchange", async () => {
    const subject = emu.registerAdoServiceConnection(CONNECTION);
    assert.equal(subject, `sc://contoso/avd-images/${CONNECTION.name}`);
    const response = await oidc(CONNECTION.id);
    assert.equal(response.status, 200);
    const { oidcToken } = (await response.json()) as { oidcToken: string };
    const claims = decodeJwt(oidcToken)!.payload;
    assert.equal(claims.iss, emu.azureDevOps.issuer);
    assert.equal(claims.sub, subject);
    assert.equal(claims.aud, "api://AzureADTokenExchange");
    assert.ok(Number(claims.exp) > Date.now() / 1000);
  });

  it("refuses a request without the job's access token, and a connection it does not know", async () => {
    assert.equal((await oidc(CONNECTION.id, "wrong")).status, 401);
    const unknown = await oidc("00000000-1111-4222-8333-444444444444");
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { message: string }).message, /Service connection '00000000-1111-4222-8333-444444444444' was not found/);
  });

  it("Entra ID exchanges it (AzurePipelinesCredential) for an app whose federated credential names that subject, and only then", async () => {
    const subject = emu.registerAdoServiceConnection(CONNECTION);
    const good = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    const other = "e1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    emu.registerApp({ clientId: good, federated: [{ issuer: emu.azureDevOps.issuer, subject }] });
    emu.registerApp({ clientId: other, federated: [{ issuer: emu.azureDevOps.issuer, subject: "sc://contoso/avd-images/another-connection" }] });
    const options = { authorityHost: emu.url, disableInstanceDiscovery: true };
    const token = await new AzurePipelinesCredential(emu.defaults.tenantId, good, CONNECTION.id, emu.azureDevOps.accessToken, options).getToken(ARM);
    assert.equal(decodeJwt(token.token)!.payload.appid, good);
    await assert.rejects(
      new AzurePipelinesCredential(emu.defaults.tenantId, other, CONNECTION.id, emu.azureDevOps.accessToken, options).getToken(ARM),
      /AADSTS700213: No matching federated identity record found for presented assertion subject 'sc:\/\/contoso\/avd-images\/sc-avd-images'/,
    );
    // A GitHub-issued token is not an Azure DevOps one: the issuer must match too.
    const githubOnly = "f1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    emu.registerApp({ clientId: githubOnly, federated: [{ issuer: emu.defaults.githubIssuer, subject }] });
    await assert.rejects(
      new AzurePipelinesCredential(emu.defaults.tenantId, githubOnly, CONNECTION.id, emu.azureDevOps.accessToken, options).getToken(ARM),
      /AADSTS700211/,
    );
  });

  it("the IMDS token endpoint serves the system-assigned and seeded user-assigned identities, and refuses the rest as IMDS does", async () => {
    const imds = (query: string, headers: Record<string, string> = { metadata: "true" }) =>
      fetch(
        `${emu.imdsEnv().AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com${query}`,
        { headers },
      );
    const system = await imds("");
    assert.equal(system.status, 200);
    const body = (await system.json()) as { access_token: string; expires_on: string; client_id: string; token_type: string };
    assert.equal(body.client_id, emu.systemAssignedIdentity.clientId);
    assert.equal(body.token_type, "Bearer");
    assert.ok(Number(body.expires_on) > Date.now() / 1000);
    const claims = decodeJwt(body.access_token)!.payload;
    assert.equal(claims.oid, emu.systemAssignedIdentity.principalId);
    assert.equal(claims.aud, "https://management.azure.com");
    assert.equal(claims.tid, emu.defaults.tenantId);

    const identity = emu.seedUserAssignedIdentity({ resourceGroup: "rg-agents", name: "id-agent" });
    const user = (await (await imds(`&client_id=${identity.clientId}`)).json()) as { access_token: string };
    assert.equal(decodeJwt(user.access_token)!.payload.oid, identity.principalId);

    const noHeader = await imds("", {});
    assert.equal(noHeader.status, 400);
    assert.deepEqual(await noHeader.json(), { error: "invalid_request", error_description: "Required metadata header not specified" });
    const unknown = await imds("&client_id=99999999-0000-4000-8000-000000000000");
    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { error_description: string }).error_description, "Identity not found");
  });
});
