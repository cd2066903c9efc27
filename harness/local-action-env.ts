/**
 * The `.env` file that @github/local-action reads to run `src/main.ts` against the emulator: the
 * action's inputs as `INPUT_<name>` (local-action's `@actions/core` stub reads `INPUT_` + the input name
 * upper-cased, hyphens kept), and a client secret for `DefaultAzureCredential`'s environment credential.
 *
 * Why a secret and not GitHub OIDC: local-action's stub of `core.getIDToken` throws "Not implemented", so
 * the file leaves `client-id`/`tenant-id` empty and signs in with `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`
 * and `AZURE_CLIENT_SECRET` (the emulator's default app). `arm-endpoint` and `authority-host` point at
 * the emulator, the way a custom cloud is configured.
 *
 * `NODE_EXTRA_CA_CERTS` (the emulator's CA bundle) is in the file for `npm run local-action`, which sets
 * it before it starts Node: Node reads it only at start, and local-action loads the file later.
 *
 * The committed `.env.example` is this file for `npm run emulator -- --avd --port 8443`
 * (__tests__/kit/local-action.test.ts checks it is).
 */
import { AVD_DEFAULTS } from "../emulator/seed.ts";
import { requiredInputs } from "./inputs.ts";

/** Port of the emulator that `.env.example` is written for. */
export const ENV_EXAMPLE_PORT = 8443;
/** `NODE_EXTRA_CA_CERTS` placeholder in `.env.example` (npm run local-action puts the real file there). */
export const ENV_EXAMPLE_CA_FILE = "/path/to/the/caFile/npm-run-emulator/printed/ca-bundle.pem";

/** What the `.env` needs of a running emulator seeded with `--avd`. */
export interface LocalActionTarget {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** The emulator's CA bundle (its `caFile`). */
  caFile: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  /** Resource ID of the seeded user-assigned identity. */
  identityId: string;
}

/** The names `--avd` seeds and the inputs of a first build on them (every value is a plain line). */
export function localActionInputs(t: LocalActionTarget): Record<string, string> {
  const m = AVD_DEFAULTS.marketplace;
  const a = AVD_DEFAULTS;
  const target = {
    subscriptionId: t.subscriptionId,
    resourceGroup: a.resourceGroup,
    location: a.location,
    gallery: a.gallery,
    imageDefinition: a.imageDefinition,
    identityId: t.identityId,
  };
  return requiredInputs(target, {
    source: `${m.publisher}:${m.offer}:${m.sku}:latest`,
    "inline-script": "Write-Host 'Golden image customized'",
    "keep-versions": "3",
    "arm-endpoint": t.url,
    "authority-host": t.url,
    "poll-interval-seconds": "1",
  });
}

/** The `.env` text for `t` (LF line ends, a trailing newline). */
export function localActionEnv(t: LocalActionTarget): string {
  const lines = [
    '# @github/local-action: run src/main.ts against the ARM emulator (see README, "Develop and debug locally").',
    `# For the emulator of \`npm run emulator -- --avd --port ${new URL(t.url).port}\`: npm run local-action -- <this file>.`,
    "# (.env.example is this file for port 8443: `npm run local-action` alone starts its own emulator and points",
    "# the URL and NODE_EXTRA_CA_CERTS at it.)",
    "#",
    "# Node reads NODE_EXTRA_CA_CERTS only when it starts: npm run local-action sets it from this line.",
    `NODE_EXTRA_CA_CERTS=${t.caFile}`,
    "# local-action stubs core.getIDToken (no GitHub OIDC): sign in with the emulator app's client secret",
    "# (DefaultAzureCredential reads these three), so client-id and tenant-id stay empty.",
    `AZURE_TENANT_ID=${t.tenantId}`,
    `AZURE_CLIENT_ID=${t.clientId}`,
    `AZURE_CLIENT_SECRET=${t.clientSecret}`,
    "ACTIONS_STEP_DEBUG=false",
    "# The action's inputs (action.yml names): what the emulator seeded with --avd.",
    ...Object.entries(localActionInputs(t)).map(([name, value]) => `INPUT_${name.toUpperCase()}=${quote(value)}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** A dotenv value: single-quoted when it has a quote, '#' or spaces (dotenv keeps it literally then). */
function quote(value: string): string {
  if (!/[\s#'"]/.test(value)) return value;
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}
