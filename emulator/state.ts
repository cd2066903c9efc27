/**
 * Options, the timer scheduler and the request-log / fault types shared by every emulator module
 * (the `Core` they receive is in core.ts).
 * All durations are milliseconds unless the name says seconds.
 */

/** AIB build sub-states in the order a run walks them (spec: `ImageTemplateLastRunStatus.runSubState`). */
export const RUN_SUB_STATES = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"] as const;
/** One of {@link RUN_SUB_STATES}. */
export type RunSubState = (typeof RUN_SUB_STATES)[number];

/** Emulator options; every field is optional in {@link startEmulator} and changeable with `setOptions`. */
export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. Only read at start. */
  port: number;
  /** Default subscription (GUID). Only read at start. */
  subscriptionId: string;
  /** Default Entra tenant (GUID). Only read at start. */
  tenantId: string;
  /** Default app registration's client id. Only read at start. */
  clientId: string;
  /** Default app registration's client secret. Only read at start. */
  clientSecret: string;
  /** Bearer token @actions/core must send to the GitHub OIDC request endpoint. Only read at start. */
  githubRequestToken: string;
  /** `sub` claim of GitHub OIDC tokens (and of the default federated credential). */
  githubSubject: string;
  /** `iss` claim of GitHub OIDC tokens; default `${url}/github`. Only read at start. */
  githubIssuer: string | undefined;
  /** Lifetime of GitHub OIDC tokens in seconds (GitHub: 300). */
  githubTokenLifetimeSeconds: number;
  /** Lifetime of Entra access tokens in seconds; `expires_in` reports it. */
  tokenLifetimeSeconds: number;
  /** ARM rejects requests without a valid bearer token (401) when true. */
  requireAuth: boolean;
  /** `Retry-After` seconds on LRO 201/202 responses and in-progress polls; `null` omits the header. */
  lroRetryAfterSeconds: number | null;
  /** Image template PUT: how long the create LRO stays InProgress. */
  templateCreateMs: number;
  /** Image template PATCH LRO duration. */
  templateUpdateMs: number;
  /** Image template DELETE LRO duration. */
  templateDeleteMs: number;
  /** Time from POST cancel (runState Canceling) to runState Canceled. */
  cancelMs: number;
  /** Duration of each build phase; a phase missing here uses 200 ms. */
  phaseDurationsMs: Partial<Record<RunSubState, number>>;
  /** How many real milliseconds one minute of `buildTimeoutInMinutes` lasts (60000 = real time). */
  buildTimeoutMsPerMinute: number;
  /** Gallery / image definition / image version PUT and PATCH LRO duration. */
  galleryWriteMs: number;
  /** Gallery image version DELETE latency: the version disappears when this LRO ends. */
  versionDeleteMs: number;
  /** Page size of every ARM list that pages (image templates, run outputs, gallery images, versions). */
  pageSize: number;
  /** Fail template provisioning with BadPIRSource when a PlatformImage source is not in the seeded marketplace. */
  validatePlatformImages: boolean;
}

/** Defaults used by {@link resolveOptions}. */
export const DEFAULT_OPTIONS: EmulatorOptions = {
  port: 0,
  subscriptionId: "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
  tenantId: "8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d",
  clientId: "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8",
  clientSecret: "emulator-client-secret",
  githubRequestToken: "emulator-github-request-token",
  githubSubject: "repo:contoso/avd-images:ref:refs/heads/main",
  githubIssuer: undefined,
  githubTokenLifetimeSeconds: 300,
  tokenLifetimeSeconds: 3600,
  requireAuth: true,
  lroRetryAfterSeconds: 1,
  templateCreateMs: 100,
  templateUpdateMs: 100,
  templateDeleteMs: 100,
  cancelMs: 200,
  phaseDurationsMs: {},
  buildTimeoutMsPerMinute: 60_000,
  galleryWriteMs: 100,
  versionDeleteMs: 100,
  pageSize: 50,
  validatePlatformImages: true,
};

/** Merges partial options over defaults (phaseDurationsMs merges per phase). */
export function resolveOptions(partial: Partial<EmulatorOptions> = {}, base: EmulatorOptions = DEFAULT_OPTIONS): EmulatorOptions {
  const out: EmulatorOptions = { ...base };
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined && k !== "githubIssuer") continue;
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  out.phaseDurationsMs = { ...base.phaseDurationsMs, ...(partial.phaseDurationsMs ?? {}) };
  return out;
}

/** Duration of one build phase after applying per-build overrides, in ms. */
export function phaseDuration(options: EmulatorOptions, phase: RunSubState, perBuild?: Partial<Record<RunSubState, number>>): number {
  return perBuild?.[phase] ?? options.phaseDurationsMs[phase] ?? 200;
}

/**
 * Owns every timer the emulator starts so `close()` can clear them all. Callbacks that throw are
 * reported through `onError` instead of crashing the process.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  onError: (err: unknown) => void = () => {};

  /** Runs `fn` after `ms` milliseconds (no-op once closed). */
  after(ms: number, fn: () => void | Promise<void>): void {
    if (this.closed) return;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        if (this.closed) return;
        try {
          const r = fn();
          if (r && typeof (r as Promise<void>).catch === "function") (r as Promise<void>).catch((e) => this.onError(e));
        } catch (e) {
          this.onError(e);
        }
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Clears every pending timer and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Which part of the emulator answered a request. */
export type RequestKind = "arm" | "entra" | "github-oidc" | "other";

/** One entry of the request log (`emu.requests`). */
export interface RequestLogEntry {
  /** ISO-8601 time the request arrived. */
  time: string;
  method: string;
  /** URL path as sent (case preserved), without the query string. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** HTTP status sent; 0 when a fault dropped the connection. */
  status: number;
  kind: RequestKind;
  /** Parsed JSON request body (form bodies of token requests with secrets/assertions redacted). */
  body?: unknown;
  /** Fault kind when an injected fault answered the request. */
  fault?: FaultKind;
  /** `x-ms-request-id` sent back. */
  requestId: string;
  /**
   * Set when the body was checked against the vendored spec (request-validation.ts): the JSON.NET-style
   * paths of its violations (`[]` = valid). A body with violations is answered 400, as Azure does.
   */
  bodyCheck?: { violations: string[] };
}

/** Injectable transport faults. */
export type FaultKind = "throttle" | "error500" | "drop";

/** A fault rule for `injectFault`. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any when omitted. */
  method?: string;
  /** Matched against the request path plus query string (`/subscriptions/...?...`); any when omitted. */
  path?: RegExp;
  kind: FaultKind;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** `Retry-After` seconds for 'throttle' (default 1; 0 is valid and retried at once by the SDK). */
  retryAfterSeconds?: number;
  /**
   * 'error500' only: the resource provider handles the request (a `run` starts the build) and the gateway
   * answers 500 anyway — an accepted request whose answer was lost (ARM RPC: clients retry 5xx; see the
   * "Azure rules" table of emulator/README.md).
   */
  afterHandling?: boolean;
}

/** Handle returned by `injectFault`; `remaining` counts down as requests are hit. */
export interface FaultHandle {
  readonly spec: FaultSpec;
  readonly remaining: number;
  readonly hits: number;
  /** Stops the fault. */
  remove(): void;
}
