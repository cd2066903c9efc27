/**
 * Sign-in and endpoint failures name the input to fix, on both hosts: the bundle is
 * spawned against the emulator with one input wrong, and must exit non-zero with a message that names
 * that input (kebab-case on GitHub, camelCase on Azure DevOps) instead of the SDK's raw text.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ActionRun } from "../../harness/github-runner.ts";
import { type AdoScenario, startAdoScenario } from "../ado/scenario.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

/** The `::error::` message of a GitHub run, decoded (`%0A` → newline). */
function failure(run: ActionRun): string {
  const line = run.stdout.split("\n").find((l) => l.startsWith("::error::"));
  assert.ok(line, `an ::error:: line in\n${run.stdout}\n${run.stderr}`);
  return line.slice("::error::".length).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/** The SDK's raw wordings a person cannot act on. */
const RAW = /endpoints_resolution_error|ChainedTokenCredential|CredentialUnavailableError|^connect ECONNREFUSED/m;

describe("sign-in and endpoint errors name the input (GitHub)", () => {
  let s: Scenario;
  before(async () => (s = await startScenario()));
  after(() => s.emu.close());

  const fails = (run: ActionRun, ...patterns: RegExp[]) => {
    assert.equal(run.exitCode, 1, run.stdout);
    const message = failure(run);
    for (const p of patterns) assert.match(message, p);
    assert.doesNotMatch(message, RAW);
    assert.deepEqual(s.emu.writeRequests(), [], "nothing written in Azure");
    assert.match(run.summary, /failed/, "the job summary says the run failed");
    return message;
  };

  it("a tenant that does not resolve names tenant-id, environment and authority-host", async () => {
    const run = await s.run({ "tenant-id": "11111111-2222-4333-8444-555555555555" });
    fails(run, /input 'tenant-id' \(.*now 11111111-2222-4333-8444-555555555555\)/, /input 'environment'/, /input 'authority-host'/);
  });

  it("an authority host that does not resolve names authority-host (and tenant-id, environment)", async () => {
    const run = await s.run({ "authority-host": "https://login.avd-image-action.invalid" });
    fails(run, /input 'authority-host'.*https:\/\/login\.avd-image-action\.invalid/s, /input 'tenant-id'/i, /input 'environment'/);
  });

  it("a refused connection to Resource Manager names arm-endpoint", async () => {
    const run = await s.run({ "arm-endpoint": "https://127.0.0.1:1" });
    fails(run, /Cannot connect to Azure Resource Manager at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/, /input 'arm-endpoint'/);
  });

  it("a subscription that does not exist names subscription-id, not source", async () => {
    const run = await s.run({ "subscription-id": "99999999-2222-4333-8444-555555555555" });
    const message = fails(run, /^Input 'subscription-id': .*'99999999-2222-4333-8444-555555555555' \(SubscriptionNotFound\)/);
    assert.doesNotMatch(message, /'source'/);
  });

  it("no credential at all names client-id and tenant-id, or DefaultAzureCredential's sources, one line each", async () => {
    const run = await s.spawn(
      { "client-id": "", "tenant-id": "" },
      { ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "", AZURE_CLIENT_ID: "", AZURE_TENANT_ID: "" },
    );
    const message = fails(run, /inputs 'client-id' and 'tenant-id'/, /DefaultAzureCredential/, /azure\/login/);
    assert.equal(message.split("\n").length, 3, message);
  });

  it("AADSTS700213 (a job without the credential's environment:) names the federated credential's subject and environment:", async () => {
    const clientId = "aaaaaaaa-1111-4222-8333-444444444444";
    s.emu.registerApp({ clientId, federated: [{ issuer: s.emu.defaults.githubIssuer, subject: "repo:contoso/avd-images:environment:avd-images" }] });
    const run = await s.run({ "client-id": clientId });
    fails(
      run,
      /AADSTS700213/,
      /subject 'repo:contoso\/avd-images:ref:refs\/heads\/main'/,
      /'environment: <name>' on the job/,
      new RegExp(`input 'client-id' \\(${clientId}\\)`),
    );
  });

  it("AADSTS7002138 (the subject differs only in case) says the match is case-sensitive", async () => {
    const clientId = "aaaaaaaa-1111-4222-8333-555555555555";
    s.emu.registerApp({ clientId, federated: [{ issuer: s.emu.defaults.githubIssuer, subject: s.emu.defaults.githubSubject.toUpperCase() }] });
    const run = await s.run({ "client-id": clientId });
    fails(run, /AADSTS7002138/, /case-sensitive/, /federated credential/);
  });
});

describe("sign-in and endpoint errors name the camelCase input (Azure DevOps)", () => {
  let s: AdoScenario;
  before(async () => (s = await startAdoScenario()));
  after(() => s.emu.close());

  it("a subscription that does not exist names subscriptionId", async () => {
    const connection = await s.connection("secret");
    const run = await s.runTask(connection, { subscriptionId: "99999999-2222-4333-8444-555555555555" });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.equal(run.result?.result, "Failed");
    assert.match(run.result!.message, /^Input 'subscriptionId': .*\(SubscriptionNotFound\)/);
    assert.match(run.result!.message, /service connection \(input 'azureSubscription'\)/);
  });

  it("a refused connection to Resource Manager names armEndpoint", async () => {
    const connection = await s.connection("secret");
    const run = await s.runTask(connection, { armEndpoint: "https://127.0.0.1:1" });
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.result!.message, /Cannot connect to Azure Resource Manager at https:\/\/127\.0\.0\.1:1 .*input 'armEndpoint'/);
  });

  it("AADSTS700213 names the service connection (azureSubscription) and the subject", async () => {
    const connection = await s.connection("workloadIdentity");
    // The app trusts another connection's subject only.
    const clientId = "c0ffee00-1111-4222-8333-444444444444";
    s.emu.registerApp({
      tenantId: s.emu.defaults.tenantId,
      clientId,
      federated: [{ issuer: s.emu.azureDevOps.issuer, subject: "sc://contoso/avd-images/another-connection" }],
    });
    connection.parameters!.serviceprincipalid = clientId;
    const run = await s.runTask(connection);
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.result!.message, /AADSTS700213.*input 'azureSubscription'.*subject 'sc:\/\/[^']+'/);
  });
});
