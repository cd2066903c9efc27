/**
 * Facts a build's customization.log holds about what went into the image: the Windows updates the
 * Windows Update customizer installed, and the inventory block the `inventory` customizer printed. Pure.
 *
 * Windows updates: AIB's `WindowsUpdate` customizer is packer's windows-update provisioner
 * (rgl/packer-plugin-windows-update, update/windows-update.ps1), which prints for each update it queues
 * `Found Windows update (<yyyy-MM-dd>; <size> MB): <title>` — e.g. `Found Windows update (2025-06-10;
 * 4187.26 MB): 2025-06 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5060842)` —
 * then downloads and installs them all, and searches again after each restart (so an update may be
 * printed once per round). In customization.log each output line reads
 * `[<operationId>] PACKER OUT     azure-arm: <line>`.
 *
 * Inventory: the lines between {@link INVENTORY_BEGIN} and {@link INVENTORY_END}, one record a line,
 * fields separated by tabs (src/template/inventory.ts prints them).
 */

/** First line of the inventory block. */
export const INVENTORY_BEGIN = "AVD-IMAGE-ACTION INVENTORY BEGIN";
/** Last line of the inventory block. */
export const INVENTORY_END = "AVD-IMAGE-ACTION INVENTORY END";

/** A Windows update the build installed. */
export interface WindowsUpdateInstalled {
  /** `KB5060842`, when the title names one. */
  kb?: string;
  /** The update's title as Windows Update gives it. */
  title: string;
}

/** An installed application (an uninstall registry key with a display name). */
export interface InstalledApplication {
  name: string;
  version: string;
  publisher: string;
}

/** What the inventory customizer printed. */
export interface Inventory {
  /** Windows product and build: `Windows 11 Enterprise multi-session`, `24H2`, `26100`, UBR `4349`. */
  os?: { productName: string; displayVersion: string; build: string; ubr: string };
  applications: InstalledApplication[];
  /** `Get-HotFix`: KB and description. */
  hotfixes: { kb: string; description: string }[];
  /** Provisioned Appx packages: name and version. */
  appx: { name: string; version: string }[];
}

const PACKER_OUT = /azure-arm(?:\.[\w.-]+)?: ?(.*)$/;
const FOUND_UPDATE = /^\s*Found Windows update (?:\(\d{4}-\d{2}-\d{2}; [^)]*\): )?(.+?)\s*$/;
const KB = /\bKB(\d{6,8})\b/i;

/** The text a packer output line carries (after `azure-arm: `), or the line itself. */
export function packerText(line: string): string {
  const text = line.replace(/\r$/, "");
  const match = PACKER_OUT.exec(text);
  return match ? match[1]! : text;
}

/**
 * Collects the facts line by line, as the live log prints them (or from a whole log with {@link factsOfLog}).
 */
export class LogFacts {
  private readonly titles = new Map<string, WindowsUpdateInstalled>();
  private block: string[] | undefined;
  private finished: string[] | undefined;
  /** Lines taken so far (0: the log was not read). */
  lineCount = 0;

  /** Takes the next complete line of customization.log. */
  line(raw: string): void {
    this.lineCount += 1;
    const text = packerText(raw);
    const trimmed = text.trim();
    if (this.block) {
      if (trimmed === INVENTORY_END) {
        this.finished = this.block;
        this.block = undefined;
      } else this.block.push(text);
      return;
    }
    if (trimmed === INVENTORY_BEGIN) {
      this.block = [];
      return;
    }
    const found = FOUND_UPDATE.exec(text);
    if (found) {
      const title = found[1]!.replace(/;\s*Info:.*$/, "").replace(/^\((.*)\)$/, "$1");
      if (!this.titles.has(title)) {
        const kb = KB.exec(title);
        this.titles.set(title, kb ? { kb: `KB${kb[1]}`, title } : { title });
      }
    }
  }

  /** The updates found and installed, each once, in log order. */
  get updates(): WindowsUpdateInstalled[] {
    return [...this.titles.values()];
  }

  /** The inventory block, when a complete one was printed. */
  get inventory(): Inventory | undefined {
    return this.finished && parseInventory(this.finished);
  }
}

/** The facts of a whole customization.log. */
export function factsOfLog(text: string): { updates: WindowsUpdateInstalled[]; inventory?: Inventory } {
  const facts = new LogFacts();
  for (const line of text.split("\n")) facts.line(line);
  const inventory = facts.inventory;
  return { updates: facts.updates, ...(inventory ? { inventory } : {}) };
}

/** Parses the lines of an inventory block (`os`, `app`, `hotfix`, `appx` records, tab-separated). */
export function parseInventory(lines: readonly string[]): Inventory {
  const inventory: Inventory = { applications: [], hotfixes: [], appx: [] };
  for (const line of lines) {
    const [kind, a = "", b = "", c = "", d = ""] = line
      .trim()
      .split("\t")
      .map((f) => f.trim());
    if (kind === "os") inventory.os = { productName: a, displayVersion: b, build: c, ubr: d };
    else if (kind === "app" && a) inventory.applications.push({ name: a, version: b, publisher: c });
    else if (kind === "hotfix" && a) inventory.hotfixes.push({ kb: a, description: b });
    else if (kind === "appx" && a) inventory.appx.push({ name: a, version: b });
  }
  return inventory;
}
