/**
 * Validation of the bearer tokens ARM receives (the front door of every ARM request, `server.ts`
 * `checkArm`): tokens the fake Entra ID signed, for an ARM audience, unexpired, from the subscription's
 * tenant.
 *
 * ARM 401 bodies/headers: AuthenticationFailed "Authentication failed. The 'Authorization' header is
 * missing." with `WWW-Authenticate: Bearer authorization_uri="…", error="invalid_token",
 * error_description="The authentication failed because of missing 'Authorization' header."` (as the Azure
 * SDK challenge-parsing tests quote it); ExpiredAuthenticationToken "The access token expiry UTC time
 * '8/17/2017 10:54:41 PM' is earlier than current UTC time '8/17/2017 10:55:43 PM'."; InvalidAuthenticationToken.
 */
import type { KeyObject } from "node:crypto";
import { ArmError } from "./arm.ts";
import { decodeJwt, verifyJwtSignature } from "./jwt.ts";

const ARM_AUDIENCES = [
  "https://management.azure.com",
  "https://management.azure.com/",
  "https://management.core.windows.net",
  "https://management.core.windows.net/",
];

/** What a token is checked against: the emulator's URL and default tenant, the Entra signing key. */
export interface ArmTokenIssuer {
  baseUrl: string;
  defaultTenantId: string;
  kid: string;
  publicKey: KeyObject;
}

/**
 * Checks an ARM `Authorization` header; returns the token claims or throws the 401 ArmError ARM
 * sends (with its WWW-Authenticate challenge). `subscriptionTenantId` enables the wrong-tenant check.
 */
export function validateArmToken(issuer: ArmTokenIssuer, authorization: string | undefined, subscriptionTenantId: string | undefined): Record<string, unknown> {
  const base = issuer.baseUrl;
  const challenge = (desc: string, tenant?: string) => ({
    "www-authenticate": `Bearer authorization_uri="${base}/${tenant ?? subscriptionTenantId ?? issuer.defaultTenantId}", error="invalid_token", error_description="${desc}"`,
  });
  if (!authorization) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", {
      headers: challenge("The authentication failed because of missing 'Authorization' header."),
    });
  }
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.", {
      headers: challenge("The authentication failed because of invalid 'Authorization' header."),
    });
  }
  const jwt = decodeJwt(m[1]!);
  if (!jwt || jwt.header.kid !== issuer.kid || !verifyJwtSignature(jwt, issuer.publicKey)) {
    throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", { headers: challenge("The access token is invalid.") });
  }
  const c = jwt.payload;
  const now = Math.floor(Date.now() / 1000);
  if (typeof c.exp !== "number" || c.exp <= now) {
    throw new ArmError(
      401,
      "ExpiredAuthenticationToken",
      `The access token expiry UTC time '${dotnetTime(Number(c.exp))}' is earlier than current UTC time '${dotnetTime(now)}'.`,
      { headers: challenge("The access token has expired.") },
    );
  }
  if (!ARM_AUDIENCES.includes(String(c.aud))) {
    throw new ArmError(
      401,
      "InvalidAuthenticationToken",
      `The access token has been obtained for wrong audience or resource '${String(c.aud)}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
      { headers: challenge("The access token has been obtained for wrong audience or resource.") },
    );
  }
  if (subscriptionTenantId && String(c.tid).toLowerCase() !== subscriptionTenantId.toLowerCase()) {
    throw new ArmError(
      401,
      "InvalidAuthenticationTokenTenant",
      `The access token is from the wrong issuer '${String(c.iss)}'. It must match the tenant 'https://sts.windows.net/${subscriptionTenantId}/' associated with this subscription. Please use the authority (URL) '${base}/${subscriptionTenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
      { headers: challenge("The access token is from the wrong issuer.", subscriptionTenantId) },
    );
  }
  return c;
}

/** .NET-style UTC time ARM prints in ExpiredAuthenticationToken: `8/17/2017 10:54:41 PM`. */
function dotnetTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}
