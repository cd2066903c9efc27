/**
 * The customization.log of Azure VM Image Builder, in the staging storage account (storage.ts).
 *
 * While a build walks its phases (imagebuilder-build.ts calls the {@link BuildLogWriter} methods), lines
 * are appended to the append blob `packerlogs/<guid>/customization.log` in Azurite, spread over each
 * phase, in pieces that do not end on line boundaries (as a log that is being written is read). The
 * lines themselves are customization-log-lines.ts; a stuck build's timeline is stuck-logs.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type AppendBlobClient, BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { Core } from "./core.ts";
import { type LogSubject, logLines, packerTime } from "./customization-log-lines.ts";
import { type ImageContent, defaultImageContent } from "./image-content.ts";
import type { BuildFailure, BuildLogRun, BuildLogWriter } from "./imagebuilder-records.ts";
import type { RunSubState } from "./state.ts";
import type { Storage } from "./storage.ts";
import { type StuckLog, type TimelineStep, stuckTimeline } from "./stuck-logs.ts";

/** The container AIB writes customization.log to, in the staging storage account. */
const LOG_CONTAINER = "packerlogs";

/** What the emulator wrote to one build's customization.log. */
export interface BuildLogRecord {
  /** The run's operation id (the `[…]` prefix of every line). */
  runId: string;
  templateName: string;
  /** Storage account (an Azurite account) and blob. */
  account: string;
  blobName: string;
  url: string;
  /** Every line scheduled for the log, in order (those of a phase are all in storage when it ends). */
  lines: string[];
  /** Text appended to the blob so far. */
  written: string;
  /** Each append to the blob: when it was written (ms since the epoch) and its text. */
  appends: { at: number; text: string }[];
  /** Errors of writes to Azurite (none expected). */
  errors: string[];
}

interface RunLog extends BuildLogRecord, LogSubject {
  container: ContainerClient;
  blob: AppendBlobClient;
  chain: Promise<void>;
  ended: boolean;
  blobReady: boolean;
}

/** The build log writer: each build's customization.log, appended to Azurite as the build walks its phases. */
export class CustomizationLog implements BuildLogWriter {
  private readonly core: () => Core;
  private readonly storage: Storage;
  private readonly runs = new Map<string, RunLog>();
  /** Blob service clients by blob endpoint (a new Azurite has new endpoints). */
  private readonly services = new Map<string, BlobServiceClient>();
  private content: ImageContent = defaultImageContent();

  constructor(core: () => Core, storage: Storage) {
    this.core = core;
    this.storage = storage;
  }

  /** What the next builds' VMs install and hold (Windows updates, inventory); parts not given keep their value. */
  setImageContent(content: Partial<ImageContent>): void {
    this.content = { ...this.content, ...structuredClone(content) };
  }

  /** What the next builds' VMs install and hold. */
  imageContent(): ImageContent {
    return structuredClone(this.content);
  }

  /** The logs written so far, oldest build first. */
  logs(): BuildLogRecord[] {
    return [...this.runs.values()].map((r) => ({
      runId: r.runId,
      templateName: r.templateName,
      account: r.account,
      blobName: r.blobName,
      url: r.url,
      lines: [...r.lines],
      written: r.written,
      appends: r.appends.map((a) => ({ ...a })),
      errors: [...r.errors],
    }));
  }

