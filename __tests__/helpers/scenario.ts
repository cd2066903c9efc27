/**
 * A running emulator seeded with the AVD defaults, and the inputs/env that point the action at it the way
 * a user points it at a private cloud: `arm-endpoint`, `authority-host`, GitHub OIDC (`client-id` +
 * `tenant-id`), and the emulator's certificate trusted (NODE_EXTRA_CA_CERTS for a spawned bundle, the
 * process's default CA list for an in-process run). `run` runs `main()` in this process
 * (helpers/in-process.ts); `spawn` runs the committed bundle as the GitHub runner does.
 */
import { type AvdDefaults, type Emulator, type StartEmulatorOptions, startEmulator } from "../../emulator/index.ts";
import { type ActionRun, emulatorEnv, runAction } from "../../harness/github-runner.ts";
import { emulatorInputs } from "../../harness/inputs.ts";
import { trustEmulator } from "./emulator-trust.ts";
import { type InProcessOptions, runInProcess } from "./in-process.ts";

/**
 * Fast timings (a test-timing knob, not an Azure rule): the template and gallery LROs end at once, so the
 * poll core-lro sends right after the 201/202 already sees them Succeeded and no `Retry-After` wait is
 * spent (Azure's answers keep their shape: 201/202, Azure-AsyncOperation/Location, Retry-After 1). Build
 * phases take tens of milliseconds. A scenario that needs an operation still InProgress at its first poll
 * (the Retry-After wait between polls) passes its own durations, e.g. {@link LRO_IN_PROGRESS}.
 */
export const FAST: StartEmulatorOptions = {
  lroRetryAfterSeconds: 1, // core-lro ignores Retry-After: 0 (falsy) and falls back to its 2 s interval
  templateCreateMs: 0,
  templateUpdateMs: 0,
  templateDeleteMs: 0,
  cancelMs: 100,
  galleryWriteMs: 0,
  versionDeleteMs: 0,
  phaseDurationsMs: { Queued: 100, Building: 100, Customizing: 300, Optimizing: 50, Validating: 50, Distributing: 200 },
};

/**
 * LRO durations that outlast core-lro's first poll, so each template and gallery write waits one
 * `Retry-After` (1 s) and polls again: the scenarios that keep that path covered pass it.
 */
export const LRO_IN_PROGRESS: StartEmulatorOptions = {
  templateCreateMs: 30,
  templateUpdateMs: 30,
  templateDeleteMs: 30,
  galleryWriteMs: 20,
  versionDeleteMs: 20,
};

export interface Scenario {
  emu: Emulator;
  avd: AvdDefaults;
  /** Inputs of a full run at the emulator, with `overrides`. */
  inputs(overrides?: Record<string, string>): Record<string, string>;
  /** Env of a runner step at the emulator (trust + OIDC request variables). */
  env(): Record<string, string>;
  /** Runs `main()` in this process with `inputs(overrides)` and the runner `env` it maps (helpers/in-process.ts). */
  run(overrides?: Record<string, string>, env?: Record<string, string>, options?: InProcessOptions): Promise<ActionRun>;
  /** Spawns the committed bundle with `inputs(overrides)`, extra `env`, and runner options (e.g. `onSpawn`). */
  spawn(overrides?: Record<string, string>, env?: Record<string, string>, options?: Parameters<typeof runAction>[2]): Promise<ActionRun>;
}

/**
 * Throws when the emulator found a request body that breaks the vendored REST specs (GalleryRP
 * 2025-12-03, imagebuilder 2025-10-01). Every end-to-end scenario runs it when its emulator closes, so
 * the whole e2e suite's request log is checked, even where the product turned a 400 into a warning.
 */
export function assertSpecValidBodies(emu: Emulator): void {
  const { violations } = emu.bodyChecks();
  if (violations.length) throw new Error(`request bodies that break the vendored specs (answered 400):\n${violations.join("\n")}`);
}

export async function startScenario(options: StartEmulatorOptions = {}): Promise<Scenario> {
  const emu = await startEmulator({ ...FAST, ...options });
  const close = emu.close.bind(emu);
  /** Undoes trusting the emulator's certificate in this process (set by the first in-process run). */
  let trusted: (() => void) | undefined;
  emu.close = async () => {
    trusted?.();
    trusted = undefined;
    await close();
    assertSpecValidBodies(emu);
  };
  const avd = emu.seedAvdDefaults();
  const scenario: Scenario = {
    emu,
    avd,
    inputs: (overrides = {}) => emulatorInputs(emu, avd, { "poll-interval-seconds": "1", "inline-script": "Write-Host 'AVD image'", ...overrides }),
    env: () => emulatorEnv(emu),
    run: (overrides = {}, env = {}, options = {}) => {
      trusted ??= trustEmulator(emu);
      return runInProcess(scenario.inputs(overrides), { ...scenario.env(), ...env }, options);
    },
    spawn: (overrides = {}, env = {}, options = {}) => runAction(scenario.inputs(overrides), { ...scenario.env(), ...env }, options),
  };
  return scenario;
}

/** Seeds versions created by this action (they carry the managed tag, so retention may prune them). */
export function seedManagedVersions(scenario: Scenario, versions: string[], extraTags: Record<string, string> = {}): void {
  for (const version of versions) {
    scenario.emu.seedImageVersion({
      resourceGroup: scenario.avd.resourceGroup,
      gallery: scenario.avd.gallery,
      image: scenario.avd.imageDefinition,
      version,
      tags: { "avd-image-action.managed": "true", ...extraTags },
    });
  }
}

/** Names of the versions in the AVD definition, sorted as text (for set comparisons). */
export function versionNames(scenario: Scenario): string[] {
  const { emu, avd } = scenario;
  return emu
    .listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition)
    .map((v) => v.name)
    .sort();
}
