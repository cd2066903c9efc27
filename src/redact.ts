/**
 * Secrets out of debug lines: what the action logs at debug level (the parsed settings, each Azure call)
 * goes through here first. Pure: no I/O.
 *
 * Redacted:
 * - the value of every field whose name says it holds a secret (`token`, `clientSecret`, `password`,
 *   `sig`, `sasToken`, `accountKey`, `connectionString`, ...), however deep;
 * - the query values of every URL (a Shared Access Signature is a query string: `sv`, `se`, `sp`, `sig`,
 *   Microsoft Learn "Grant limited access to Azure Storage resources using shared access signatures"),
 *   except the few ARM and Blob Storage parameters that are never secret (`api-version`, `$filter`, ...);
 *   and the user name and password of a URL;
 * - every value given as a known secret (what the run passed to `Host.setSecret`), wherever it appears;
 * - bytes (a repository script's content) are shown by their length only.
 */

/** What a redacted value is replaced by. */
export const REDACTED = "***";

/** Field names that hold secrets (case-insensitive, any prefix: `githubToken`, `clientSecret`, `storageAccountKey`). */
const SECRET_FIELD = /(secret|token|password|passwd|pwd|sig|signature|sas|key|credential|assertion|connectionstring)$/i;

/** Query parameters whose values are never secret, kept in logs (ARM's and Blob Storage's). */
const PUBLIC_QUERY = new Set(["api-version", "$filter", "$expand", "$top", "$select", "$orderby", "restype", "comp", "prefix", "timeout"]);

/** A URL in free text: up to whitespace or a quote. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/gi;

/**
 * `url` with the value of every query parameter but {@link PUBLIC_QUERY} replaced by {@link REDACTED}
 * (names kept: `?sv=***&sig=***` still says it was a SAS), and user info removed; text that is no URL is
 * returned as it is. Keeps the path and the fragment.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = "";
  }
  if (parsed.search.length > 1) {
    // On the raw query, so what is kept stays exactly as sent.
    const parts = parsed.search
      .slice(1)
      .split("&")
      .map((part) => {
        const equals = part.indexOf("=");
        const name = equals < 0 ? part : part.slice(0, equals);
        let decoded = name;
        try {
          decoded = decodeURIComponent(name.replace(/\+/g, " "));
        } catch {
          // keep the raw name
        }
        if (PUBLIC_QUERY.has(decoded.toLowerCase())) return part;
        return equals < 0 ? REDACTED : `${name}=${REDACTED}`;
      });
    parsed.search = `?${parts.join("&")}`;
  }
  return parsed.href;
}

/** `text` with every URL in it redacted ({@link redactUrl}) and every one of `secrets` (non-empty) replaced by {@link REDACTED}. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * A copy of `value` fit for a debug line: secret fields replaced by {@link REDACTED}, URLs in strings
 * redacted, `secrets` replaced wherever they occur, bytes as `<N bytes>`, Dates as ISO 8601 strings.
 */
export function redactValue(value: unknown, secrets: readonly string[] = []): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([name, field]) => [
        name,
        SECRET_FIELD.test(name) && field !== undefined && field !== "" ? REDACTED : redactValue(field, secrets),
      ]),
    );
  }
  return value;
}

/** One debug line for `value` (JSON, on one line): {@link redactValue} first. */
export function redactedJson(value: unknown, secrets: readonly string[] = []): string {
  return JSON.stringify(redactValue(value, secrets));
}
