/** The customizer a part of customization.log belongs to (shared by the live log printer and the stuck-build detector). */
import type { NamedStep } from "./log-lines.ts";

/** The customizer a part of the log belongs to. */
export interface LogSection {
  /** Packer provisioner type, e.g. `powershell`, `windows-update`. */
  provisioner: string;
  /** 1-based count of `(telemetry) Starting provisioner` lines up to this one. */
  ordinal: number;
  /** Title of the AVD built-in script running in it, if any. */
  avd?: string;
  /** The template's customizer (or validator, or Image Builder's own step) this provisioner is, when the template is known. */
  step?: NamedStep;
}

/**
 * Name of a section for people: by the template's name for it when known —
 * `inline-script (PowerShell, customizer 23 of 29)`,
 * `avdBuiltInScript_installLanguagePacks-parameter: Install Language packs (AVD script; PowerShell, customizer 3 of 29)`,
 * `Image Builder's deprovisioning (Sysprep), after the template's 29 steps` — else by packer's
 * provisioner: `Install Language packs (AVD script, provisioner 2: powershell)`.
 */
export function describeSection(section: LogSection): string {
  const step = section.step;
  if (step) {
    if (step.kind === "image-builder") return `Image Builder's ${step.name}, after the template's ${step.total} steps`;
    const where = `${step.type}${step.kind === "validator" ? " validator" : ""}, ${step.kind} ${step.index} of ${step.total}`;
    return section.avd ? `${step.name}: ${section.avd} (AVD script; ${where})` : `${step.name} (${where})`;
  }
  return section.avd
    ? `${section.avd} (AVD script, provisioner ${section.ordinal}: ${section.provisioner})`
    : `${section.provisioner} (provisioner ${section.ordinal} in customization.log)`;
}
