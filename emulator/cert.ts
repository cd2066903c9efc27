/**
 * TLS material for the emulator: a self-signed certificate made at start, and a CA bundle file a
 * child process can trust through NODE_EXTRA_CA_CERTS (Node reads exactly one file there, so the
 * bundle is the existing NODE_EXTRA_CA_CERTS file's contents followed by the emulator's PEM).
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import selfsigned from "selfsigned";

/** PEM strings of the emulator's server certificate and its private key. */
export interface TlsMaterial {
  /** `-----BEGIN CERTIFICATE-----` PEM; also the only CA a client needs to trust. */
  certPem: string;
  /** PKCS#8 private key PEM. */
  keyPem: string;
}

/**
 * Makes a self-signed certificate for `127.0.0.1` / `localhost` (SAN IP 127.0.0.1, DNS localhost),
 * EC P-256, valid from one hour ago for 30 days, with a unique subject CN. Async because selfsigned 5.x is.
 */
export async function createServerCertificate(): Promise<TlsMaterial> {
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + 30 * 24 * 3_600_000);
  // A unique subject per certificate: OpenSSL looks trust anchors up by subject name, so two emulators
  // trusted in one process must not share a subject.
  const cn = `avd-image-action ARM emulator ${randomBytes(6).toString("hex")}`;
  const pems = await selfsigned.generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/** A CA bundle written to a private temp directory; `dispose()` removes the directory. */
export interface CaBundleFile {
  /** Absolute path of the PEM bundle (pass as NODE_EXTRA_CA_CERTS). */
  path: string;
  dispose(): void;
}

/**
 * Writes `<contents of process.env.NODE_EXTRA_CA_CERTS, if set and readable>` + `certPem` to a new
 * temp file. Reading the existing bundle keeps the child's trust in the system CAs this machine adds.
 */
export function writeCaBundle(certPem: string, extraCaFile = process.env.NODE_EXTRA_CA_CERTS): CaBundleFile {
  let existing = "";
  if (extraCaFile) {
    try {
      existing = readFileSync(extraCaFile, "utf8");
    } catch {
      existing = "";
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "avd-arm-emulator-"));
  const path = join(dir, "ca-bundle.pem");
  const sep = existing && !existing.endsWith("\n") ? "\n" : "";
  writeFileSync(path, existing + sep + certPem, "utf8");
  return {
    path,
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
