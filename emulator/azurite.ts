/**
 * Azurite, the real Azure Storage emulator (npm `azurite`), as the emulator's blob storage: the staging
 * storage accounts whose `packerlogs` container holds `customization.log` (see storage.ts and customization-log.ts).
 *
 * Started as a child process (`azurite-blob`) on 127.0.0.1, on a free port, HTTPS with a certificate made
 * now, data in memory only (`--inMemoryPersistence`), telemetry off, and — unless `oauth: false` — Azurite's
 * `--oauth basic` bearer-token check. That check (BlobTokenAuthenticator, Azurite 3.35) verifies no
 * signature; it wants a JWT with `iat`, `nbf` and `exp` (now within them), an `iss` starting with
 * `https://sts.windows.net/` (or the other Entra STS prefixes) and an `aud` of `https://storage.azure.com`
 * (or `https://<account>.blob.core.windows.net`). The emulator's Entra ID issues exactly such tokens for
 * the scope `https://storage.azure.com/.default`. Bearer tokens are refused over HTTP, hence HTTPS.
 * Without `--oauth`, Azurite refuses every bearer-token request with 403 AuthorizationFailure — what Azure
 * Storage answers when its firewall keeps a caller out.
 *
 * The accounts are a pool of AIB-like names (24 lower-case alphanumerics) given to Azurite through
 * AZURITE_ACCOUNTS; each staging resource group of the emulator gets one, in turn.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import tls from "node:tls";
import { createServerCertificate } from "./cert.ts";

/** A storage account Azurite serves: its name and shared key (base64). */
export interface AzuriteAccount {
  name: string;
  key: string;
}

/** Options of {@link startAzurite}. */
export interface AzuriteOptions {
  /** Run Azurite's `--oauth basic` bearer-token check (default true). False: every bearer request gets 403 AuthorizationFailure. */
  oauth?: boolean;
  /** How many storage accounts to create (default 4). */
  accounts?: number;
  /** Trust Azurite's certificate in this process (tls.setDefaultCACertificates) until stop (default true): the emulator writes logs in-process. */
  trustInProcess?: boolean;
  /** Copy Azurite's output to this process's stderr. */
  echo?: boolean;
}

/** A running Azurite blob service. */
export interface Azurite {
  /** `https://127.0.0.1:PORT` (no trailing slash); account endpoints are `${url}/${account}`. */
  readonly url: string;
  readonly port: number;
  /** Azurite's self-signed certificate (PEM): a client must trust it as a CA. */
  readonly certPem: string;
  readonly accounts: readonly AzuriteAccount[];
  /** Whether bearer tokens are accepted (`--oauth basic`). */
  readonly oauth: boolean;
  /** Blob endpoint of an account, with the trailing slash ARM reports (`primaryEndpoints.blob`). */
  blobEndpoint(account: string): string;
  /** Stops Azurite (its data is gone) and restores the process's CA list. */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** Azurite's blob-only entry point (the `azurite-blob` bin). */
const AZURITE_BLOB_MAIN = join(dirname(require.resolve("azurite/package.json")), "dist", "src", "blob", "main.js");

/** Starts Azurite's blob service; resolves once it listens. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const oauth = options.oauth ?? true;
  const material = await createServerCertificate();
  const dir = mkdtempSync(join(tmpdir(), "avd-azurite-"));
  writeFileSync(join(dir, "cert.pem"), material.certPem);
  writeFileSync(join(dir, "key.pem"), material.keyPem, { mode: 0o600 });
  const accounts: AzuriteAccount[] = Array.from({ length: options.accounts ?? 4 }, () => ({
    name: accountName(),
    key: randomBytes(64).toString("base64"),
  }));
  const args = [
    AZURITE_BLOB_MAIN,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    "0",
    "--inMemoryPersistence",
    "--extentMemoryLimit",
    "256",
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--disableProductStyleUrl",
    "--silent",
    "--cert",
    join(dir, "cert.pem"),
    "--key",
    join(dir, "key.pem"),
    ...(oauth ? ["--oauth", "basic"] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(";") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
      const m = /successfully listens on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => fail(new Error(`Azurite exited (${code}) before listening:\n${output}`)));
    child.once("error", fail);
  });
  child.removeAllListeners("exit");

  let restoreCa: (() => void) | undefined;
  if (options.trustInProcess ?? true) {
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), material.certPem]);
    // On stop, take out this certificate only: restoring the list as it was at start would also drop a
    // certificate trusted since (the emulator's, by an in-process run), and the next TLS handshake with it fails.
    const same = (pem: string) => pem.replace(/\s+/g, "") === material.certPem.replace(/\s+/g, "");
    restoreCa = () => {
      const current = tls.getCACertificates("default");
      const at = current.findIndex(same);
      if (at >= 0) tls.setDefaultCACertificates(current.filter((_, i) => i !== at));
    };
  }
  const url = `https://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    certPem: material.certPem,
    accounts,
    oauth,
    blobEndpoint: (account) => `${url}/${account}/`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        restoreCa?.();
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(kill);
          done();
        });
        child.kill("SIGTERM");
      });
      return stopped;
    },
  };
}

/** An AIB-like staging storage account name: 24 lower-case letters and digits, starting with a letter. */
function accountName(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(23);
  return String.fromCharCode(97 + (randomBytes(1)[0]! % 26)) + [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}
