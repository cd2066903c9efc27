/**
 * Azure Resource Manager conventions shared by the resource providers of the emulator: the
 * `{ error: { code, message, details } }` error body, response headers, long-running operations
 * (Azure-AsyncOperation / Location polling per ARM RPC v1.0 async-api-reference.md), paging with
 * `nextLink` and resource ids. Region names are regions.ts.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { regionName } from "./regions.ts";
import type { RequestKind } from "./state.ts";

/** ARM error detail (`ErrorDetail` in common-types v5). */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

/** Thrown by handlers; the server turns it into `{ error: { code, message, ... } }` with `status`. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: ArmErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = extra.target;
    this.details = extra.details;
    this.headers = extra.headers ?? {};
  }
  /** The JSON body ARM sends for this error. */
  body(): { error: ArmErrorDetail } {
    return { error: errorDetail(this.code, this.message, { target: this.target, details: this.details }) };
  }
}

/** Builds an {@link ArmErrorDetail}, leaving out empty optional fields. */
export function errorDetail(
  code: string,
  message: string,
  extra: { target?: string | undefined; details?: ArmErrorDetail[] | undefined } = {},
): ArmErrorDetail {
  const d: ArmErrorDetail = { code, message };
  if (extra.target) d.target = extra.target;
  if (extra.details?.length) d.details = extra.details;
  return d;
}

