/**
 * Standalone emulator: `node emulator/cli.ts [seed.json] [--port N] [--avd]`.
 * Prints one JSON line `{ url, caFile, tenantId, clientId, clientSecret, subscriptionId, githubOidc, … }`
 * on stdout once listening, then runs until SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { startEmulator } from './index.ts';
import type { SeedFile } from './index.ts';

function parseArgs(argv: string[]): { seedPath?: string; port: number; avd: boolean } {
  let seedPath: string | undefined;
  let port = 0;
  let avd = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--port') port = Number(argv[++i]);
    else if (a.startsWith('--port=')) port = Number(a.slice(7));
    else if (a === '--avd') avd = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node emulator/cli.ts [seed.json] [--port N] [--avd]\n');
      process.exit(0);
    } else seedPath = a;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port`);
  const out: { seedPath?: string; port: number; avd: boolean } = { port, avd };
  if (seedPath !== undefined) out.seedPath = seedPath;
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seed: SeedFile = args.seedPath ? (JSON.parse(readFileSync(args.seedPath, 'utf8')) as SeedFile) : {};
  if (args.avd) seed.avdDefaults = true;
  const { options, ...rest } = seed;
  const emu = await startEmulator({ ...(options ?? {}), port: args.port });
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
    }) + '\n',
  );
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
