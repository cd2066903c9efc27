/**
 * The rest of a run's services in memory, and one call that wires a whole fake world for `main()`:
 * - the live build log (`BuildLogOpener`, src/azure/log-blob.ts) reading the customization.log lines a
 *   scripted build of {@link FakeAzure} writes, and the earlier-build log reader (src/azure/previous-log.ts);
 * - the script content reader (`ScriptContentReader`) and script store (`ScriptStore`) over maps;
 * - a GitHub release store (`ReleaseStore`) over a map;
 * - {@link fakeWorld}: a FakeAzure and FakeLookups seeded with what the inputs of `validInputs()` name
 *   (resource group, definition, identity, regions, the default marketplace source), and {@link runMain}.
 */
import { readFileSync } from "node:fs";
import type { BuildLogOpener } from "../../src/azure/log-blob.ts";
import type { EarlierLogReader } from "../../src/azure/previous-log.ts";
import { type ScriptContentReader, ScriptReadError } from "../../src/azure/script-content.ts";
import type { ScriptStore } from "../../src/azure/scripts-upload.ts";
import type { Manifest } from "../../src/changelog/manifest.ts";
import type { ReleaseStore } from "../../src/github/releases.ts";
import type { Host } from "../../src/hosts/host.ts";
import { type MainOptions, main } from "../../src/main.ts";
import type { Services } from "../../src/services.ts";
import { parseSettings } from "../../src/settings/index.ts";
import type { Settings } from "../../src/settings/types.ts";
import type { StepContext } from "../../src/steps/context.ts";
import { EXAMPLE_TARGET, validInputs } from "../helpers/inputs.ts";
import { FakeAzure } from "./fake-azure.ts";
import { FakeLookups } from "./fake-lookups.ts";
import { type RecordingHost, type RecordingHostOptions, createRecordingHost } from "./recording-host.ts";

/** The live build log over `azure`'s scripted logs: each poll returns the lines written since the last one. */
export function fakeLogOpener(azure: FakeAzure, rg: string): BuildLogOpener {
  return (target) => {
    let sent = 0;
    return {
      async poll() {
        const template = azure.templatesIn(rg).find((t) => t.exactStagingResourceGroup === target.stagingResourceGroupId);
        const lines = template ? azure.logOf(rg, template.name!) : [];
        if (!template || lines.length === 0) return { kind: "waiting", reason: "no customization.log yet" };
        const fresh = lines.slice(sent);
        sent = lines.length;
        const account = "stagingaccount";
        const blobName = "00000000-0000-0000-0000-000000000000/customization.log";
        return {
          kind: "data",
          bytes: new TextEncoder().encode(fresh.map((l) => `${l}\n`).join("")),
          location: { account, blobName, url: `https://${account}.blob.core.windows.net/packerlogs/${blobName}` },
        };
      },
    };
  };
}

/** Earlier builds' logs by staging resource group ID; a missing one answers `{ missing }` as the real reader does. */
export function fakeEarlierLog(logs: Record<string, string> = {}): EarlierLogReader & { reads: string[] } {
  const reads: string[] = [];
  const reader = async ({ stagingResourceGroupId }: { stagingResourceGroupId: string }) => {
    reads.push(stagingResourceGroupId);
    return (
      logs[stagingResourceGroupId] ?? { missing: `no customization.log of that build in the staging resource group ${stagingResourceGroupId.split("/").pop()}` }
    );
  };
  return Object.assign(reader, { reads });
}

/** What URIs serve (`script-uris`, template file scripts); an unknown URI fails with HTTP 404, as the real reader words it. */
export function fakeScriptContent(content: Record<string, string | Uint8Array> = {}): ScriptContentReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(uri) {
      reads.push(uri);
      const found = content[uri];
      if (found === undefined) throw new ScriptReadError("HTTP 404 Not Found");
      return typeof found === "string" ? new TextEncoder().encode(found) : found;
    },
  };
}

