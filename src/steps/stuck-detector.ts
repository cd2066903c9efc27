/**
 * Stuck-build detection from the live customization.log. Pure: fed the log's lines as they come, with
 * the customizer each belongs to, and a clock; says when the build is stuck and why. The build step
 * then cancels the build instead of letting it bill the build VM until the build timeout.
 *
 * The loop signatures, from field reports of builds that ran for hours until their timeout:
 * - **Sysprep loop**: Image Builder's deprovisioning step polls the image state every 10 seconds and
 *   prints it; a sysprep that cannot generalize prints `IMAGE_STATE_UNDEPLOYABLE` for ever
 *   (`[<id>] PACKER OUT     azure-arm: IMAGE_STATE_UNDEPLOYABLE` — danielsollondon/azvmimagebuilder#83;
 *   actions/runner-images#6250 "Repeating for hours until the 12-hour" timeout, #7743, #6790;
 *   hashicorp/packer#8128). A healthy sysprep prints it a few times (hashicorp/packer#5385: four, then
 *   `IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE`): {@link SYSPREP_REPEATS} in a row is 15 minutes of it.
 * - **Restart loop**: a Windows Update or restart customizer restarting again and again
 *   (`==> azure-arm: Restarting the machine...` of the windows-update provisioner, `Restarting Machine`
 *   of packer's windows-restart — danielsollondon/azvmimagebuilder#42 "goes into a loop", #70 "stuck in
 *   loop - wont complete … timed out after 4 hours"; MicrosoftDocs image-builder-troubleshoot.md
 *   "Information events show low Windows resources"; rgl/packer-plugin-windows-update#61). A healthy
 *   Windows Update restarts two to four times; more than {@link MAX_RESTARTS} inside one customizer is a loop.
 * - **WinRM waits timing out**: packer cannot reach the VM again after a restart
 *   (`[ERROR] WinRM connection err: … i/o timeout`, `Timeout waiting for WinRM.`,
 *   `Retryable error: Machine not yet available (exit status 1115)`, `Timeout waiting for machine to
 *   restart.` — packer's WinRM communicator and windows-restart provisioner, hashicorp/packer#4815,
 *   MicrosoftDocs/azure-docs#44790). {@link WINRM_TIMEOUTS} in a row, with no connection between them.
 * - **Silence** (`stall-minutes`, off by default): a customizer that prints nothing for that long, e.g. a
 *   script waiting for input (troubleshooting guide, "Timeout exceeded", step 2). The clock starts after
 *   the customizer's last line; every line counts, the Windows Update provisioner's progress lines
 *   (`Searching for Windows updates...`, `Downloading Windows updates (…)...`, `Waiting for operation to
 *   complete (system performance: …)...`) included, so a long search or download is not a stall.
 */

import type { StuckBuild, StuckPattern } from "../errors.ts";
import { type LogSection, describeSection } from "./live-log-section.ts";

/** A stuck build and its signature (defined with the failure they are reported in, src/errors.ts). */
export type { StuckBuild, StuckPattern };

/** Consecutive `IMAGE_STATE_UNDEPLOYABLE` lines taken for a sysprep loop (15 minutes at the 10-second poll). */
export const SYSPREP_REPEATS = 90;
/** Restarts one Windows Update or restart customizer may make; one more is a loop. */
export const MAX_RESTARTS = 10;
/** Consecutive timed-out WinRM waits (with no connection between) taken for a VM that does not come back. */
export const WINRM_TIMEOUTS = 20;
/** Log lines quoted in a finding. */
export const QUOTED_LINES = 12;

/** The detector's settings. */
export interface StuckRules {
  /** Minutes a customizer may print nothing; 0 = off (`stall-minutes`). */
  stallMinutes: number;
  /** Milliseconds one minute lasts (60000; less only in tests against the emulator). */
  minuteMs?: number;
}

const UNDEPLOYABLE = /\bIMAGE_STATE_UNDEPLOYABLE\s*$/;
const OTHER_IMAGE_STATE = /\bIMAGE_STATE_(?!UNDEPLOYABLE\b)[A-Z_]+\s*$/;
/** windows-update provisioner and packer windows-restart: a restart begins. */
const RESTART = /==> [^:]+: (?:Restarting the machine\.\.\.|Restarting Machine)\s*$/;
const WINRM_TIMEOUT =
  /WinRM connection err: .*(?:timeout|timed out)|Timeout waiting for WinRM|Error waiting for WinRM|Retryable error: Machine not yet available|Timeout waiting for machine to restart/i;
const WINRM_CONNECTED = /WinRM connected\.|Connected to WinRM!|Machine successfully restarted|Restart complete|\brestarted\.\s*$/;
const PROVISIONER_END = /\(telemetry\) ending \S+/;

