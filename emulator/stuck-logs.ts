/**
 * Test knobs: customization.log of a build that is stuck, as the field reports show them, written over
 * emulated time (one minute lasts `buildTimeoutMsPerMinute` ms) until the build ends — by a cancel, or by
 * the build timeout, as on Azure, where such builds run until `buildTimeoutInMinutes`.
 *
 * - `sysprep-loop`: Image Builder's deprovisioning step prints `IMAGE_STATE_COMPLETE`, then
 *   `IMAGE_STATE_UNDEPLOYABLE` every 10 seconds for ever (`[<id>] PACKER OUT     azure-arm:
 *   IMAGE_STATE_UNDEPLOYABLE` — danielsollondon/azvmimagebuilder#83; actions/runner-images#6250, #7743).
 * - `windows-update-reboot-loop`: the windows-update provisioner finds the same update, installs it,
 *   restarts and finds it again (danielsollondon/azvmimagebuilder#42, #70); the lines of one round as
 *   rgl/packer-plugin-windows-update prints them (`Searching for Windows updates...`, `Found Windows
 *   update (<date>; <size>): <title>`, `Downloading Windows updates (1 updates; …)...`, `Waiting for
 *   operation to complete (system performance: …)...`, `Restarting the machine...`, `Waiting for machine
 *   to become available...`, `A system shutdown is in progress.(1115)` — MicrosoftDocs
 *   image-builder-troubleshoot.md, "Information events show low Windows resources").
 * - `silent-customizer`: a customizer prints its first lines, then nothing for `minutes`, then the rest
 *   of the build goes on as usual (a script waiting for input; troubleshooting doc, "Timeout exceeded").
 *
 * Pure: makes the timeline from the build's normal customization lines; customization-log.ts writes it.
 */

/** A stuck build for the next run (BuildPlan.stuck). Needs the Azurite-backed log (`useAzurite`). */
export type StuckLog =
  | { kind: "sysprep-loop" }
  /** The first WindowsUpdate customizer loops (or the one named). */
  | { kind: "windows-update-reboot-loop"; customizerName?: string }
  /** The named customizer (or the first) goes silent for `minutes` after its first lines. */
  | { kind: "silent-customizer"; customizerName?: string; minutes: number };

/** Lines to append `afterMs` after the previous step. */
export interface TimelineStep {
  afterMs: number;
  lines: string[];
}

/** What the writer needs to make the lines. */
export interface StuckLogContext {
  /** The Customizing phase's normal lines, every customizer, AIB's deprovisioning step, capture, cleanup. */
  normal: string[];
  /** The template's customizers. */
  customizers: Record<string, unknown>[];
  /** `[<id>] PACKER OUT <text>` and `[<id>] PACKER ERR <time> <text>`. */
  out: (text: string) => string;
  err: (text: string) => string;
  vmName: string;
  /** Real ms of one emulated minute. */
  minuteMs: number;
}

const START = /\(telemetry\) Starting provisioner /;

/**
 * The timeline of a stuck Customizing phase and how long the phase lasts (ms; Infinity: until the build
 * is canceled or times out).
 */
