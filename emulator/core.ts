/**
 * `Core`: the services every resource provider module receives (options, base URL, timers, ARM's
 * long-running operations, subscriptions and resource groups). It sits above arm.ts, resources.ts and
 * state.ts, which never import it, so no module is in an import cycle through it.
 */
import type { Operations } from "./arm.ts";
import type { Resources } from "./resources.ts";
import type { EmulatorOptions, Scheduler } from "./state.ts";

/** Services every resource provider module receives (built once by `startEmulator`, index.ts). */
export interface Core {
  /** Live options; `setOptions` mutates this object. */
  options: EmulatorOptions;
  /** `https://127.0.0.1:PORT` (no trailing slash). */
  baseUrl(): string;
  scheduler: Scheduler;
  /** ARM long-running operations (Azure-AsyncOperation / Location status monitors). */
  operations: Operations;
  /** Subscriptions, resource groups and user-assigned identities. */
  resources: Resources;
}