const TROUBLESHOOTING: Record<StuckPattern, string> = {
  "sysprep-loop":
    "Sysprep cannot generalize the VM. Its reason is in C:\\Windows\\System32\\Sysprep\\Panther\\setupact.log and setuperr.log of the build VM " +
    "(error-handling: customizer=abort keeps the VM to read them). Common causes: an Appx package installed for one user but not provisioned for all " +
    "(0x80073cf2: remove it for all users), BitLocker still on or decrypting (Windows 11 25H2: safety-steps), a restart Windows Update still needs " +
    "(add a restart before the end). See https://aka.ms/azvmimagebuilderts and the README's Troubleshooting.",
  "restart-loop":
    "An update keeps failing and is offered again after each restart, or the build VM is too small for the servicing stack. Keep the update out " +
    "with windows-update-filters (e.g. exclude:$_.Title -like '*KB5034441*'), use a larger vm-size, or turn windows-update off and build from the " +
    "newest marketplace image. See https://aka.ms/azvmimagebuilderts (Information events show low Windows resources).",
  "winrm-timeouts":
    "Packer cannot reach the build VM over WinRM again: the VM did not come back from a restart, or a customizer turned WinRM or its firewall rule off. " +
    "Check the scripts before this point, use a larger vm-size, and see https://aka.ms/azvmimagebuilderts.",
  stall:
    "The customizer may be waiting for input (an installer without its quiet switch, a prompt, apt-get without -y) or for something that never comes. " +
    "Make the step unattended, or raise stall-minutes if it is only slow. See https://aka.ms/azvmimagebuilderts (Timeout exceeded).",
};

/**
 * Watches one build's log. Call {@link line} for every complete line, in order, and {@link tick} now
 * and then (each log poll); each returns the finding once, when the build is found stuck, else undefined.
 */
export class StuckDetector {
  private readonly rules: Required<StuckRules>;
  private readonly now: () => number;
  private section: LogSection | undefined;
  private inCustomizer = false;
  private readonly recent: string[] = [];
  private undeployable = 0;
  private restarts = 0;
  private readonly restartLines: string[] = [];
  private winrmTimeouts = 0;
  private readonly winrmLines: string[] = [];
  private lastLineAt: number;
  private found: StuckBuild | undefined;

  /** @param now the clock, in ms (Date.now by default). */
  constructor(rules: StuckRules, now: () => number = Date.now) {
    this.rules = { minuteMs: 60_000, ...rules };
    this.now = now;
    this.lastLineAt = now();
  }

  /** The finding, once the build was found stuck. */
  get finding(): StuckBuild | undefined {
    return this.found;
  }

  /** A complete log line of `section` (the customizer it was printed in, if any). */
  line(text: string, section: LogSection | undefined): StuckBuild | undefined {
    if (this.found) return undefined;
    this.lastLineAt = this.now();
    if (section && (section.ordinal !== this.section?.ordinal || section.avd !== this.section?.avd)) this.enter(section);
    if (PROVISIONER_END.test(text)) this.inCustomizer = false;
    this.recent.push(text);
    if (this.recent.length > QUOTED_LINES) this.recent.shift();

    if (UNDEPLOYABLE.test(text)) {
      this.undeployable += 1;
      if (this.undeployable >= SYSPREP_REPEATS) {
        return this.report("sysprep-loop", `sysprep loop: IMAGE_STATE_UNDEPLOYABLE ${this.undeployable} times in a row`, this.recent);
      }
    } else if (OTHER_IMAGE_STATE.test(text)) {
      this.undeployable = 0;
    }

    const restartCustomizer = this.section?.provisioner === "windows-update" || this.section?.provisioner === "windows-restart";
    if (restartCustomizer && RESTART.test(text)) {
      this.restarts += 1;
      keep(this.restartLines, text);
      if (this.restarts > MAX_RESTARTS) {
        return this.report(
          "restart-loop",
          `restart loop: ${this.restarts} restarts in one ${this.section!.provisioner} customizer (more than ${MAX_RESTARTS})`,
          this.restartLines,
        );
      }
    }

    if (WINRM_TIMEOUT.test(text)) {
      this.winrmTimeouts += 1;
      keep(this.winrmLines, text);
      if (this.winrmTimeouts >= WINRM_TIMEOUTS) {
        return this.report("winrm-timeouts", `WinRM waits timing out: ${this.winrmTimeouts} in a row without a connection`, this.winrmLines);
      }
    } else if (WINRM_CONNECTED.test(text)) {
      this.winrmTimeouts = 0;
      this.winrmLines.length = 0;
    }
    return undefined;
  }

  /** Checks the stall clock (no line for `stallMinutes` while a customizer runs). */
  tick(): StuckBuild | undefined {
    if (this.found || this.rules.stallMinutes <= 0 || !this.inCustomizer) return undefined;
    const silentMs = this.now() - this.lastLineAt;
    if (silentMs < this.rules.stallMinutes * this.rules.minuteMs) return undefined;
    const minutes = Math.floor(silentMs / this.rules.minuteMs);
    return this.report("stall", `no output for ${minutes} minutes (stall-minutes: ${this.rules.stallMinutes})`, this.recent);
  }

  private enter(section: LogSection): void {
    const sameCustomizer = section.ordinal === this.section?.ordinal;
    this.section = section;
    this.inCustomizer = true;
    if (!sameCustomizer) {
      this.undeployable = 0;
      this.restarts = 0;
      this.restartLines.length = 0;
      this.winrmTimeouts = 0;
      this.winrmLines.length = 0;
    }
  }

  private report(pattern: StuckPattern, title: string, lines: readonly string[]): StuckBuild {
    this.found = {
      pattern,
      title,
      customizer: this.section ? describeSection(this.section) : "before the first customizer",
      lines: lines.slice(-QUOTED_LINES),
      troubleshooting: TROUBLESHOOTING[pattern],
      detectedAt: this.now(),
    };
    return this.found;
  }
}

/** Keeps the last {@link QUOTED_LINES} of `lines` with `line` added. */
function keep(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > QUOTED_LINES) lines.shift();
}
