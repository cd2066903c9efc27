<#
.SYNOPSIS
  The demo's own image customization, kept in the repository and run by avd-image-action as a
  repository script (`scripts: demo/scripts/Install-Apps.ps1`), elevated as SYSTEM on the build VM.
.NOTES
  Without `scripts-storage-account` the action inlines it into the template (it is small); with one,
  it is uploaded and downloaded by the build VM with its SHA-256. Either way, changing a byte of this
  file makes the next run build a new image template.
#>
$ErrorActionPreference = 'Stop'

function Set-Policy([string] $Path, [string] $Name, [object] $Value, [string] $Type = 'DWord') {
    if (-not (Test-Path -Path $Path)) { New-Item -Path $Path -Force | Out-Null }
    New-ItemProperty -Path $Path -Name $Name -Value $Value -PropertyType $Type -Force | Out-Null
    Write-Host "$Path\$Name = $Value"
}

# Microsoft Edge: no first-run wizard, no startup boost on pooled session hosts.
Set-Policy 'HKLM:\SOFTWARE\Policies\Microsoft\Edge' 'HideFirstRunExperience' 1
Set-Policy 'HKLM:\SOFTWARE\Policies\Microsoft\Edge' 'StartupBoostEnabled' 0

# Faster first sign-in: no first-logon animation.
Set-Policy 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' 'EnableFirstLogonAnimation' 0

# Where the image came from, for support.
Set-Policy 'HKLM:\SOFTWARE\Contoso\AVD' 'ImageBuiltBy' 'avd-image-action' 'String'
Set-Policy 'HKLM:\SOFTWARE\Contoso\AVD' 'ImageBuiltOn' (Get-Date -Format 'yyyy-MM-dd') 'String'

Write-Host 'Contoso customization applied'
