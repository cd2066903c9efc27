/**
 * For benchmarks that drive the action's own modules in this process (not the bundle): an emulator
 * trusted by this process, seeded with the AVD defaults, the run's settings, and a credential.
 */
import tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { type AvdDefaults, type Emulator, type StartEmulatorOptions, startEmulator } from "../emulator/index.ts";
import { emulatorInputs } from "../harness/inputs.ts";
import { type InputName, type Settings, parseSettings } from "../src/settings/index.ts";

export interface InProcess {
  emu: Emulator;
  avd: AvdDefaults;
  settings: Settings;
  credential: ClientSecretCredential;
}

/** Starts the emulator with `options` and parses the settings of a run at it with `extra` inputs. */
export async function startInProcess(options: StartEmulatorOptions, extra: Record<string, string> = {}): Promise<InProcess> {
  const emu = await startEmulator(options);
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), emu.caCertPem]);
  const avd = emu.seedAvdDefaults();
  const inputs = emulatorInputs(emu, avd, extra);
  const settings = parseSettings((name: InputName) => inputs[name] ?? "");
  const credential = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, emu.defaults.clientSecret, {
    authorityHost: emu.url,
    disableInstanceDiscovery: true,
  });
  return { emu, avd, settings, credential };
}
