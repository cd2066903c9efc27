/**
 * The Windows client safety steps: what makes sysprep (and so every Image Builder capture) fail on
 * Windows 10/11 marketplace images, fixed as Image Builder customizers (Microsoft.VirtualMachineImages
 * api-version 2025-10-01 `PowerShell` customizers, inline, elevated as SYSTEM).
 *
 * - BitLocker: Windows 11 25H2 marketplace images come with BitLocker device encryption on, and
 *   sysprep/capture fails while a volume is encrypted. The first step sets `PreventDeviceEncryption`
 *   (DWORD 1 under `HKLM\SYSTEM\CurrentControlSet\Control\BitLocker`, Microsoft's documented switch, so
 *   session hosts made from the image do not encrypt themselves again) and turns BitLocker off on every
 *   volume; a step just before sysprep waits until every volume is fully decrypted.
 * - Appx: sysprep fails with "package … was installed for a user, but not provisioned for all users"
 *   (typically Store updates during the build). The step before sysprep removes every package installed
 *   for a user whose family is not provisioned (frameworks, system and non-removable packages left alone).
 *
 * Pure. The steps are customizers, so switching them on or off (or changing them) changes the template hash.
 */
import type { ImageTemplatePowerShellCustomizer } from "@azure/arm-imagebuilder";
import type { ImageSource } from "../settings/types.ts";

/** Names of the safety customizers (as they appear in the template and the build log). */
export const SAFETY_STEP_NAMES = {
  bitLockerOff: "safety-bitlocker-off",
  waitForDecryption: "safety-wait-for-bitlocker-decryption",
  removeUserAppx: "safety-remove-per-user-appx",
} as const;

/** Longest wait for BitLocker decryption before the build fails (minutes). */
export const DECRYPTION_TIMEOUT_MINUTES = 90;

const BITLOCKER_OFF = [
  "$ErrorActionPreference = 'Stop'",
  "$key = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\BitLocker'",
  "if (-not (Test-Path -Path $key)) { New-Item -Path $key -Force | Out-Null }",
  "New-ItemProperty -Path $key -Name 'PreventDeviceEncryption' -PropertyType DWord -Value 1 -Force | Out-Null",
  "Write-Host 'PreventDeviceEncryption = 1: device encryption stays off on session hosts made from this image.'",
  "if (-not (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue)) { Write-Host 'BitLocker is not installed: nothing to turn off.'; return }",
  "foreach ($volume in Get-BitLockerVolume) {",
  "  if ($volume.VolumeStatus -eq 'FullyDecrypted') { continue }",
  '  Write-Host "Turning BitLocker off on $($volume.MountPoint) ($($volume.VolumeStatus), $($volume.EncryptionPercentage)% encrypted)."',
  '  try { Disable-BitLocker -MountPoint $volume.MountPoint | Out-Null } catch { Write-Warning "Disable-BitLocker $($volume.MountPoint): $($_.Exception.Message)" }',
  "}",
];

const WAIT_FOR_DECRYPTION = [
  "$ErrorActionPreference = 'Stop'",
  "if (-not (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue)) { Write-Host 'BitLocker is not installed: nothing to wait for.'; return }",
  `$deadline = (Get-Date).AddMinutes(${DECRYPTION_TIMEOUT_MINUTES})`,
  "while ($true) {",
  "  $pending = @(Get-BitLockerVolume | Where-Object { $_.VolumeStatus -ne 'FullyDecrypted' })",
  "  if ($pending.Count -eq 0) { Write-Host 'Every volume is fully decrypted: sysprep can run.'; break }",
  "  foreach ($volume in $pending) {",
  "    if ($volume.VolumeStatus -in @('FullyEncrypted', 'EncryptionInProgress', 'EncryptionPaused', 'DecryptionPaused')) {",
  '      try { Disable-BitLocker -MountPoint $volume.MountPoint | Out-Null } catch { Write-Warning "Disable-BitLocker $($volume.MountPoint): $($_.Exception.Message)" }',
  "    }",
  '    Write-Host "Waiting for $($volume.MountPoint): $($volume.VolumeStatus), $($volume.EncryptionPercentage)% encrypted."',
  "  }",
  `  if ((Get-Date) -gt $deadline) { throw 'BitLocker decryption did not finish within ${DECRYPTION_TIMEOUT_MINUTES} minutes: sysprep would fail on an encrypted volume.' }`,
  "  Start-Sleep -Seconds 30",
  "}",
];

