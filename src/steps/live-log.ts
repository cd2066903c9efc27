/**
 * The live build log in the job log: while a build runs, each status poll prints the lines
 * `customization.log` gained since the last one — in order, each once, complete lines only — under a
 * heading per customizer, and keeps the last 50 lines and the current customizer for the failure report.
 *
 * Customizers are recognized by AIB's packer telemetry lines (`(telemetry) Starting provisioner
 * powershell`, one per customizer, plus AIB's hidden deprovisioning step) and by the markers of AVD's
 * built-in scripts (`Starting AVD AIB Customization: Install Language packs: <time>`).
 *
 * When the log cannot be read, one warning says why and how to enable it; the build goes on and its
 * result never depends on the log.
 *
 * Each complete line also goes to the printer's line listeners ({@link BuildLogPrinter.addLineListener}); the
 * follower's stuck-build detector (stuck-detector.ts) is one of them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ImageTemplate, ImageTemplateLastRunStatus } from "@azure/arm-imagebuilder";
import { type BuildLogOpener, type BuildLogTail, BuildLogUnavailableError, LOG_CONTAINER } from "../azure/log-blob.ts";
import type { BuildLogExcerpt } from "../errors.ts";
import type { Host } from "../hosts/host.ts";
import { parseResourceGroupId } from "../resource-id.ts";
import type { BuildLogLevel } from "../settings/types.ts";
import { type LogSection, describeSection } from "./live-log-section.ts";
import { classifyLogLine, plainLogLine, stepOf, templateSteps } from "./log-lines.ts";
import { type StuckBuild, StuckDetector } from "./stuck-detector.ts";

/** Lines of customization.log kept for the failure report. */
export const LOG_TAIL_LINES = 50;
/** Error and warning lines of customization.log kept for the failure report (the last ones). */
export const KEY_LINES = 20;
/** Minutes after the run's start after which a log that never appeared is reported (and no longer sought). */
export const LOG_MISSING_MINUTES = 30;
/** Minutes between two reads of the log when that is sooner than the next status read. */
export const LOG_POLL_MINUTES = 0.5;
/** Time allowed for the last read after the run ended (ms). */
const FINAL_READ_TIMEOUT_MS = 20_000;

const PROVISIONER = /\(telemetry\) Starting provisioner (\S+)/;
const AVD_MARKER = /Starting AVD AIB Customization\s*:\s*(.+)$/;
/** The end of an AVD marker: ` : <date> <time>` as PowerShell prints `(Get-Date).ToUniversalTime()`. */
const AVD_MARKER_TIME = /\s*:\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*$/;

export { type LogSection, describeSection } from "./live-log-section.ts";

/**
 * Turns the bytes of customization.log, as they come, into printed lines: UTF-8 decoded across chunk
 * boundaries, a line printed only once it is complete (or at `end()`), headings before each customizer.
 * Workflow commands in the log (`::…`, `##vso[…`, `##[…`) are neutralized so the log cannot drive the host.
 *
 * Levels (`build-log`): `full` prints every line; `steps` prints a heading per customizer (by the
 * template's name for it, once {@link setTemplate} was given the template) and only the lines that are
 * errors or warnings (log-lines.ts: packer's debug log, `PACKER ERR <time>`, is neither); `off` prints
 * nothing. Every level keeps the last lines, the key (error and warning) lines and the current customizer.
 */
export class BuildLogPrinter {
  private readonly print: (line: string) => void;
  private readonly onLine: ((line: string) => void) | undefined;
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  private readonly tail: string[] = [];
  private provisioners = 0;
  private current: LogSection | undefined;
  private readonly listeners: ((line: string, section: LogSection | undefined) => void)[] = [];
  private readonly level: BuildLogLevel;
  private steps: ReturnType<typeof templateSteps> = [];
  private readonly keys: string[] = [];

  /**
   * @param onLine gets every complete line as it is in the log (not neutralized), after it is printed.
   * @param level how much to print (default `full`).
   */
  constructor(print: (line: string) => void, onLine?: (line: string) => void, level: BuildLogLevel = "full") {
    this.print = print;
    this.onLine = onLine;
    this.level = level;
  }

  /** The template being built: its customizers and validators name packer's provisioners from now on. */
  setTemplate(template: Parameters<typeof templateSteps>[0]): void {
    if (this.steps.length === 0) this.steps = templateSteps(template);
  }

  /** The last {@link KEY_LINES} error and warning lines, each `✖ ` or `⚠ ` and the line without packer's prefixes. */
  get keyLines(): string[] {
    return [...this.keys];
  }

