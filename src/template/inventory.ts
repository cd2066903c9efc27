/**
 * The `inventory` customizer: one PowerShell step, after every other customizer and before admin sysprep,
 * that prints what the image holds between two markers — the OS build and UBR, the installed applications
 * (the uninstall registry keys, 64- and 32-bit: display name, version, publisher; system components and
 * updates left out), the installed hotfixes (`Get-HotFix`) and the provisioned Appx packages
 * (`Get-AppxProvisionedPackage -Online`) — one tab-separated record a line, so the action reads it from
 * the live customization.log (src/changelog/log-facts.ts) into the manifest and the changelog.
 * Read-only: it changes nothing in the image.
 */
import type { ImageTemplatePowerShellCustomizer } from "@azure/arm-imagebuilder";
import { INVENTORY_BEGIN, INVENTORY_END } from "../changelog/log-facts.ts";

/** The customizer's name in the template. */
export const INVENTORY_CUSTOMIZER_NAME = "avd-image-action-inventory";

/** The inventory step (runs elevated as SYSTEM, like the other steps; never fails the build). */
export function inventoryCustomizer(): ImageTemplatePowerShellCustomizer {
  return {
    type: "PowerShell",
    name: INVENTORY_CUSTOMIZER_NAME,
    inline: [
      "$ErrorActionPreference = 'Continue'",
      "function Out-Record { param([string[]]$Fields) Write-Output (($Fields | ForEach-Object { ([string]$_ -replace '[\\t\\r\\n]+', ' ').Trim() }) -join \"`t\") }",
      `Write-Output '${INVENTORY_BEGIN}'`,
      "$cv = Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'",
      "Out-Record 'os', (Get-CimInstance -ClassName Win32_OperatingSystem).Caption, $cv.DisplayVersion, $cv.CurrentBuildNumber, $cv.UBR",
      "$keys = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*', 'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'",
      "Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue | Where-Object { $_.DisplayName -and $_.SystemComponent -ne 1 -and -not $_.ParentKeyName } | Sort-Object -Property DisplayName -Unique | ForEach-Object { Out-Record 'app', $_.DisplayName, $_.DisplayVersion, $_.Publisher }",
      "Get-HotFix -ErrorAction SilentlyContinue | Sort-Object -Property HotFixID | ForEach-Object { Out-Record 'hotfix', $_.HotFixID, $_.Description }",
      "Get-AppxProvisionedPackage -Online -ErrorAction SilentlyContinue | Sort-Object -Property DisplayName | ForEach-Object { Out-Record 'appx', $_.DisplayName, $_.Version }",
      `Write-Output '${INVENTORY_END}'`,
    ],
    runElevated: true,
    runAsSystem: true,
  };
}
