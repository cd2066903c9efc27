/**
 * The emulator's HTTPS server: routing (case-insensitive ARM paths), ARM request checks (bearer
 * token, api-version, subscription, resource group), standard headers, the request log and injected
 * transport faults (429 throttle, 500, dropped connection).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { HandlerResult, RequestContext, Route } from "./arm.ts";
import { ArmError, RateLimitCounters, armHeaders, newGuid } from "./arm.ts";
import type { TlsMaterial } from "./cert.ts";
import type { Core } from "./core.ts";
import type { Entra } from "./entra.ts";
import { checksBody, requestBodyViolations } from "./request-validation.ts";
import { subscriptionNotFound } from "./resources.ts";
import type { FaultHandle, FaultSpec, RequestKind, RequestLogEntry } from "./state.ts";

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

interface FaultRule {
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

/** Compiles `/a/{x}/b` into a case-insensitive regex with one capture per `{param}`. */
function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const src = route.pattern
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) {
        names.push(m[1]!);
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { route, regex: new RegExp(`^${src}/?$`, "i"), names };
}

/** HTTPS server + router. */
export class EmulatorServer {
  private readonly server: Server;
  private readonly core: Core;
  private readonly entra: Entra;
  private readonly routes: CompiledRoute[];
  private readonly faults: FaultRule[] = [];
  private readonly rateLimits = new RateLimitCounters();
  /** Every request, in arrival order. */
  readonly log: RequestLogEntry[] = [];
  /** Bodies checked against the specs (per `METHOD lastTypeSegment`) and violations, since start. */
  readonly bodyChecks = { checked: {} as Record<string, number>, violations: [] as string[] };

  constructor(tls: TlsMaterial, core: Core, entra: Entra, routes: Route[]) {
    this.core = core;
    this.entra = entra;
    this.routes = routes.map(compile);
    this.server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        try {
          if (!res.headersSent) {
            res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify({ error: { code: "InternalServerError", message: String(err) } }));
          }
        } catch {
          /* socket gone */
        }
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  /** Starts listening on 127.0.0.1; resolves with the port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting connections and destroys open ones. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Adds a fault rule. */
  injectFault(spec: FaultSpec): FaultHandle {
    const rule: FaultRule = { spec, remaining: spec.times ?? 1, hits: 0 };
    this.faults.push(rule);
    const faults = this.faults;
    return {
      spec,
      get remaining() {
        return rule.remaining;
      },
      get hits() {
        return rule.hits;
      },
      remove() {
        const i = faults.indexOf(rule);
        if (i >= 0) faults.splice(i, 1);
      },
    };
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  private takeFault(method: string, pathAndQuery: string): FaultRule | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== method) continue;
      if (f.spec.path && !f.spec.path.test(pathAndQuery)) continue;
      f.remaining--;
      f.hits++;
      return f;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = new Date();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", this.core.baseUrl());
    // @actions/core appends `&audience=` to ACTIONS_ID_TOKEN_REQUEST_URL; accept a URL without '?'.
    const oidc = /^(\/github\/oidc\/token)&(.*)$/i.exec(url.pathname);
    if (oidc) {
      const extra = new URLSearchParams(decodeURIComponent(oidc[2]!));
      url.pathname = oidc[1]!;
      for (const [k, v] of extra) url.searchParams.set(k, v);
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const rawBody = await readBody(req);
    const ctype = String(req.headers["content-type"] ?? "").toLowerCase();
    const requestId = newGuid();
    const correlationId = headerValue(req.headers["x-ms-correlation-request-id"]) ?? newGuid();

    let matched: { c: CompiledRoute; params: Record<string, string> } | undefined;
    let pathMatchedOtherMethod = false;
    for (const c of this.routes) {
      const m = c.regex.exec(url.pathname);
      if (!m) continue;
      if (c.route.method !== method) {
        pathMatchedOtherMethod = true;
        continue;
      }
      const params: Record<string, string> = {};
      for (const [i, n] of c.names.entries()) params[n] = decodeURIComponent(m[i + 1]!);
      matched = { c, params };
      break;
    }
    const kind: RequestKind = matched?.c.route.kind ?? (url.pathname.toLowerCase().startsWith("/subscriptions/") ? "arm" : "other");

    let body: unknown;
    let bodyError: string | undefined;
    if (rawBody.length) {
      if (ctype.startsWith("application/x-www-form-urlencoded")) {
        body = Object.fromEntries(new URLSearchParams(rawBody));
      } else {
        try {
          body = JSON.parse(rawBody) as unknown;
        } catch (e) {
          bodyError = (e as Error).message;
        }
      }
    }
    const entry: RequestLogEntry = { time: started.toISOString(), method, path: url.pathname, query, status: 0, kind, requestId };
    if (body !== undefined) entry.body = redact(body);
    this.log.push(entry);

    const baseHeaders: Record<string, string> = armHeaders(requestId, correlationId);
    const clientRequestId = headerValue(req.headers["x-ms-client-request-id"]);
    if (clientRequestId) baseHeaders["x-ms-client-request-id"] = clientRequestId;
    const sub = kind === "arm" ? /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1] : undefined;
    if (sub) {
      const [h, v] = this.rateLimits.next(sub, method);
      baseHeaders[h] = v;
    }

