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
 */
import type { ImageTemplate, ImageTemplateLastRunStatus } from "@azure/arm-imagebuilder";
import { type BuildLogOpener, type BuildLogTail, BuildLogUnavailableError, LOG_CONTAINER } from "../azure/build-log.ts";
import type { BuildLogExcerpt } from "../errors.ts";
import type { Host } from "../hosts/host.ts";

/** Lines of customization.log kept for the failure report. */
export const LOG_TAIL_LINES = 50;
/** Minutes after the run's start after which a log that never appeared is reported (and no longer sought). */
export const LOG_MISSING_MINUTES = 30;
/** Time allowed for the last read after the run ended (ms). */
const FINAL_READ_TIMEOUT_MS = 20_000;

const PROVISIONER = /\(telemetry\) Starting provisioner (\S+)/;
const AVD_MARKER = /Starting AVD AIB Customization\s*:\s*(.+)$/;
/** The end of an AVD marker: ` : <date> <time>` as PowerShell prints `(Get-Date).ToUniversalTime()`. */
const AVD_MARKER_TIME = /\s*:\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*$/;

/** The customizer a part of the log belongs to. */
export interface LogSection {
  /** Packer provisioner type, e.g. `powershell`, `windows-update`. */
  provisioner: string;
  /** 1-based count of `(telemetry) Starting provisioner` lines up to this one. */
  ordinal: number;
  /** Title of the AVD built-in script running in it, if any. */
  avd?: string;
}

/** Name of a section for people: `Install Language packs (AVD script, provisioner 2: powershell)`. */
export function describeSection(section: LogSection): string {
  return section.avd
    ? `${section.avd} (AVD script, provisioner ${section.ordinal}: ${section.provisioner})`
    : `${section.provisioner} (provisioner ${section.ordinal} in customization.log)`;
}

/**
 * Turns the bytes of customization.log, as they come, into printed lines: UTF-8 decoded across chunk
 * boundaries, a line printed only once it is complete (or at `end()`), headings before each customizer.
 * Workflow commands in the log (`::…`, `##vso[…`, `##[…`) are neutralized so the log cannot drive the host.
 */
export class BuildLogPrinter {
  private readonly print: (line: string) => void;
  private readonly onLine: ((line: string) => void) | undefined;
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  private readonly tail: string[] = [];
  private provisioners = 0;
  private current: LogSection | undefined;
  /** Lines printed so far. */
  lineCount = 0;

  /** @param onLine gets every complete line as it is in the log (not neutralized), after it is printed. */
  constructor(print: (line: string) => void, onLine?: (line: string) => void) {
    this.print = print;
    this.onLine = onLine;
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
    if (provisioner) {
      this.provisioners += 1;
      this.current = { provisioner: provisioner[1]!, ordinal: this.provisioners };
      this.print(`▶ Customizer ${this.provisioners}: ${provisioner[1]}`);
    } else {
      const avd = AVD_MARKER.exec(line);
      if (avd) {
        const title = avd[1]!.replace(AVD_MARKER_TIME, "").trim() || avd[1]!.trim();
        this.current = { ...(this.current ?? { provisioner: "powershell", ordinal: this.provisioners }), avd: title };
        this.print(`▶ AVD customization: ${title}`);
      }
    }
    this.print(neutralize(line));
    this.onLine?.(line);
    this.lineCount += 1;
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
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

/**
 * Follows the log of one build across the status polls of the build monitor (`onPoll`), then reads it a
 * last time when the run has ended (`finish`). Never throws: a log that cannot be read is reported once,
 * as a warning, and left alone.
 */
export class BuildLogFollower {
  private readonly ctx: BuildLogContext;
  private readonly printer: BuildLogPrinter;
  private tail: BuildLogTail | undefined;
  private runStart: Date | undefined;
  private stagingResourceGroup = "";
  private url: string | undefined;
  private lastWaiting = "";
  private done = false;
  private readonly now: () => number;

  constructor(ctx: BuildLogContext) {
    this.ctx = ctx;
    this.now = ctx.now ?? Date.now;
    this.printer = new BuildLogPrinter((line) => ctx.host.info(line), ctx.logFacts && ((line) => ctx.logFacts!.line(line)));
    if (!ctx.buildLog) this.done = true;
  }

  /** Called by the build monitor after each status read of this run. */
  async onPoll(template: ImageTemplate, status: ImageTemplateLastRunStatus | undefined): Promise<void> {
    if (this.done || !status?.startTime) return;
    if (!this.tail) {
      if (!template.exactStagingResourceGroup) return;
      this.runStart = status.startTime;
      this.stagingResourceGroup = template.exactStagingResourceGroup.split("/").pop() ?? template.exactStagingResourceGroup;
      this.tail = this.ctx.buildLog!({ stagingResourceGroupId: template.exactStagingResourceGroup, runStartTime: status.startTime });
    }
    await this.read(false, this.ctx.signal);
    if (!this.url && !this.done && this.runStart && this.now() - this.runStart.getTime() > LOG_MISSING_MINUTES * 60_000) {
      this.warnMissing(`it did not appear within ${LOG_MISSING_MINUTES} minutes of the build's start`);
    }
  }

  /**
   * The run ended: reads the log a last time and prints its last, unterminated line.
   * @returns the failure diagnostics of the log (current customizer, last lines), when it was read.
   */
  async finish(): Promise<BuildLogExcerpt | undefined> {
    if (this.tail && !this.done) {
      await this.read(true, AbortSignal.any([this.ctx.signal, AbortSignal.timeout(FINAL_READ_TIMEOUT_MS)]));
      if (!this.url && !this.done) this.warnMissing("it was not found by the end of the build");
    }
    this.printer.end();
    this.done = true;
    if (!this.url) return undefined;
    const section = this.printer.section;
    return { url: this.url, lines: this.printer.lastLines, ...(section ? { customizer: describeSection(section) } : {}) };
  }

  private async read(final: boolean, signal: AbortSignal): Promise<void> {
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
      if (this.ctx.signal.aborted) return; // canceled: the build step reports that
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