const REMOVE_PER_USER_APPX = [
  '$provisioned = @(Get-AppxProvisionedPackage -Online | ForEach-Object { "$($_.DisplayName)_$($_.PublisherId)" })',
  "$removed = 0",
  "foreach ($package in Get-AppxPackage -AllUsers) {",
  "  if ($package.IsFramework -or $package.NonRemovable -or $package.SignatureKind -eq 'System') { continue }",
  "  if ($provisioned -contains $package.PackageFamilyName) { continue }",
  "  try {",
  "    Remove-AppxPackage -Package $package.PackageFullName -AllUsers -ErrorAction Stop",
  '    Write-Host "Removed $($package.PackageFullName): installed for a user, not provisioned (sysprep would fail on it)."',
  "    $removed++",
  '  } catch { Write-Warning "Could not remove $($package.PackageFullName): $($_.Exception.Message)" }',
  "}",
  'Write-Host "Per-user Appx packages removed: $removed"',
];

function inline(name: string, lines: string[]): ImageTemplatePowerShellCustomizer {
  return { type: "PowerShell", name, inline: [...lines], runElevated: true, runAsSystem: true };
}

/**
 * The safety customizers: `first` goes before every other customizer (decryption then runs while the
 * build goes on), `beforeSysprep` after Windows Update and its restart, just before admin sysprep (the
 * last customizer) and Image Builder's own sysprep.
 */
export function safetyCustomizers(): { first: ImageTemplatePowerShellCustomizer[]; beforeSysprep: ImageTemplatePowerShellCustomizer[] } {
  return {
    first: [inline(SAFETY_STEP_NAMES.bitLockerOff, BITLOCKER_OFF)],
    beforeSysprep: [inline(SAFETY_STEP_NAMES.waitForDecryption, WAIT_FOR_DECRYPTION), inline(SAFETY_STEP_NAMES.removeUserAppx, REMOVE_PER_USER_APPX)],
  };
}

/** Marketplace offers of Windows client (desktop) images. */
const CLIENT_OFFERS = /^(windows-11|windows-10|office-365|windows-ent-cpc|windows11preview|windows-10-.*|windows-11-.*)$/i;
/** Marketplace SKUs of Windows client images (multi-session AVD, Windows 10/11). */
const CLIENT_SKUS = /(avd|win11|win10|win-11|win-10|evd)/i;

/**
 * Whether the safety steps apply to `source` when the `safety-steps` input is `auto`:
 * - marketplace: yes for Windows client images — publisher `MicrosoftWindowsDesktop`, offers
 *   `windows-11`, `windows-10`, `office-365` (and the like), or a SKU with `avd`, `win11`, `win10`;
 *   no for anything else (e.g. `MicrosoftWindowsServer`);
 * - gallery image version or managed image: yes (their OS cannot be told from the ID; an AVD golden
 *   image is a client image, and on a server without BitLocker the steps do nothing).
 */
export function isWindowsClientSource(source: ImageSource): boolean {
  if (source.kind !== "marketplace") return true;
  if (/^MicrosoftWindowsServer$/i.test(source.publisher)) return false;
  return /^MicrosoftWindowsDesktop$/i.test(source.publisher) || CLIENT_OFFERS.test(source.offer) || CLIENT_SKUS.test(source.sku);
}

/**
 * The `safety-steps` input resolved: `auto` is on for a Windows client source (`isWindowsClientSource`),
 * and when the source is not known (it was invalid, reported elsewhere); `true`/`false` as given
 * (undefined, an invalid value already reported, counts as off).
 */
export function resolveSafetySteps(value: "auto" | "true" | "false" | undefined, source: ImageSource | undefined): boolean {
  if (value === "auto") return source ? isWindowsClientSource(source) : true;
  return value === "true";
}