/** A blob container in memory: `blobs` by `<container>/<blob name>`, with their `sha256` metadata. */
export function fakeScriptStore(): ScriptStore & { blobs: Map<string, { sha256: string; bytes: number }>; puts: string[] } {
  const blobs = new Map<string, { sha256: string; bytes: number }>();
  const puts: string[] = [];
  return {
    blobs,
    puts,
    async storedSha256(upload) {
      return blobs.get(`${upload.container}/${upload.blobName}`)?.sha256;
    },
    async put(upload) {
      puts.push(upload.path);
      blobs.set(`${upload.container}/${upload.blobName}`, { sha256: upload.sha256, bytes: upload.content.byteLength });
    },
  };
}

/** GitHub releases in memory, by tag: the manifest attached, the body, and how often each was published. */
export function fakeReleases(): ReleaseStore & {
  releases: Map<string, { name: string; body: string; manifest: Manifest; commit?: string; publishes: number }>;
} {
  const releases = new Map<string, { name: string; body: string; manifest: Manifest; commit?: string; publishes: number }>();
  return {
    releases,
    async readManifest(tag) {
      const release = releases.get(tag);
      return release ? structuredClone(release.manifest) : { missing: `no release ${tag}` };
    },
    async publish({ tag, name, body, commit, manifestPath }) {
      const before = releases.get(tag);
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
      releases.set(tag, { name, body, manifest, commit, publishes: (before?.publishes ?? 0) + 1 });
      return { url: `https://github.com/contoso/avd-images/releases/tag/${encodeURIComponent(tag)}`, tag, updated: !!before };
    },
  };
}

/** The resource group, gallery and definition of `validInputs()`. */
export const WORLD = {
  subscriptionId: EXAMPLE_TARGET.subscriptionId,
  resourceGroup: EXAMPLE_TARGET.resourceGroup,
  gallery: EXAMPLE_TARGET.gallery,
  image: EXAMPLE_TARGET.imageDefinition,
  location: EXAMPLE_TARGET.location,
} as const;

/** The default `source` input's marketplace image, and the versions the fake marketplace lists. */
export const DEFAULT_SOURCE = {
  publisher: "MicrosoftWindowsDesktop",
  offer: "office-365",
  sku: "win11-24h2-avd-m365",
  versions: ["26100.4349.250607", "26100.4652.250708"],
} as const;

/** A fake world: the gateway and lookups seeded for `validInputs()`, and the other services. */
export interface FakeWorld {
  azure: FakeAzure;
  lookups: FakeLookups;
  earlierLog: ReturnType<typeof fakeEarlierLog>;
  scriptContent: ReturnType<typeof fakeScriptContent>;
  scriptStore: ReturnType<typeof fakeScriptStore>;
  releases: ReturnType<typeof fakeReleases>;
  /**
   * The services for `main()` (or a step's context): everything above and the live log over `azure`; as
   * the bundle's, the script store only with `scripts-storage-account`, the release store only with
   * `github-release: true` on GitHub.
   */
  services(settings?: Settings, host?: Pick<Host, "kind">): Services;
  /** `rg-avd-images/galAvd/win11-avd-m365` (for the version calls). */
  gallery: [resourceGroup: string, gallery: string, image: string];
}