  /** Adds the next bytes of the log; prints every line they complete. */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** The log is complete: prints a last line that has no newline. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    if (rest.length > 0) this.line(rest);
  }

  /**
   * Calls `listener` with every complete line (as written, without its line end) and the customizer it
   * belongs to, after the line is printed. Listeners must not throw.
   */
  addLineListener(listener: (line: string, section: LogSection | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** The customizer the log is in (the last one started). */
  get section(): LogSection | undefined {
    return this.current && { ...this.current };
  }

  /** The last {@link LOG_TAIL_LINES} lines. */
  get lastLines(): string[] {
    return [...this.tail];
  }

  private line(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const provisioner = PROVISIONER.exec(line);
    const printing = this.level !== "off";
    if (provisioner) {
      this.provisioners += 1;
      const step = stepOf(this.steps, this.provisioners);
      this.current = { provisioner: provisioner[1]!, ordinal: this.provisioners, ...(step ? { step } : {}) };
      if (printing) this.print(step ? `▶ ${describeSection(this.current)}` : `▶ Customizer ${this.provisioners}: ${provisioner[1]}`);
    } else {
      const avd = AVD_MARKER.exec(line);
      if (avd) {
        const title = avd[1]!.replace(AVD_MARKER_TIME, "").trim() || avd[1]!.trim();
        this.current = { ...(this.current ?? { provisioner: "powershell", ordinal: this.provisioners }), avd: title };
        if (this.level === "full") this.print(`▶ AVD customization: ${title}`);
      }
    }
    const kind = classifyLogLine(line);
    if (kind) {
      this.keys.push(`${kind === "error" ? "✖" : "⚠"} ${plainLogLine(line)}`);
      if (this.keys.length > KEY_LINES) this.keys.shift();
    }
    if (this.level === "full") this.print(neutralize(line));
    else if (this.level === "steps" && kind) this.print(`  ${kind === "error" ? "✖" : "⚠"} ${neutralize(plainLogLine(line))}`);
    this.onLine?.(line);
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    for (const listener of this.listeners) listener(line, this.current);
  }
}

/** Defuses workflow commands of GitHub (`::cmd::` at a line's start) and Azure DevOps (`##vso[`, `##[`) in a log line. */
export function neutralize(line: string): string {
  let out = line.replace(/##(vso\[|\[)/gi, "#\u200B#$1");
  if (/^\s*::/.test(out)) out = out.replace("::", ":\u200B:");
  return out;
}

/** What the follower needs of a run. */
export interface BuildLogContext {
  host: Pick<Host, "info" | "warning">;
  buildLog?: BuildLogOpener;
  /** Gets every line of the log as it is read (src/changelog/log-facts.ts). */
  logFacts?: { line(line: string): void };
  signal: AbortSignal;
  now?: () => number;
}

/** How the follower reads between status polls and watches for a stuck build. */
export interface BuildLogWatch {
  /** Milliseconds between two status reads (the log is read at each, and in between when {@link LOG_POLL_MINUTES} is sooner). */
  pollIntervalMs: number;
  /** Minutes a customizer may print nothing before the build counts as stuck; 0 = off (`stall-minutes`). */
  stallMinutes: number;
  /** Milliseconds one minute lasts for the log's clocks (60000; less only in tests against the emulator). */
  minuteMs?: number;
  /** Told once when the build is found stuck (the build step cancels it). */
  onStuck: (finding: StuckBuild) => void;
  /** How much of the log to print (`build-log`; default `full`). */
  level?: BuildLogLevel;
}

/**
 * Follows the log of one build across the status polls of the build monitor (`onPoll`), then reads it a
 * last time when the run has ended (`finish`). Never throws: a log that cannot be read is reported once,
 * as a warning, and left alone.
 */
export class BuildLogFollower {
  private readonly ctx: BuildLogContext;
  private readonly printer: BuildLogPrinter;
  private tail: BuildLogTail | undefined;
  private buildStart: Date | undefined;
  private stagingResourceGroup = "";
  private url: string | undefined;
  private lastWaiting = "";
  private done = false;
  private readonly now: () => number;
  private readonly watch: BuildLogWatch | undefined;
  private readonly detector: StuckDetector | undefined;
  /** Reads, one after the other (status polls and the log's own polls share the tail). */
  private reading: Promise<void> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private readonly stopLoop = new AbortController();

  /** @param watch reads between status polls and stuck-build detection (without it: reads at status polls only). */
  constructor(ctx: BuildLogContext, watch?: BuildLogWatch) {
    this.ctx = ctx;
    this.now = ctx.now ?? Date.now;
    this.watch = watch;
    this.printer = new BuildLogPrinter((line) => ctx.host.info(line), ctx.logFacts && ((line) => ctx.logFacts!.line(line)), watch?.level);
    if (watch) {
      const detector = new StuckDetector({ stallMinutes: watch.stallMinutes, minuteMs: watch.minuteMs }, this.now);
      this.detector = detector;
      this.printer.addLineListener((line, section) => {
        const finding = detector.line(line, section);
        if (finding) watch.onStuck(finding);
      });
    }
    if (!ctx.buildLog) this.done = true;
  }

  /** What made the build count as stuck, once it did. */
  get stuck(): StuckBuild | undefined {
    return this.detector?.finding;
  }

  /** Called by the build monitor after each status read of this run. */
  async onPoll(template: ImageTemplate, status: ImageTemplateLastRunStatus | undefined): Promise<void> {
    if (this.done || !status?.startTime) return;
    this.printer.setTemplate(template);
    if (!this.tail) {
      if (!template.exactStagingResourceGroup) return;
      this.buildStart = status.startTime;
      this.stagingResourceGroup = parseResourceGroupId(template.exactStagingResourceGroup)?.resourceGroup ?? template.exactStagingResourceGroup;
      this.tail = this.ctx.buildLog!({ stagingResourceGroupId: template.exactStagingResourceGroup, buildStartTime: status.startTime });
      this.startLoop();
    }
    await this.read(false, this.ctx.signal);
    if (!this.url && !this.done && this.buildStart && this.now() - this.buildStart.getTime() > LOG_MISSING_MINUTES * 60_000) {
      this.warnMissing(`it did not appear within ${LOG_MISSING_MINUTES} minutes of the build's start`);
    }
  }

  /**
   * The run ended: reads the log a last time and prints its last, unterminated line.
   * @returns the failure diagnostics of the log (current customizer, last lines), when it was read.
   */
  async finish(): Promise<BuildLogExcerpt | undefined> {
    this.stopLoop.abort();
    await this.loop;
    if (this.tail && !this.done) {
      await this.read(true, AbortSignal.any([this.ctx.signal, AbortSignal.timeout(FINAL_READ_TIMEOUT_MS)]));
      if (!this.url && !this.done) this.warnMissing("it was not found by the end of the build");
    }
    this.printer.end();
    this.done = true;
    if (!this.url) return undefined;
    const section = this.printer.section;
    const keyLines = this.printer.keyLines;
    return {
      url: this.url,
      lines: this.printer.lastLines,
      ...(keyLines.length ? { keyLines } : {}),
      ...(section ? { customizer: describeSection(section), ...(section.step ? { step: section.step } : {}) } : {}),
      ...(this.stuck ? { stuck: this.stuck } : {}),
    };
  }

  /** Reads the log every LOG_POLL_MINUTES between status polls, when that is sooner than the status poll. */
  private startLoop(): void {
    const watch = this.watch;
    if (!watch) return;
    const everyMs = LOG_POLL_MINUTES * (watch.minuteMs ?? 60_000);
    if (everyMs >= watch.pollIntervalMs) return;
    const signal = AbortSignal.any([this.ctx.signal, this.stopLoop.signal]);
    this.loop = (async () => {
      while (!this.done && !signal.aborted) {
        try {
          await sleep(everyMs, undefined, { signal });
        } catch {
          return; // stopped
        }
        await this.read(false, signal);
      }
    })();
  }

  /** One read after the others; then the stall clock is checked. */
  private read(final: boolean, signal: AbortSignal): Promise<void> {
    this.reading = this.reading.then(async () => {
      if (this.done) return;
      await this.readNow(final, signal);
      const finding = this.detector?.tick();
      if (finding) this.watch!.onStuck(finding);
    });
    return this.reading;
  }

  private async readNow(final: boolean, signal: AbortSignal): Promise<void> {
    try {
      const result = await this.tail!.poll({ abortSignal: signal, final });
      if (result.kind === "waiting") {
        this.lastWaiting = result.reason;
        return;
      }
      if (!this.url) {
        this.url = result.location.url;
        this.ctx.host.info(`Build log: following ${result.location.url}`);
      }
      this.printer.push(result.bytes);
    } catch (error) {
      if (this.ctx.signal.aborted || (signal.aborted && !final)) return; // canceled (the build step reports it), or the loop was stopped
      if (error instanceof BuildLogUnavailableError) {
        this.warn(`cannot read customization.log: ${error.message}. ${error.remedy}`);
      } else {
        this.warn(`reading customization.log failed: ${(error as Error).message}.`);
      }
    }
  }

  private warnMissing(why: string): void {
    this.warn(
      `customization.log of this build was not found in the staging resource group ${this.stagingResourceGroup}: ${why}` +
        `${this.lastWaiting ? ` (${this.lastWaiting})` : ""}. Image Builder keeps it in the '${LOG_CONTAINER}' container of that group's storage account; ` +
        `the identity this pipeline signs in with needs 'Reader' and 'Storage Blob Data Reader' there to show it live.`,
    );
  }

  /** The one warning of a run's build log; the log is not read any more after it. */
  private warn(message: string): void {
    if (this.done) return;
    this.done = true;
    this.ctx.host.warning(`Build log: ${message} The build goes on; its result does not depend on the log.`);
  }
}
