/**
 * Standalone emulator: `node emulator/cli.ts [seed.json] [--port N] [--avd] [--write-env PATH]`.
 * Prints one JSON line `{ url, caFile, tenantId, clientId, clientSecret, subscriptionId, githubOidc, … }`
 * on stdout once listening (with `--avd`, also `avd`: the names it seeded), then runs until SIGINT/SIGTERM.
 * With `--avd` it then prints, for people, the names it seeded (resource group, gallery, image
 * definition, identity ID) and a ready `.env` for @github/local-action (`--write-env PATH` also writes it
 * there): the two-terminal loop of the README's "Develop and debug locally".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { startEmulator } from './index.ts';
import type { AvdDefaults, SeedFile } from './index.ts';
import { localActionEnv } from '../harness/local-action-env.ts';

const USAGE = 'usage: node emulator/cli.ts [seed.json] [--port N] [--avd] [--write-env PATH]\n';

function parseArgs(argv: string[]): { seedPath?: string; port: number; avd: boolean; envFile?: string } {
  let seedPath: string | undefined;
  let envFile: string | undefined;
  let port = 0;
  let avd = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--port') port = Number(argv[++i]);
    else if (a.startsWith('--port=')) port = Number(a.slice(7));
    else if (a === '--avd') avd = true;
    else if (a === '--write-env') envFile = argv[++i];
    else if (a.startsWith('--write-env=')) envFile = a.slice(12);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else seedPath = a;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port`);
  if (envFile !== undefined && (!envFile || !avd)) throw new Error(`--write-env needs a path, and --avd (the .env names what --avd seeds)`);
  const out: { seedPath?: string; port: number; avd: boolean; envFile?: string } = { port, avd };
  if (seedPath !== undefined) out.seedPath = seedPath;
  if (envFile !== undefined) out.envFile = envFile;
  return out;
}

/** What `--avd` seeded, for people: one name a line. */
function seededText(avd: AvdDefaults): string {
  const m = avd.marketplace;
  return [
    'Seeded (--avd):',
    `  subscription ID    ${avd.subscriptionId}`,
    `  resource group     ${avd.resourceGroup} (${avd.location})`,
    `  gallery            ${avd.gallery}`,
    `  image definition   ${avd.imageDefinition} (Windows, generalized, Hyper-V V2, TrustedLaunchSupported)`,
    `  identity ID        ${avd.identityId}`,
    `  marketplace image  ${m.publisher}:${m.offer}:${m.sku}, versions ${m.versions.join(', ')} (latest: ${m.latest})`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seed: SeedFile = args.seedPath ? (JSON.parse(readFileSync(args.seedPath, 'utf8')) as SeedFile) : {};
  const { options, avdDefaults, ...rest } = seed;
  const emu = await startEmulator({ ...(options ?? {}), port: args.port });
  const avd = args.avd || avdDefaults ? emu.seedAvdDefaults() : undefined;
  emu.seed(rest);
  const d = emu.defaults;
  process.stdout.write(
    JSON.stringify({
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
      ...(avd ? { avd: { subscriptionId: avd.subscriptionId, resourceGroup: avd.resourceGroup, location: avd.location, gallery: avd.gallery, imageDefinition: avd.imageDefinition, identityId: avd.identityId } } : {}),
    }) + '\n',
  );
  if (avd && args.avd) {
    const env = localActionEnv({ url: emu.url, caFile: emu.caFile, tenantId: d.tenantId, clientId: d.clientId, clientSecret: d.clientSecret, subscriptionId: d.subscriptionId, identityId: avd.identityId });
    if (args.envFile) writeFileSync(args.envFile, env);
    const where = args.envFile ? `Wrote this .env to ${args.envFile}` : 'A .env for @github/local-action (save it as .env)';
    process.stdout.write(`\n${seededText(avd)}\n${where}; then, in another terminal: npm run local-action -- ${args.envFile ?? '.env'}\n\n${env}\n`);
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
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`ARM emulator failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