/** Makes a fake world seeded for `validInputs()` (westeurope and northeurope, zones in westeurope). */
export function fakeWorld(): FakeWorld {
  const { subscriptionId: sub, resourceGroup: rg, gallery, image, location } = WORLD;
  const azure = new FakeAzure({ subscriptionId: sub }).seedMarketplace(location, DEFAULT_SOURCE.publisher, DEFAULT_SOURCE.offer, DEFAULT_SOURCE.sku, [
    ...DEFAULT_SOURCE.versions,
  ]);
  const lookups = new FakeLookups()
    .seedResourceGroup(sub, rg, location)
    .seedRegions([location, "northeurope", "eastus"], [location])
    .seedImageDefinition(sub, rg, gallery, image)
    .seedIdentity(sub, rg, "id-aib")
    .seedMarketplaceImage(location, DEFAULT_SOURCE.publisher, DEFAULT_SOURCE.offer, DEFAULT_SOURCE.sku);
  const world: FakeWorld = {
    azure,
    lookups,
    earlierLog: fakeEarlierLog(),
    scriptContent: fakeScriptContent(),
    scriptStore: fakeScriptStore(),
    releases: fakeReleases(),
    gallery: [rg, gallery, image],
    services: (settings, host) => ({
      azure,
      lookups,
      buildLog: fakeLogOpener(azure, rg),
      earlierLog: world.earlierLog,
      scriptContent: world.scriptContent,
      scriptStore: !settings || settings.scriptsStorage ? world.scriptStore : undefined,
      releases: !settings || (settings.githubRelease && host?.kind !== "azure-pipelines") ? world.releases : undefined,
    }),
  };
  return world;
}

/** What {@link runMain} returns: the exit code and the recording host. */
export interface MainRun {
  code: number;
  host: RecordingHost;
}

/**
 * Runs `main()` in-process on `world` with `validInputs(inputs)`: status polled every millisecond, a build-log
 * minute of 10 ms, a cleanup budget of 2 s, unless `options` says otherwise.
 */
export async function runMain(
  world: FakeWorld,
  inputs: Record<string, string> = {},
  options: MainOptions & { host?: RecordingHostOptions; signal?: AbortSignal } = {},
): Promise<MainRun> {
  const host = createRecordingHost({ ...options.host, inputs: validInputs(inputs) });
  const code = await main(host, options.signal ?? new AbortController().signal, {
    services: (settings, h) => world.services(settings, h),
    pollIntervalMs: 1,
    minuteMs: 10,
    cleanupTimeoutMs: 2000,
    ...options,
  });
  return { code, host };
}

/** Packer lines of customization.log as Image Builder writes them (`[<operation id>] PACKER OUT|ERR …`; src/steps/log-lines.ts). */
export const packer = {
  out: (text: string) => `[0f3c2d1e-aaaa-bbbb-cccc-1234567890ab] PACKER OUT     azure-arm: ${text}`,
  err: (text: string) => `[0f3c2d1e-aaaa-bbbb-cccc-1234567890ab] PACKER ERR 2027/03/10 06:00:00 ${text}`,
  /** The lines that open packer's next provisioner (the template's next customizer). */
  provisioner: (kind: "powershell" | "windows-restart" | "windows-update" = "powershell") => [
    `[0f3c2d1e-aaaa-bbbb-cccc-1234567890ab] PACKER ERR 2027/03/10 06:00:00 [INFO] (telemetry) Starting provisioner ${kind}`,
    `[0f3c2d1e-aaaa-bbbb-cccc-1234567890ab] PACKER OUT ==> azure-arm: Provisioning with ${kind === "powershell" ? "Powershell" : kind}...`,
  ],
};

/**
 * A step's context on `world` for `validInputs(inputs)` (parsed as `main()` parses them), with a recording
 * host, status polled every millisecond and a build-log minute of 10 ms; `extra` overrides any part.
 */
export function stepContext(
  world: FakeWorld,
  inputs: Record<string, string> = {},
  extra: Partial<StepContext> & { hostOptions?: RecordingHostOptions } = {},
): StepContext & { host: RecordingHost } {
  const { hostOptions, ...rest } = extra;
  const host = createRecordingHost({ ...hostOptions, inputs: validInputs(inputs) });
  const settings = parseSettings(host.getInput, host.inputLabel);
  return {
    host,
    settings,
    ...world.services(settings, host),
    signal: new AbortController().signal,
    cancelRequested: new Set(),
    pollIntervalMs: 1,
    minuteMs: 10,
    ...rest,
  } as StepContext & { host: RecordingHost };
}