  start(run: BuildLogRun): string | undefined {
    const group = this.storage.stagingGroup(run.stagingResourceGroupId) ?? { id: run.stagingResourceGroupId, location: run.location };
    const account = this.storage.accountOf(group);
    const azurite = this.storage.azurite;
    if (!account || !azurite) return undefined;
    const endpoint = azurite.blobEndpoint(account.name);
    let service = this.services.get(endpoint);
    if (!service) {
      // One try, short timeout: a stopped Azurite (a test of an unreachable log) must not stall the build.
      service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account.name, account.key), {
        retryOptions: { maxTries: 1, tryTimeoutInMs: 5000 },
      });
      this.services.set(endpoint, service);
    }
    const blobName = `${randomUUID()}/customization.log`;
    const container = service.getContainerClient(LOG_CONTAINER);
    const blob = container.getAppendBlobClient(blobName);
    const log: RunLog = {
      runId: run.runId,
      templateName: run.templateName,
      account: account.name,
      blobName,
      url: blob.url,
      lines: [],
      written: "",
      appends: [],
      errors: [],
      run,
      container,
      blob,
      chain: Promise.resolve(),
      ended: false,
      blobReady: false,
      started: Date.now(),
      vmName: `pkrvm${randomBytes(6).toString("hex").slice(0, 11)}`,
      random: randomBytes(6).toString("hex").slice(0, 11),
      content: structuredClone(this.content),
      pendingUpdates: structuredClone(this.content.updates),
    };
    this.runs.set(run.runId, log);
    return log.url;
  }

  phase(runId: string, phase: RunSubState, durationMs: number, fail?: BuildFailure, stuck?: StuckLog): number | undefined {
    const log = this.runs.get(runId);
    if (!log || log.ended) return undefined;
    if (stuck && phase === "Customizing" && fail?.phase !== phase) return this.writeStuck(log, stuck);
    const lines = logLines(log, phase, fail?.phase === phase ? fail : undefined);
    if (phase === "Building") {
      // Packer starts: the log blob appears.
      log.chain = log.chain.then(() => this.ensureBlob(log));
    }
    if (lines.length === 0) return undefined;
    log.lines.push(...lines);
    const text = lines.map((l) => `${l}\n`).join("");
    // Pieces cut at even character offsets: most end inside a line, as a log read while written does.
    const count = Math.min(6, lines.length);
    const cuts = Array.from({ length: count + 1 }, (_, i) => Math.round((text.length * i) / count));
    const pieces = cuts
      .slice(1)
      .map((end, i) => text.slice(cuts[i], end))
      .filter((p) => p.length > 0);
    const gap = (durationMs * 0.6) / pieces.length;
    log.chain = log.chain.then(async () => {
      for (let i = 0; i < pieces.length; i += 1) {
        if (i > 0) await this.delay(gap);
        if (log.ended) return; // canceled or timed out: packer was stopped
        await this.append(log, pieces[i]!);
      }
    });
    return undefined;
  }

  /** Writes a stuck Customizing phase (stuck-logs.ts) over emulated time; returns how long the phase lasts. */
  private writeStuck(log: RunLog, stuck: StuckLog): number {
    const id = log.runId.toLowerCase();
    const { steps, durationMs } = stuckTimeline(stuck, {
      normal: logLines(log, "Customizing", undefined),
      customizers: log.run.customizers,
      out: (text) => `[${id}] PACKER OUT ${text}`,
      err: (text) => `[${id}] PACKER ERR ${packerTime()} ${text}`,
      vmName: log.vmName,
      minuteMs: this.core().options.buildTimeoutMsPerMinute,
    });
    log.chain = log.chain.then(async () => {
      for (const step of steps as Iterable<TimelineStep>) {
        if (step.afterMs > 0) await this.delay(step.afterMs);
        if (log.ended || log.errors.length > 0) return; // canceled or timed out: packer was stopped
        if (step.lines.length === 0) continue;
        log.lines.push(...step.lines);
        await this.append(log, step.lines.map((l) => `${l}\n`).join(""));
      }
    });
    return durationMs;
  }

  settle(runId: string): Promise<void> {
    return this.runs.get(runId)?.chain ?? Promise.resolve();
  }

  end(runId: string): void {
    const log = this.runs.get(runId);
    if (log) log.ended = true;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.core().scheduler.after(ms, resolve));
  }

  private async ensureBlob(log: RunLog): Promise<void> {
    if (log.blobReady) return;
    try {
      await log.container.createIfNotExists();
      await log.blob.createIfNotExists();
      log.blobReady = true;
    } catch (error) {
      log.errors.push(String(error));
    }
  }

  private async append(log: RunLog, piece: string): Promise<void> {
    if (log.errors.length > 0) return; // storage is gone: stop writing this run's log
    try {
      await this.ensureBlob(log);
      const body = Buffer.from(piece, "utf8");
      await log.blob.appendBlock(body, body.byteLength);
      log.written += piece;
      log.appends.push({ at: Date.now(), text: piece });
    } catch (error) {
      log.errors.push(String(error));
    }
  }
}
