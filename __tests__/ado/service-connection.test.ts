/**
 * Azure Resource Manager service connections as the agent passes them: each kind read into its
 * credential, each incomplete one refused with a message naming the connection and the missing field,
 * the subscription and cloud taken from the connection, and access tokens shared between clients.
 * (Reads go through an EndpointReader over agent-style ENDPOINT_* variables; the bundle itself is
 * exercised end to end in e2e.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccessToken } from "@azure/core-auth";
import { AzurePipelinesCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import { type ServiceEndpoint, agentEnv, envName } from "../../harness/ado-agent.ts";
import {
  type EndpointReader,
  ServiceConnectionError,
  connectionArmEndpoint,
  connectionAuthorityHost,
  connectionSubscription,
  createConnectionCredential,
  effectiveEnvironment,
  environmentProblem,
  readConnectionAuth,
  readConnectionTarget,
  shareTokens,
} from "../../src/azure/service-connection.ts";
import { resolveCloud } from "../../src/cloud.ts";

const ID = "3b9c1d2e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const TENANT = "8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d";
const CLIENT = "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

/** Reads ENDPOINT_* variables exactly as azure-pipelines-task-lib does (keys upper-cased after the id). */
function readerOf(env: Record<string, string>): EndpointReader {
  return {
    scheme: (id) => env[`ENDPOINT_AUTH_SCHEME_${id}`],
    authParameter: (id, key) => env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`],
    data: (id, key) => env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`],
    url: (id) => env[`ENDPOINT_URL_${id}`],
  };
}

/** A connection as the agent stand-in passes it. */
function reader(endpoint: Omit<ServiceEndpoint, "id">): EndpointReader {
  return readerOf(agentEnv({}, [{ id: ID, ...endpoint }], {}, "/tmp"));
}

