/**
 * Standalone emulator: `node emulator/cli.ts [seed.json] [--port N] [--avd] [--write-env PATH]`.
 * Prints one JSON line `{ url, caFile, tenantId, clientId, clientSecret, subscriptionId, githubOidc, … }`
 * on stdout once listening (with `--avd`, also `avd`: the names it seeded), then runs until SIGINT/SIGTERM.
 * With `--avd` it then prints, for people, the names it seeded (resource group, gallery, image
 * definition, identity ID) and a ready `.env` for @github/local-action (`--write-env PATH` also writes it
 * there): the two-terminal loop of the README's "Develop and debug locally".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { localActionEnv } from "../harness/local-action-env.ts";
import type { AvdDefaults, SeedFile } from "./index.ts";
import { startEmulator } from "./index.ts";

const USAGE = "usage: node emulator/cli.ts [seed.json] [--port N] [--avd] [--write-env PATH]\n";

/** What the command line asks for. */
interface CliArgs {
  /** A seed file (`SeedFile`, seed.ts) to apply after start. */
  seedPath?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Seed the AVD defaults and print them with a local-action `.env`. */
  avd: boolean;
  /** Also write that `.env` to this path (needs `--avd`). */
  envFile?: string;
}

/**
 * Parses the command line with `node:util` `parseArgs` (strict: an unknown option, a missing value or a
 * second seed file is an error). `--help`/`-h` prints the usage and exits 0. Throws an `Error` naming the
 * bad argument, with the usage.
 */
function parseCliArgs(argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length > 1) throw new Error(`one seed file at most, got ${positionals.join(", ")}\n${USAGE}`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (values.port === "" || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid --port ${values.port}: a whole number from 0 to 65535\n${USAGE}`);
  const envFile = values["write-env"];
  const avd = values.avd ?? false;
  if (envFile !== undefined && (!envFile || !avd)) throw new Error(`--write-env needs a path, and --avd (the .env names what --avd seeds)`);
  const out: CliArgs = { port, avd };
  if (positionals[0] !== undefined) out.seedPath = positionals[0];
  if (envFile !== undefined) out.envFile = envFile;
  return out;
}

/** The options `npm run emulator` takes (node:util parseArgs, strict), and at most one positional: the seed file. */
function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      avd: { type: "boolean" },
      "write-env": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** What `--avd` seeded, for people: one name a line. */
function seededText(avd: AvdDefaults): string {
  const m = avd.marketplace;
  return [
    "Seeded (--avd):",
    `  subscription ID    ${avd.subscriptionId}`,
    `  resource group     ${avd.resourceGroup} (${avd.location})`,
    `  gallery            ${avd.gallery}`,
    `  image definition   ${avd.imageDefinition} (Windows, generalized, Hyper-V V2, TrustedLaunchSupported)`,
    `  identity ID        ${avd.identityId}`,
    `  marketplace image  ${m.publisher}:${m.offer}:${m.sku}, versions ${m.versions.join(", ")} (latest: ${m.latest})`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  const seed: SeedFile = args.seedPath ? (JSON.parse(readFileSync(args.seedPath, "utf8")) as SeedFile) : {};
  const { options, avdDefaults, ...rest } = seed;
  const emu = await startEmulator({ ...(options ?? {}), port: args.port });
  const avd = args.avd || avdDefaults ? emu.seedAvdDefaults() : undefined;
  emu.seed(rest);
  const d = emu.defaults;
  process.stdout.write(
    `${JSON.stringify({
      url: emu.url,
      caFile: emu.caFile,
      tenantId: d.tenantId,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      subscriptionId: d.subscriptionId,
      authorityHost: d.authorityHost,
      githubIssuer: d.githubIssuer,
      githubSubject: d.githubSubject,
      githubOidc: emu.githubOidcEnv(),
      ...(avd
        ? {
            avd: {
              subscriptionId: avd.subscriptionId,
              resourceGroup: avd.resourceGroup,
              location: avd.location,
              gallery: avd.gallery,
              imageDefinition: avd.imageDefinition,
              identityId: avd.identityId,
            },
          }
        : {}),
    })}\n`,
  );
  if (avd && args.avd) {
    const env = localActionEnv({
      url: emu.url,
      caFile: emu.caFile,
      tenantId: d.tenantId,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      subscriptionId: d.subscriptionId,
      identityId: avd.identityId,
    });
    if (args.envFile) writeFileSync(args.envFile, env);
    const where = args.envFile ? `Wrote this .env to ${args.envFile}` : "A .env for @github/local-action (save it as .env)";
    process.stdout.write(`\n${seededText(avd)}\n${where}; then, in another terminal: npm run local-action -- ${args.envFile ?? ".env"}\n\n${env}\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    emu.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`close failed after ${signal}: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`ARM emulator failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
