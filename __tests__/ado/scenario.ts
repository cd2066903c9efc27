/**
 * The Azure DevOps side of the end-to-end tests: the emulator seeded like the GitHub scenario
 * (`startScenario`), Azure Resource Manager service connections of each kind registered with its fake
 * Entra ID, and the bundle spawned by the agent stand-in (harness/ado-agent.ts).
 *
 * The service connections point at the emulator the way a custom-cloud connection points at its cloud:
 * `ENDPOINT_URL_<id>` is the emulator's Resource Manager URL and the endpoint data
 * `activeDirectoryAuthority` its Entra authority. No input names the emulator.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import selfsigned from "selfsigned";
import type { StartEmulatorOptions } from "../../emulator/index.ts";
import { type AgentJob, type ServiceEndpoint, type TaskRun, runTask } from "../../harness/ado-agent.ts";
import { requiredTaskInputs } from "../../harness/inputs.ts";
import { type Scenario, startScenario } from "../helpers/scenario.ts";

export type ConnectionKind = "workloadIdentity" | "secret" | "certificate" | "managedIdentity";

export interface AdoScenario extends Scenario {
  job: AgentJob;
  /** Task inputs (camelCase) of a full run with `connection`, plus `overrides`. */
  taskInputs(connection: ServiceEndpoint, overrides?: Record<string, string>): Record<string, string>;
  /** Registers an identity of `kind` in the fake Entra ID and returns its service connection. */
  connection(kind: ConnectionKind, name?: string): Promise<ServiceEndpoint>;
  /** Spawns the bundle as the agent does, with `connection` (and the emulator's IMDS for managed identity). */
  runTask(connection: ServiceEndpoint, overrides?: Record<string, string>, options?: Parameters<typeof runTask>[3]): Promise<TaskRun>;
}

let counter = 0;
const guid = (n: number) => `0f1e2d3c-4b5a-4968-8776-${String(n).padStart(12, "0")}`;

export async function startAdoScenario(options: StartEmulatorOptions = {}): Promise<AdoScenario> {
  const s = await startScenario(options);
  const ado = s.emu.azureDevOps;
  const job: AgentJob = {
    collectionUri: `https://dev.azure.com/${ado.organization}/`,
    project: ado.project,
    projectId: ado.projectId,
    oidcRequestUri: ado.oidcRequestUri,
    accessToken: ado.accessToken,
    buildId: "4711",
    repositoryName: "avd-images",
    sourceVersion: "9c1e5f0a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e",
  };
  const common = (id: string): Pick<ServiceEndpoint, "id" | "url" | "data"> => ({
    id,
    url: `${s.emu.url}/`,
    data: {
      subscriptionId: s.avd.subscriptionId,
      subscriptionName: "AVD images",
      environment: "AzureCloud",
      scopeLevel: "Subscription",
      activeDirectoryAuthority: `${s.emu.url}/`,
    },
  });
  const tenantId = s.emu.defaults.tenantId;
  const scenario: AdoScenario = {
    ...s,
    job,
    taskInputs: (connection, overrides = {}) =>
      requiredTaskInputs(s.avd, connection.id, { pollIntervalSeconds: "1", inlineScript: "Write-Host 'AVD image'", ...overrides }),
    async connection(kind, name = `avd-${kind}-${++counter}`): Promise<ServiceEndpoint> {
      const n = ++counter;
      const id = guid(n);
      const clientId = `c0ffee00-0000-4000-8000-${String(n).padStart(12, "0")}`;
      switch (kind) {
        case "workloadIdentity": {
          const subject = s.emu.registerAdoServiceConnection({ id, name });
          s.emu.registerApp({ tenantId, clientId, federated: [{ issuer: ado.issuer, subject }] });
          return {
            ...common(id),
            scheme: "WorkloadIdentityFederation",
            parameters: {
              serviceprincipalid: clientId,
              tenantid: tenantId,
              workloadIdentityFederationIssuer: ado.issuer,
              workloadIdentityFederationSubject: subject,
            },
          };
        }
        case "secret": {
          const secret = `ado-secret-${n}-${Math.random().toString(36).slice(2)}`;
          s.emu.registerApp({ tenantId, clientId, secret });
          return {
            ...common(id),
            scheme: "ServicePrincipal",
            parameters: { serviceprincipalid: clientId, serviceprincipalkey: secret, tenantid: tenantId, authenticationType: "spnKey" },
          };
        }
        case "certificate": {
          const pems = await selfsigned.generate([{ name: "commonName", value: name }], { keySize: 2048, algorithm: "sha256" });
          s.emu.registerApp({ tenantId, clientId, certificatePem: pems.cert });
          return {
            ...common(id),
            scheme: "ServicePrincipal",
            parameters: {
              serviceprincipalid: clientId,
              tenantid: tenantId,
              authenticationType: "spnCertificate",
              servicePrincipalCertificate: `${pems.cert}\n${pems.private}`,
            },
          };
        }
        case "managedIdentity": {
          const identity = s.emu.seedUserAssignedIdentity({ resourceGroup: "rg-ado-agents", name: `id-ado-agent-${n}`, location: s.avd.location });
          const endpoint = common(id);
          return {
            ...endpoint,
            scheme: "ManagedServiceIdentity",
            parameters: { tenantid: tenantId },
            data: { ...endpoint.data, msiclientId: identity.clientId },
          };
        }
      }
    },
    runTask: (connection, overrides = {}, options = {}) =>
      runTask(scenario.taskInputs(connection, overrides), [connection], job, {
        ...options,
        env: { NODE_EXTRA_CA_CERTS: s.emu.caFile, ...(connection.scheme === "ManagedServiceIdentity" ? s.emu.imdsEnv() : {}), ...(options.env ?? {}) },
      }),
  };
  return scenario;
}

/** A `node` binary of major version `major` on the PATH (the Node20_1 handler's runtime), if there is one. */
export function findNode(major: number): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, process.platform === "win32" ? "node.exe" : "node");
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ["--version"], { encoding: "utf8" }).stdout?.trim();
    if (version?.startsWith(`v${major}.`)) return candidate;
  }
  return undefined;
}