const data = { subscriptionId: "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", environment: "AzureCloud", scopeLevel: "Subscription" };
const wif = { serviceprincipalid: CLIENT, tenantid: TENANT };
const secret = { serviceprincipalid: CLIENT, serviceprincipalkey: "s3cret", tenantid: TENANT, authenticationType: "spnKey" };
const cert = { serviceprincipalid: CLIENT, tenantid: TENANT, authenticationType: "spnCertificate", servicePrincipalCertificate: PEM };
const without = (o: Record<string, string>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const cloud = resolveCloud("AzureCloud");
const job = { oidcRequestUri: "https://dev.azure.com/contoso/p/_apis/distributedtask/hubs/build/plans/x/jobs/y/oidctoken", accessToken: "job-token" };

function refused(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ServiceConnectionError, String(error));
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

describe("Azure Resource Manager service connections", () => {
  it("agent-style variable names: the id as given, keys upper-cased", () => {
    const env = agentEnv(
      { azureSubscription: ID },
      [{ id: ID, url: "https://management.azure.com/", scheme: "WorkloadIdentityFederation", parameters: wif, data }],
      {},
      "/tmp",
    );
    assert.equal(env[`ENDPOINT_AUTH_PARAMETER_${ID}_SERVICEPRINCIPALID`], CLIENT);
    assert.equal(env[`ENDPOINT_DATA_${ID}_SUBSCRIPTIONID`], data.subscriptionId);
    assert.equal(env[`ENDPOINT_AUTH_SCHEME_${ID}`], "WorkloadIdentityFederation");
    assert.deepEqual(JSON.parse(env[`ENDPOINT_AUTH_${ID}`]!), { parameters: wif, scheme: "WorkloadIdentityFederation" });
    assert.equal(env.INPUT_AZURESUBSCRIPTION, ID);
    assert.equal(env.INPUT_SUBSCRIPTIONID, "", "inputs the step does not set come with task.json's default");
    assert.equal(env.INPUT_KEEPVERSIONS, "5");
    assert.equal(envName("System.AccessToken"), "SYSTEM_ACCESSTOKEN");
  });

  it("workload identity federation → AzurePipelinesCredential with the connection id and the job's token", () => {
    const auth = readConnectionAuth(ID, reader({ scheme: "WorkloadIdentityFederation", parameters: wif, data }));
    assert.deepEqual(auth, { kind: "workloadIdentity", clientId: CLIENT, tenantId: TENANT });
    const previous = process.env.SYSTEM_OIDCREQUESTURI;
    process.env.SYSTEM_OIDCREQUESTURI = job.oidcRequestUri; // AzurePipelinesCredential reads it itself
    try {
      const credential = createConnectionCredential(ID, auth, cloud, job);
      assert.equal(typeof credential.getToken, "function");
      assert.ok(!(credential instanceof ClientSecretCredential));
    } finally {
      if (previous === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
      else process.env.SYSTEM_OIDCREQUESTURI = previous;
    }
    assert.ok(AzurePipelinesCredential, "the credential class exists in this @azure/identity");
  });

  it("service principal with a secret → ClientSecretCredential; no scheme means service principal", () => {
    const auth = readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: secret, data }));
    assert.deepEqual(auth, { kind: "secret", clientId: CLIENT, tenantId: TENANT, clientSecret: "s3cret" });
    assert.ok(createConnectionCredential(ID, auth, cloud, {}) instanceof ClientSecretCredential);
    const noType = readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: without(secret, "authenticationType"), data }));
    assert.equal(noType.kind, "secret", "authenticationType defaults to spnKey");
  });

  it("service principal with a certificate → ClientCertificateCredential with the PEM", () => {
    const auth = readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: cert, data }));
    assert.deepEqual(auth, { kind: "certificate", clientId: CLIENT, tenantId: TENANT, certificatePem: PEM.trim() });
    assert.ok(createConnectionCredential(ID, auth, cloud, {}) instanceof ClientCertificateCredential);
  });

  it("managed identity → ManagedIdentityCredential, user-assigned by the connection's msiclientId or system-assigned", () => {
    const user = readConnectionAuth(ID, reader({ scheme: "ManagedServiceIdentity", parameters: { tenantid: TENANT }, data: { ...data, msiclientId: CLIENT } }));
    assert.deepEqual(user, { kind: "managedIdentity", clientId: CLIENT, tenantId: TENANT });
    assert.ok(createConnectionCredential(ID, user, cloud, {}) instanceof ManagedIdentityCredential);
    const system = readConnectionAuth(ID, reader({ scheme: "ManagedServiceIdentity", parameters: { tenantid: TENANT }, data }));
    assert.deepEqual(system, { kind: "managedIdentity", tenantId: TENANT });
    assert.ok(createConnectionCredential(ID, system, cloud, {}) instanceof ManagedIdentityCredential);
  });

  it("an incomplete connection is refused naming the connection and each missing field", () => {
    const cases: [string, Record<string, string>, string, RegExp][] = [
      ["WorkloadIdentityFederation", without(wif, "serviceprincipalid"), "serviceprincipalid", /workload identity federation needs the client ID/],
      ["WorkloadIdentityFederation", without(wif, "tenantid"), "tenantid", /workload identity federation needs the Entra ID tenant ID/],
      ["ServicePrincipal", without(secret, "serviceprincipalid"), "serviceprincipalid", /secret needs the service principal's client ID/],
      ["ServicePrincipal", without(secret, "serviceprincipalkey"), "serviceprincipalkey", /secret needs the service principal's secret/],
      ["ServicePrincipal", without(secret, "tenantid"), "tenantid", /secret needs the Entra ID tenant ID/],
      ["ServicePrincipal", without(cert, "serviceprincipalid"), "serviceprincipalid", /certificate needs the service principal's client ID/],
      ["ServicePrincipal", without(cert, "tenantid"), "tenantid", /certificate needs the Entra ID tenant ID/],
      [
        "ServicePrincipal",
        without(cert, "servicePrincipalCertificate"),
        "servicePrincipalCertificate",
        /certificate needs the PEM certificate with its private key/,
      ],
      ["ServicePrincipal", { ...secret, serviceprincipalkey: "  " }, "serviceprincipalkey", /secret needs the service principal's secret/],
    ];
    for (const [scheme, parameters, field, what] of cases) {
      refused(
        () => readConnectionAuth(ID, reader({ scheme, parameters, data })),
        new RegExp(`^Service connection '${ID}' \\(input 'azureSubscription'\\) is incomplete`),
        what,
        new RegExp(`authorization parameter '${field}'`),
      );
    }
  });

  it("a certificate PEM without its private key (or without the certificate) is refused", () => {
    const certOnly = PEM.slice(0, PEM.indexOf("-----BEGIN PRIVATE KEY"));
    refused(
      () => readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: { ...cert, servicePrincipalCertificate: certOnly }, data })),
      new RegExp(ID),
      /no private key/,
    );
    const keyOnly = PEM.slice(PEM.indexOf("-----BEGIN PRIVATE KEY"));
    refused(
      () => readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: { ...cert, servicePrincipalCertificate: keyOnly }, data })),
      new RegExp(ID),
      /no certificate/,
    );
  });

  it("no connection input, a connection the job did not get, and unsupported schemes are refused clearly", () => {
    refused(() => readConnectionAuth("", reader({})), /Input 'azureSubscription' is required/);
    refused(() => readConnectionAuth(ID, readerOf({})), new RegExp(`Service connection '${ID}'.*was not passed to this job.*authorized`));
    refused(
      () => readConnectionAuth(ID, reader({ scheme: "PublishProfile", parameters: { tenantid: TENANT }, data })),
      /authentication scheme 'PublishProfile'.*does not support/,
    );
    refused(
      () => readConnectionAuth(ID, reader({ scheme: "ServicePrincipal", parameters: { ...secret, authenticationType: "spnPassword" }, data })),
      /authenticationType 'spnPassword'/,
    );
  });

  it("workload identity federation without the job's OIDC request URI or access token is refused", () => {
    const auth = readConnectionAuth(ID, reader({ scheme: "WorkloadIdentityFederation", parameters: wif, data }));
    refused(() => createConnectionCredential(ID, auth, cloud, { accessToken: "t" }), new RegExp(ID), /System\.OidcRequestUri/);
    refused(() => createConnectionCredential(ID, auth, cloud, { oidcRequestUri: job.oidcRequestUri }), new RegExp(ID), /System\.AccessToken/);
  });

  it("subscription, environment, Resource Manager URL and authority come from the connection's data", () => {
    const target = readConnectionTarget(
      ID,
      reader({
        url: "https://management.usgovcloudapi.net/",
        scheme: "ServicePrincipal",
        parameters: secret,
        data: { ...data, environment: "AzureUSGovernment", activeDirectoryAuthority: "https://login.microsoftonline.us/" },
      }),
    );
    assert.deepEqual(target, {
      subscriptionId: data.subscriptionId,
      environment: "AzureUSGovernment",
      armUrl: "https://management.usgovcloudapi.net/",
      authorityUrl: "https://login.microsoftonline.us/",
    });
    assert.deepEqual(readConnectionTarget(ID, readerOf({})), { subscriptionId: undefined, environment: undefined, armUrl: undefined, authorityUrl: undefined });
    const older = readConnectionTarget(
      ID,
      reader({ scheme: "ServicePrincipal", parameters: secret, data: { environmentAuthorityUrl: "https://login.windows.net/" } }),
    );
    assert.equal(older.authorityUrl, "https://login.windows.net/", "older connections carry environmentAuthorityUrl");
  });

  it("an empty subscriptionId input takes the connection's subscription; without one (or without a connection) the error says which", () => {
    const read = reader({ scheme: "ServicePrincipal", parameters: secret, data });
    assert.equal(connectionSubscription(ID, read, readConnectionTarget(ID, read)), data.subscriptionId);
    const mg = reader({ scheme: "ServicePrincipal", parameters: secret, data: { scopeLevel: "ManagementGroup", managementGroupId: "mg-avd" } });
    refused(
      () => connectionSubscription(ID, mg, readConnectionTarget(ID, mg)),
      new RegExp(`Service connection '${ID}'.*has no subscription ID \\(endpoint data 'subscriptionId'`),
      /set the task input 'subscriptionId'/,
    );
    refused(() => connectionSubscription(ID, readerOf({}), {}), /was not passed to this job/);
    refused(() => connectionSubscription("", readerOf({}), {}), /Input 'azureSubscription' is required/);
  });

  it("the connection's cloud is used while the environment input is left at its default; a different choice is a conflict", () => {
    const gov = { environment: "AzureUSGovernment" };
    assert.equal(effectiveEnvironment("AzureCloud", "AzureCloud", gov), "AzureUSGovernment");
    assert.equal(effectiveEnvironment("", "AzureCloud", gov), "AzureUSGovernment");
    assert.equal(effectiveEnvironment("AzureChinaCloud", "AzureCloud", gov), "AzureChinaCloud");
    assert.equal(effectiveEnvironment("AzureCloud", "AzureCloud", {}), "AzureCloud");
    assert.equal(effectiveEnvironment("AzureCloud", "AzureCloud", { environment: "AzureStack" }), "AzureCloud");
    assert.equal(environmentProblem(ID, "AzureUSGovernment", gov), undefined);
    assert.match(
      environmentProblem(ID, "AzureChinaCloud", gov)!,
      /Input 'environment' is 'AzureChinaCloud', but Service connection .* is for 'AzureUSGovernment'/,
    );
    assert.match(
      environmentProblem(ID, "AzureCloud", { environment: "AzureStack" })!,
      new RegExp(`Service connection '${ID}'.*'AzureStack', which this task does not support`),
    );
    assert.equal(environmentProblem(ID, "AzureCloud", {}), undefined);
  });

  it("a connection's own Resource Manager URL or authority overrides the cloud's, its cloud's usual hosts do not", () => {
    assert.equal(connectionArmEndpoint("AzureCloud", { armUrl: "https://management.azure.com/" }), "");
    assert.equal(connectionArmEndpoint("AzureUSGovernment", { armUrl: "https://management.usgovcloudapi.net/" }), "");
    assert.equal(connectionArmEndpoint("AzureCloud", { armUrl: "https://arm.contoso.internal/" }), "https://arm.contoso.internal");
    assert.equal(connectionArmEndpoint("AzureCloud", {}), "");
    for (const host of ["login.microsoftonline.com", "login.windows.net"])
      assert.equal(connectionAuthorityHost("AzureCloud", { authorityUrl: `https://${host}/` }), "");
    assert.equal(connectionAuthorityHost("AzureChinaCloud", { authorityUrl: "https://login.chinacloudapi.cn/" }), "");
    assert.equal(connectionAuthorityHost("AzureCloud", { authorityUrl: "https://login.contoso.internal/" }), "https://login.contoso.internal");
  });

  it("clients share an access token until 5 minutes before it expires; concurrent requests share one fetch; failures are not kept", async () => {
    let clock = 1_000_000_000_000;
    let calls = 0;
    let fail = false;
    const inner = {
      async getToken(): Promise<AccessToken> {
        calls += 1;
        if (fail) throw new Error("AADSTS700024");
        return { token: `t${calls}`, expiresOnTimestamp: clock + 3_600_000 };
      },
    };
    const shared = shareTokens(inner, () => clock);
    const scope = "https://management.azure.com/.default";
    const [a, b] = await Promise.all([shared.getToken(scope), shared.getToken([scope])]);
    assert.equal(calls, 1);
    assert.equal(a?.token, b?.token);
    clock += 54 * 60_000; // 6 minutes left
    assert.equal((await shared.getToken(scope))?.token, "t1");
    clock += 2 * 60_000; // 4 minutes left
    assert.equal((await shared.getToken(scope))?.token, "t2");
    assert.equal(calls, 2);
    await shared.getToken("https://storage.azure.com/.default");
    assert.equal(calls, 3, "another scope, another token");
    clock += 3_600_000;
    fail = true;
    await assert.rejects(shared.getToken(scope), /AADSTS700024/);
    fail = false;
    assert.equal((await shared.getToken(scope))?.token, "t5", "a failed fetch is retried, not cached");
  });
});
