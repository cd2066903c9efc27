/**
 * Minimal JWT (RFC 7519) signing and verification for the fake Entra ID and OIDC issuers:
 * RS256 signing; RS256 and PS256 verification (MSAL signs certificate assertions with PS256 when it
 * sends an `x5t#S256` header, RS256 with `x5t`).
 */

import type { KeyObject } from "node:crypto";
import { constants, createHash, sign as cryptoSign, verify as cryptoVerify, generateKeyPairSync } from "node:crypto";

/** An RSA key pair (KeyObjects). */
export interface RsaKeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

const signingKeys = new Map<string, RsaKeyPair>();

/**
 * The RSA-2048 signing key of one issuer role (`entra`, `github`, `azure-devops`), made once per process:
 * each emulator of a test file reuses it (RSA key generation costs tens of milliseconds of CPU, three per
 * emulator start). Roles never share a key, so one issuer's token never verifies as another's; every
 * emulator still has its own key IDs.
 */
export function signingKeyPair(role: string): RsaKeyPair {
  let pair = signingKeys.get(role);
  if (!pair) {
    pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    signingKeys.set(role, pair);
  }
  return pair;
}

/** A decoded (not yet verified) compact JWS. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `base64url(header) + "." + base64url(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** base64url without padding. */
export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

/** Signs `payload` with RS256 and the given RSA private key; `header` gets `alg`/`typ` added. */
export function signJwtRs256(header: Record<string, unknown>, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const h = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", ...header }));
  const p = base64url(JSON.stringify(payload));
  const sig = cryptoSign("sha256", Buffer.from(`${h}.${p}`), privateKey);
  return `${h}.${p}.${base64url(sig)}`;
}

/** Splits and JSON-decodes a compact JWS; `undefined` when it is not three base64url JSON parts. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, "base64url") };
  } catch {
    return undefined;
  }
}

/** Verifies the signature of a decoded JWT for `alg` RS256 or PS256; any other alg fails. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  try {
    if (jwt.header.alg === "RS256") return cryptoVerify("sha256", data, publicKey, jwt.signature);
    if (jwt.header.alg === "PS256") {
      return cryptoVerify(
        "sha256",
        data,
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        jwt.signature,
      );
    }
  } catch {
    return false;
  }
  return false;
}

/** Public JWK (kty, n, e, kid, use, alg) for a JWKS document. */
export function publicJwk(publicKey: KeyObject, kid: string): Record<string, unknown> {
  const jwk = publicKey.export({ format: "jwk" }) as Record<string, unknown>;
  return { kty: jwk.kty, use: "sig", alg: "RS256", kid, n: jwk.n, e: jwk.e };
}

/** Certificate thumbprints as they appear in JWT headers: `x5t` (SHA-1) and `x5t#S256` (SHA-256), base64url of the DER digest. */
export function certificateThumbprints(der: Buffer): { x5t: string; x5tS256: string; sha1Hex: string } {
  const sha1 = createHash("sha1").update(der).digest();
  return {
    x5t: base64url(sha1),
    x5tS256: base64url(createHash("sha256").update(der).digest()),
    sha1Hex: sha1.toString("hex").toUpperCase(),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