/** 404 ResourceGroupNotFound, ARM's wording ("Resource group 'x' could not be found."). */
export function resourceGroupNotFound(rg: string): ArmError {
  return new ArmError(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`);
}

/**
 * 404 ResourceNotFound with ARM's wording, e.g. "The Resource 'Microsoft.Compute/galleries/g/images/i'
 * under resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix".
 * (Wording as in the AIB troubleshooting doc, MicrosoftDocs/azure-docs
 * articles/virtual-machines/linux/image-builder-troubleshoot.md, plus ARM's aka.ms suffix.)
 */
export function resourceNotFound(typeAndName: string, rg: string): ArmError {
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** What a route handler returns. `body` is sent as JSON unless undefined. */
export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bytes sent as they are (instead of `body` as JSON), e.g. a file of the file host. */
  raw?: Buffer;
}

/** Per-request data handed to route handlers. */
export interface RequestContext {
  method: string;
  url: URL;
  /** Path as sent. */
  path: string;
  /** Path parameters, URL-decoded, keyed by the `{name}` in the route pattern. */
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined for empty bodies); form bodies are parsed into a record. */
  body: unknown;
  rawBody: string;
  /** `api-version` query value. */
  apiVersion: string | undefined;
  requestId: string;
  correlationId: string;
  /** Claims of the validated ARM bearer token (ARM routes only). */
  token: Record<string, unknown> | undefined;
}

/** A route; `pattern` uses `{param}` segments and matches case-insensitively like ARM. */
export interface Route {
  method: string;
  pattern: string;
  kind: RequestKind;
  /** Accepted api-versions for ARM routes; 'any' skips the check (operation polls). */
  apiVersions?: readonly string[] | "any";
  /** Resource type named in NoRegisteredProviderFound errors (e.g. 'imageTemplates'). */
  resourceType?: string;
  /** Check that `{rg}` exists before calling the handler (ResourceGroupNotFound). */
  resourceGroupScoped?: boolean;
  handler(ctx: RequestContext): HandlerResult | Promise<HandlerResult>;
}

/** Current time as ARM writes it (ISO-8601 with 7 fractional digits, like `2022-06-06T07:31:28.8633339Z`). */
export function armTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** New lower-case GUID. */
export function newGuid(): string {
  return randomUUID();
}

/** Standard ARM response headers for one request. */
export function armHeaders(requestId: string, correlationId: string): Record<string, string> {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return {
    "cache-control": "no-cache",
    pragma: "no-cache",
    expires: "-1",
    "x-content-type-options": "nosniff",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": correlationId,
    "x-ms-routing-request-id": `LOCAL:${stamp}:${correlationId}`,
  };
}

/**
 * Per-subscription `x-ms-ratelimit-remaining-subscription-reads|writes` counters: start at 11999 /
 * 1199 (the recorded values are just below those), count down per request, refill every hour.
 */
export class RateLimitCounters {
  private readonly counters = new Map<string, { reads: number; writes: number; since: number }>();
  /** Header name and value for this request. */
  next(subscriptionId: string, method: string): [string, string] {
    const key = subscriptionId.toLowerCase();
    let c = this.counters.get(key);
    const now = Date.now();
    if (!c || now - c.since > 3_600_000) {
      c = { reads: 12000, writes: 1200, since: now };
      this.counters.set(key, c);
    }
    if (method === "GET" || method === "HEAD") {
      c.reads = Math.max(0, c.reads - 1);
      return ["x-ms-ratelimit-remaining-subscription-reads", String(c.reads)];
    }
    c.writes = Math.max(0, c.writes - 1);
    return ["x-ms-ratelimit-remaining-subscription-writes", String(c.writes)];
  }
}

/** LRO status values (ARM RPC async-api-reference). */
export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

/** One long-running operation. */
export interface Operation {
  id: string;
  subscriptionId: string;
  namespace: string;
  /** Path segment of the status URL: 'operations' (Image Builder) or 'capsOperations' (Compute galleries). */
  segment: string;
  location: string;
  apiVersion: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: ArmErrorDetail;
  /** HTTP status a Location poll returns when the operation failed (default 400). */
  errorHttpStatus: number;
  /** Response of a Location poll once Succeeded: PUT/PATCH return the resource (200), DELETE/POST 204. */
  final: () => HandlerResult;
  /** The status body's `name` is upper case (Image Builder, as recorded) or as is (Compute). */
  upperCaseName: boolean;
}

/** Options of {@link Operations.create}. */
export interface CreateOperationOptions {
  subscriptionId: string;
  namespace: string;
  segment?: string;
  location: string;
  apiVersion: string;
  final?: () => HandlerResult;
  upperCaseName?: boolean;
}

/**
 * Store of long-running operations and the two polling URLs of each:
 * `Azure-AsyncOperation` → `{base}/subscriptions/{sub}/providers/{ns}/locations/{loc}/{segment}/{id}?api-version=V`
 * answering 200 `{ id, name, status, startTime, endTime?, error? }`, and
 * `Location` → the same URL plus `monitor=true`, answering 202 while InProgress and the final
 * result (200 resource / 204) at the end, or the error with `errorHttpStatus` when Failed.
 */
export class Operations {
  private readonly ops = new Map<string, Operation>();
  private readonly baseUrl: () => string;
  constructor(baseUrl: () => string) {
    this.baseUrl = baseUrl;
  }

  /** Starts an InProgress operation. */
  create(o: CreateOperationOptions): Operation {
    const op: Operation = {
      id: newGuid(),
      subscriptionId: o.subscriptionId,
      namespace: o.namespace,
      segment: o.segment ?? "operations",
      location: regionName(o.location),
      apiVersion: o.apiVersion,
      status: "InProgress",
      startTime: armTime(),
      errorHttpStatus: 400,
      final: o.final ?? (() => ({ status: 204 })),
      upperCaseName: o.upperCaseName ?? false,
    };
    this.ops.set(op.id.toLowerCase(), op);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id.toLowerCase());
  }

  /** Resource-id style path of the operation status resource. */
  operationPath(op: Operation): string {
    return `/subscriptions/${op.subscriptionId}/providers/${op.namespace}/locations/${op.location}/${op.segment}/${op.id}`;
  }

  /** Absolute `Azure-AsyncOperation` URL. */
  asyncUrl(op: Operation): string {
    return `${this.baseUrl()}${this.operationPath(op)}?api-version=${op.apiVersion}`;
  }

  /** Absolute `Location` (monitor) URL. */
  locationUrl(op: Operation): string {
    return `${this.baseUrl()}${this.operationPath(op)}?monitor=true&api-version=${op.apiVersion}`;
  }

  /** Headers for a 201/202 (or LRO 200) response; `retryAfter` null omits Retry-After. */
  lroHeaders(op: Operation, which: { asyncOperation: boolean; location: boolean }, retryAfter: number | null): Record<string, string> {
    const h: Record<string, string> = {};
    if (which.asyncOperation) h["azure-asyncoperation"] = this.asyncUrl(op);
    if (which.location) h["location"] = this.locationUrl(op);
    if (retryAfter !== null) h["retry-after"] = String(retryAfter);
    return h;
  }

  succeed(op: Operation): void {
    if (op.status !== "InProgress") return;
    op.status = "Succeeded";
    op.endTime = armTime();
  }

  fail(op: Operation, error: ArmErrorDetail, httpStatus = 400): void {
    if (op.status !== "InProgress") return;
    op.status = "Failed";
    op.error = error;
    op.errorHttpStatus = httpStatus;
    op.endTime = armTime();
  }

  cancel(op: Operation, error?: ArmErrorDetail): void {
    if (op.status !== "InProgress") return;
    op.status = "Canceled";
    if (error) op.error = error;
    op.endTime = armTime();
  }

  /** Body of an Azure-AsyncOperation poll. */
  statusBody(op: Operation): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: this.operationPath(op),
      name: op.upperCaseName ? op.id.toUpperCase() : op.id,
      status: op.status,
      startTime: op.startTime,
    };
    if (op.endTime) body.endTime = op.endTime;
    if (op.error) body.error = op.error;
    return body;
  }

  /** Response to a poll of either URL (`monitor` true for the Location URL). */
  pollResponse(op: Operation, monitor: boolean, retryAfter: number | null): HandlerResult {
    if (!monitor) {
      const headers: Record<string, string> = {};
      if (op.status === "InProgress" && retryAfter !== null) headers["retry-after"] = String(retryAfter);
      return { status: 200, body: this.statusBody(op), headers };
    }
    if (op.status === "InProgress") {
      const headers: Record<string, string> = { location: this.locationUrl(op) };
      if (retryAfter !== null) headers["retry-after"] = String(retryAfter);
      return { status: 202, headers };
    }
    if (op.status === "Succeeded") return op.final();
    const err = op.error ?? errorDetail("OperationCanceled", "The operation was canceled.");
    return { status: op.status === "Canceled" ? 409 : op.errorHttpStatus, body: { error: err } };
  }
}

/**
 * One page of a list: `{ value, nextLink? }`. The page offset travels in `$skipToken`; nextLink is
 * absolute on the emulator's own host and carries the api-version (the SDK pages with it verbatim).
 */
export function pageOf<T>(items: readonly T[], ctx: RequestContext, baseUrl: string, pageSize: number): { value: T[]; nextLink?: string } {
  const size = Math.max(1, Math.floor(pageSize));
  const start = Math.max(0, Number.parseInt(ctx.query["$skipToken"] ?? ctx.query["$skiptoken"] ?? "0", 10) || 0);
  const value = items.slice(start, start + size);
  const out: { value: T[]; nextLink?: string } = { value };
  if (start + size < items.length) {
    const q = new URLSearchParams();
    q.set("api-version", ctx.apiVersion ?? "");
    q.set("$skipToken", String(start + size));
    out.nextLink = `${baseUrl}${ctx.url.pathname}?${q.toString().replace("%24skipToken", "$skipToken")}`;
  }
  return out;
}

/** Deep structural equality for JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** Deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** True for a plain JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Lower-cased map key from id parts. */
export function key(...parts: string[]): string {
  return parts.map((p) => p.toLowerCase()).join("/");
}