    let send = (result: HandlerResult) => {
      entry.status = result.status;
      const headers: Record<string, string> = { ...baseHeaders, ...(result.headers ?? {}) };
      let payload: string | Buffer | undefined;
      if (result.raw !== undefined) {
        payload = result.raw;
      } else if (result.body !== undefined) {
        payload = JSON.stringify(result.body);
        headers["content-type"] = "application/json; charset=utf-8";
      }
      headers["content-length"] = String(payload ? Buffer.byteLength(payload) : 0);
      res.writeHead(result.status, headers);
      res.end(payload);
    };

    // Injected faults come first, like a gateway in front of the RP.
    const fault = this.takeFault(method, url.pathname + url.search);
    const internalError = () => {
      const stamp = started
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z");
      return {
        status: 500,
        body: {
          error: {
            code: "InternalServerError",
            message: `Encountered internal server error. Diagnostic information: timestamp '${stamp}', subscription id '${sub ?? ""}', tracking id '${requestId}', request correlation id '${correlationId}'.`,
          },
        },
      };
    };
    if (fault?.spec.kind === "error500" && fault.spec.afterHandling) {
      // The request reaches the RP (its effect happens), and the gateway loses the answer: a 500 instead.
      entry.fault = fault.spec.kind;
      const respond = send;
      send = () => respond(internalError());
    } else if (fault) {
      entry.fault = fault.spec.kind;
      if (fault.spec.kind === "drop") {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault.spec.kind === "throttle") {
        const seconds = fault.spec.retryAfterSeconds ?? 1;
        const op = method === "GET" || method === "HEAD" ? "read" : "write";
        send({
          status: 429,
          headers: { "retry-after": String(seconds), [`x-ms-ratelimit-remaining-subscription-${op}s`]: "0" },
          body: {
            error: {
              code: "SubscriptionRequestsThrottled",
              message: `Number of '${op}' requests for subscription '${sub ?? this.core.options.subscriptionId}' actor '${this.core.options.clientId}' exceeded. Please try again after '${seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
            },
          },
        });
        return;
      }
      send(internalError());
      return;
    }

    try {
      if (!matched) {
        if (pathMatchedOtherMethod) throw new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
        if (kind === "arm") throw new ArmError(404, "NotFound", `The requested resource '${url.pathname}' was not found.`);
        send({ status: 404, body: { error: "not_found", error_description: `No route for ${method} ${url.pathname}` } });
        return;
      }
      const route = matched.c.route;
      const ctx: RequestContext = {
        method,
        url,
        path: url.pathname,
        params: matched.params,
        query,
        headers: req.headers,
        body,
        rawBody,
        apiVersion: query["api-version"],
        requestId,
        correlationId,
        token: undefined,
      };
      if (route.kind === "arm") {
        if (bodyError !== undefined) {
          throw new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${bodyError}'.`);
        }
        this.checkArm(route, ctx);
        if (body !== undefined && (method === "PUT" || method === "PATCH" || method === "POST")) {
          // Azure validates the body against the operation's schema before the RP sees it.
          const violations = requestBodyViolations(method, url.pathname, ctx.apiVersion, body);
          if (violations.length || checksBody(method, url.pathname, ctx.apiVersion)) {
            entry.bodyCheck = { violations: violations.map((v) => `${v.path}: ${v.error.message}`) };
            const op = `${method} ${operationName(url.pathname)}`;
            this.bodyChecks.checked[op] = (this.bodyChecks.checked[op] ?? 0) + 1;
            for (const v of entry.bodyCheck.violations) this.bodyChecks.violations.push(`${method} ${url.pathname}: ${v}`);
          }
          if (violations.length) throw violations[0]!.error;
        }
      }
      send(await route.handler(ctx));
    } catch (err) {
      if (err instanceof ArmError) {
        send({ status: err.status, body: err.body(), headers: err.headers });
        return;
      }
      throw err;
    }
  }

  /** ARM front-door checks, in ARM's order: token, api-version, subscription, api-version support, resource group. */
  private checkArm(route: Route, ctx: RequestContext): void {
    const subId = ctx.params.sub;
    const subscription = subId ? this.core.resources.getSubscription(subId) : undefined;
    if (this.core.options.requireAuth) {
      ctx.token = this.entra.validateArmToken(headerValue(ctx.headers.authorization), subscription?.tenantId);
    }
    if (!ctx.apiVersion) {
      throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    if (subId && !subscription) throw subscriptionNotFound(subId);
    const versions = route.apiVersions;
    if (versions && versions !== "any" && !versions.includes(ctx.apiVersion)) {
      const rg = ctx.params.rg ? this.core.resources.getResourceGroup(subId!, ctx.params.rg) : undefined;
      const location = ctx.params.location ?? rg?.location ?? "westeurope";
      throw new ArmError(
        400,
        "NoRegisteredProviderFound",
        `No registered resource provider found for location '${location}' and API version '${ctx.apiVersion}' for type '${route.resourceType ?? "unknown"}'. The supported api-versions are '${versions.join(", ")}'. The supported locations are '${location}'.`,
      );
    }
    if (route.resourceGroupScoped && ctx.params.rg) this.core.resources.requireResourceGroup(subId!, ctx.params.rg);
  }
}

/** `imageTemplates`, `galleries`, `images`, `versions`… — the resource type a path writes. */
function operationName(path: string): string {
  const segments = path.split("/").filter(Boolean);
  return segments.length % 2 === 0 ? segments[segments.length - 2]! : `${segments[segments.length - 3]}/${segments[segments.length - 1]}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Hides secrets and assertions of token requests in the log. */
function redact(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const k of ["client_secret", "client_assertion"]) if (k in out) out[k] = "<redacted>";
  return out;
}

/** Operation polling routes (Image Builder `operations`, Compute `capsOperations`). */
export function operationRoutes(core: Core): Route[] {
  const handler = (ctx: RequestContext): HandlerResult => {
    const op = core.operations.get(ctx.params.id!);
    if (!op || op.subscriptionId.toLowerCase() !== ctx.params.sub!.toLowerCase()) {
      throw new ArmError(404, "NotFound", `The operation '${ctx.params.id}' could not be found.`);
    }
    return core.operations.pollResponse(op, ctx.query.monitor === "true", core.options.lroRetryAfterSeconds);
  };
  return [
    { method: "GET", pattern: "/subscriptions/{sub}/providers/{ns}/locations/{location}/operations/{id}", kind: "arm", apiVersions: "any", handler },
    { method: "GET", pattern: "/subscriptions/{sub}/providers/{ns}/locations/{location}/capsOperations/{id}", kind: "arm", apiVersions: "any", handler },
  ];
}
