/**
 * The AVD built-in steps as Image Builder customizers, laid out as the AVD portal's "custom image
 * templates" lay them out (Microsoft.VirtualMachineImages api-version 2025-10-01: File, PowerShell,
 * WindowsUpdate and WindowsRestart customizers). Pure.
 */
import type {
  ImageTemplateCustomizerUnion,
  ImageTemplateFileCustomizer,
  ImageTemplatePowerShellCustomizer,
  ImageTemplateRestartCustomizer,
  ImageTemplateWindowsUpdateCustomizer,
} from "@azure/arm-imagebuilder";
import { type WindowsUpdateOptions, windowsUpdateCustomizer } from "../template/windows-update.ts";
import { ADMIN_SYSPREP_ID, AVD_STEPS, type AvdStepCall } from "./catalog.ts";

/** A PowerShell single-quoted string literal (quote characters doubled, typographic ones included). */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

/** The inline line that calls a downloaded script with its parameters, e.g. `C:\AVDImage\x.ps1 -A 'v1','v2'`. */
export function invocationLine(call: AvdStepCall): string {
  const args = call.params.map((p) => `-${p.name} ${Array.isArray(p.value) ? p.value.map(psQuote).join(",") : psQuote(p.value)}`);
  return [call.step.destination!, ...args].join(" ");
}

/**
 * The customizers of the AVD built-in steps, as the portal lays them out, in the portal's order
 * (whatever order `calls` has):
 * - a script with parameters: a `File` customizer downloading the pinned URL (with its SHA-256) to
 *   `C:\AVDImage\<name>.ps1`, then an inline `PowerShell` step (`<step>-parameter`) calling it;
 * - a script without parameters: a `PowerShell` customizer with the pinned `scriptUri` and its SHA-256;
 * - every PowerShell step elevated as SYSTEM;
 * - after language packs, default language and Windows optimizations: Windows Update (updateLimit 0,
 *   only when `windowsUpdate`; with `windowsUpdateOptions` when given) and a restart (`<step>-windowsUpdate`,
 *   `<step>-windowsRestart`).
 *
 * `adminSysPrep` is returned apart (`last`): it rewrites Image Builder's sysprep command and must be the
 * last customizer of the template.
 */
export function avdStepCustomizers(
  calls: readonly AvdStepCall[],
  options: { windowsUpdate: boolean; windowsUpdateOptions?: WindowsUpdateOptions },
): { steps: ImageTemplateCustomizerUnion[]; last: ImageTemplateCustomizerUnion[] } {
  const steps: ImageTemplateCustomizerUnion[] = [];
  const last: ImageTemplateCustomizerUnion[] = [];
  const ordered = [...calls].sort((a, b) => AVD_STEPS.indexOf(a.step) - AVD_STEPS.indexOf(b.step));
  for (const call of ordered) {
    const { step } = call;
    const out = step.script.id === ADMIN_SYSPREP_ID ? last : steps;
    if (step.destination) {
      const file: ImageTemplateFileCustomizer = {
        type: "File",
        name: step.stepName,
        sourceUri: step.script.pinnedRawUrl!,
        sha256Checksum: step.script.sha256!,
        destination: step.destination,
      };
      const invoke: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: `${step.stepName}-parameter`,
        inline: [invocationLine(call)],
        runElevated: true,
        runAsSystem: true,
      };
      out.push(file, invoke);
    } else {
      const script: ImageTemplatePowerShellCustomizer = {
        type: "PowerShell",
        name: step.stepName,
        scriptUri: step.script.pinnedRawUrl!,
        sha256Checksum: step.script.sha256!,
        runElevated: true,
        runAsSystem: true,
      };
      out.push(script);
    }
    if (step.restart) {
      if (options.windowsUpdate) {
        const name = `${step.stepName}-windowsUpdate`;
        const update: ImageTemplateWindowsUpdateCustomizer = options.windowsUpdateOptions
          ? windowsUpdateCustomizer(name, options.windowsUpdateOptions)
          : { type: "WindowsUpdate", name, updateLimit: 0 };
        out.push(update);
      }
      const restart: ImageTemplateRestartCustomizer = {
        type: "WindowsRestart",
        name: `${step.stepName}-windowsRestart`,
        ...(step.restart.restartTimeout ? { restartTimeout: step.restart.restartTimeout } : {}),
      };
      out.push(restart);
    }
  }
  return { steps, last };
}