export function stuckTimeline(stuck: StuckLog, c: StuckLogContext): { steps: Iterable<TimelineStep>; durationMs: number } {
  const starts = c.normal.flatMap((line, i) => (START.test(line) ? [i] : []));
  const minute = c.minuteMs;
  // The lines before the stuck part come in a few pieces over the phase's first emulated minute.
  const prefix = (lines: string[]): TimelineStep[] => {
    const pieces = 4;
    const size = Math.ceil(lines.length / pieces) || 1;
    return Array.from({ length: Math.ceil(lines.length / size) }, (_, i) => ({
      afterMs: i === 0 ? 0 : minute / pieces,
      lines: lines.slice(i * size, (i + 1) * size),
    }));
  };

  if (stuck.kind === "sysprep-loop") {
    const at = c.normal.findIndex((line, i) => i > starts.at(-1)! && /IMAGE_STATE_/.test(line));
    const before = [...c.normal.slice(0, at), c.out("    azure-arm: IMAGE_STATE_COMPLETE")];
    const undeployable = c.out("    azure-arm: IMAGE_STATE_UNDEPLOYABLE");
    return {
      steps: concat(
        prefix(before),
        forever(() => ({ afterMs: minute / 6, lines: [undeployable] })),
      ),
      durationMs: Infinity,
    };
  }

  const index = customizerIndex(c.customizers, stuck.customizerName, stuck.kind === "windows-update-reboot-loop" ? "WindowsUpdate" : undefined);
  const start = starts[index]!;
  const end = starts[index + 1] ?? c.normal.length;

  if (stuck.kind === "windows-update-reboot-loop") {
    const running = c.normal.findIndex((line, i) => i > start && i < end && /Running Windows update\.\.\.$/.test(line));
    const before = c.normal.slice(0, running + 1);
    let round = 0;
    const { out, err } = c;
    const roundSteps = (): TimelineStep[] => {
      round += 1;
      return [
        { afterMs: minute / 4, lines: [out("    azure-arm: Searching for Windows updates...")] },
        {
          afterMs: minute / 2,
          lines: [
            out(
              "    azure-arm: Found Windows update (2026-11-10; 4.1 GB): 2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5070773)",
            ),
            out("    azure-arm: Downloading Windows updates (1 updates; 4.1 GB)..."),
          ],
        },
        { afterMs: minute / 2, lines: [out("    azure-arm: Installing Windows updates...")] },
        {
          afterMs: minute / 2,
          lines: [out(`    azure-arm: Waiting for operation to complete (system performance: ${40 + (round % 50)}% cpu; 35% memory)...`)],
        },
        {
          afterMs: minute / 2,
          lines: [
            err(
              "packer-provisioner-windows-update plugin: [INFO] command 'PowerShell -ExecutionPolicy Bypass -OutputFormat Text -File C:/Windows/Temp/packer-windows-update-elevated.ps1' exited with code: 101",
            ),
            out("==> azure-arm: Restarting the machine..."),
            out("==> azure-arm: Waiting for machine to become available..."),
            out("==> azure-arm: A system shutdown is in progress.(1115)"),
          ],
        },
        {
          afterMs: minute / 2,
          lines: [
            out("==> azure-arm: Checking for pending restart..."),
            out(`    azure-arm: ${c.vmName.toUpperCase()} restarted.`),
            out("==> azure-arm: Restart complete"),
            out("==> azure-arm: Running Windows update..."),
          ],
        },
      ];
    };
    return { steps: concat(prefix(before), foreverRounds(roundSteps)), durationMs: Infinity };
  }

  // silent-customizer: its start and first lines, the silence, then the rest as usual.
  const speaks = Math.min(end, start + 3);
  const silenceMs = stuck.minutes * minute;
  const rest = prefix(c.normal.slice(speaks));
  rest[0] = { afterMs: silenceMs, lines: rest[0]?.lines ?? [] };
  const steps = [...prefix(c.normal.slice(0, speaks)), ...rest];
  return { steps, durationMs: steps.reduce((sum, s) => sum + s.afterMs, 0) + minute };
}

/** Index of the named customizer, else the first of `type`, else the first. */
function customizerIndex(customizers: Record<string, unknown>[], name: string | undefined, type: string | undefined): number {
  const named = name === undefined ? -1 : customizers.findIndex((c) => c.name === name);
  if (named >= 0) return named;
  const typed = type === undefined ? -1 : customizers.findIndex((c) => c.type === type);
  return Math.max(0, typed);
}

function* concat<T>(...parts: Iterable<T>[]): Iterable<T> {
  for (const part of parts) yield* part;
}

function* forever<T>(next: () => T): Iterable<T> {
  for (;;) yield next();
}

function* foreverRounds<T>(round: () => T[]): Iterable<T> {
  for (;;) yield* round();
}
