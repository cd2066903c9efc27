/**
 * What the emulated build VM "installs": the Windows updates the Windows Update customizer finds and the
 * inventory an inventory customizer prints — test knobs (`emu.setImageContent`), with realistic defaults.
 *
 * Line shapes:
 * - Windows Update: AIB's `WindowsUpdate` customizer is packer's windows-update provisioner
 *   (rgl/packer-plugin-windows-update, update/windows-update.ps1): `Searching for Windows updates...`,
 *   one `Found Windows update (<yyyy-MM-dd>; <size> MB): <title>` per update queued,
 *   `Downloading Windows updates (<n> updates; <size> MB)...`, `Installing Windows updates...`, then after
 *   the restart another search that ends `No Windows updates found`.
 * - Inventory: the block the action's inventory customizer prints between its markers
 *   (src/template/inventory.ts): `os`, `app`, `hotfix`, `appx` records, fields separated by tabs.
 */

/** A Windows update the emulated Windows Update finds (and installs). */
export interface EmulatedUpdate {
  title: string;
  /** `yyyy-MM-dd` (the update's LastDeploymentChangeTime). */
  date: string;
  sizeMb: number;
}

/** What the emulated build VM holds and installs. */
export interface ImageContent {
  updates: EmulatedUpdate[];
  os: { productName: string; displayVersion: string; build: string; ubr: string };
  applications: { name: string; version: string; publisher: string }[];
  hotfixes: { kb: string; description: string }[];
  appx: { name: string; version: string }[];
}

/** Markers of the inventory block (the same text as src/changelog/log-facts.ts). */
export const INVENTORY_MARKERS = { begin: "AVD-IMAGE-ACTION INVENTORY BEGIN", end: "AVD-IMAGE-ACTION INVENTORY END" } as const;

/** A Windows 11 24H2 multi-session + Microsoft 365 build after a Patch Tuesday (June 2025 titles and KBs). */
export function defaultImageContent(): ImageContent {
  return {
    updates: [
      { title: "2025-06 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5060842)", date: "2025-06-10", sizeMb: 4187.26 },
      {
        title: "2025-06 Cumulative Update for .NET Framework 3.5 and 4.8.1 for Windows 11, version 24H2 for x64 (KB5056580)",
        date: "2025-06-10",
        sizeMb: 72.4,
      },
      { title: "Windows Malicious Software Removal Tool x64 - v5.137 (KB890830)", date: "2025-06-10", sizeMb: 80.9 },
    ],
    os: { productName: "Windows 11 Enterprise multi-session", displayVersion: "24H2", build: "26100", ubr: "4349" },
    applications: [
      { name: "Microsoft 365 Apps for enterprise - en-us", version: "16.0.18827.20150", publisher: "Microsoft Corporation" },
      { name: "Microsoft Edge", version: "137.0.3296.68", publisher: "Microsoft Corporation" },
      { name: "Microsoft FSLogix Apps", version: "2.9.8884.27471", publisher: "Microsoft Corporation" },
      { name: "Remote Desktop WebRTC Redirector Service", version: "1.54.2408.19001", publisher: "Microsoft Corporation" },
    ],
    hotfixes: [
      { kb: "KB5054979", description: "Update" },
      { kb: "KB5060842", description: "Security Update" },
    ],
    appx: [
      { name: "Microsoft.WindowsCalculator", version: "11.2502.2.0" },
      { name: "Microsoft.WindowsTerminal", version: "1.22.11141.0" },
    ],
  };
}

/** The output lines (packer's text after `azure-arm: `) of one Windows Update customizer run; `pending` is consumed. */
export function windowsUpdateOutput(pending: EmulatedUpdate[]): { out: string[]; restartThenSearchAgain: boolean } {
  const out = ["Searching for Windows updates..."];
  if (pending.length === 0) return { out: [...out, "No Windows updates found"], restartThenSearchAgain: false };
  for (const u of pending) out.push(`Found Windows update (${u.date}; ${u.sizeMb.toFixed(2)} MB): ${u.title}`);
  const total = pending.reduce((sum, u) => sum + u.sizeMb, 0);
  out.push(`Downloading Windows updates (${pending.length} updates; ${total.toFixed(2)} MB)...`, "Installing Windows updates...");
  pending.length = 0;
  return { out, restartThenSearchAgain: true };
}

/** The inventory block's lines, markers included. */
export function inventoryOutput(content: ImageContent): string[] {
  const tab = (...fields: string[]) => fields.join("\t");
  return [
    INVENTORY_MARKERS.begin,
    tab("os", content.os.productName, content.os.displayVersion, content.os.build, content.os.ubr),
    ...content.applications.map((a) => tab("app", a.name, a.version, a.publisher)),
    ...content.hotfixes.map((h) => tab("hotfix", h.kb, h.description)),
    ...content.appx.map((a) => tab("appx", a.name, a.version)),
    INVENTORY_MARKERS.end,
  ];
}
