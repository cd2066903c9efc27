/** Waiting for and counting build requests in an emulator, shared by the GitHub and Azure DevOps tests. */
import { setTimeout as sleep } from "node:timers/promises";
import type { AvdDefaults, Emulator } from "../../emulator/index.ts";

interface Target {
  emu: Emulator;
  avd: AvdDefaults;
}

/** Resolves with the template's name once the emulator reports a running build (gives up after 15 s). */
export async function buildRunning({ emu, avd }: Target): Promise<string> {
  for (let i = 0; i < 300; i += 1) {
    const running = emu
      .listImageTemplates(avd.subscriptionId, avd.resourceGroup)
      .find((t) => (t.properties as { lastRunStatus?: { runState?: string } }).lastRunStatus?.runState === "Running");
    if (running) return running.name as string;
    await sleep(50);
  }
  throw new Error("no build started");
}

/** POST …/cancel requests the emulator received. */
export const cancelRequests = ({ emu }: Target) => emu.writeRequests().filter((r) => r.method === "POST" && /\/cancel$/i.test(r.path));

/** DELETE requests on image templates the emulator received. */
export const templateDeletes = ({ emu }: Target) => emu.writeRequests().filter((r) => r.method === "DELETE" && /imageTemplates/i.test(r.path));
