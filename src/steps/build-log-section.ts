/** The customizer a part of customization.log belongs to (shared by the live log printer and the stuck-build detector). */

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
