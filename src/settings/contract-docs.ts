/**
 * The action's public contract, text half: what users read about each input, per place it is shown
 * (the outputs' texts are in `contract.ts`, beside their names). The structure (names, defaults, required flags, hosts, the task's form fields) is in
 * `contract.ts`; `npm run contract` writes both into action.yml, task.json and README.md.
 *
 * Not bundled: only scripts/contract.ts and the tests import this file, so none of this text weighs on
 * the run's start-up.
 */
import type { InputEntry } from "./contract.ts";

/** The texts of an input of both hosts. */
export interface InputDocs {
  /** action.yml `description`: plain text, kebab-case input names (GitHub shows it in the workflow editor). */
  readonly action: string;
  /** task.json `helpMarkDown` (Markdown, camelCase input names), when it is not `action`. */
  readonly ado?: string;
  /** The README Inputs table's description (Markdown, kebab-case), when it is not `action`. */
  readonly readme?: string;
  /** The README Inputs table's default column, when it is not the default itself in backticks (or "(required)"). */
  readonly readmeDefault?: string;
}

/** The texts of an input of one host only, with the reason it has no twin on the other. */
export type OneHostDocs<Host extends "github" | "ado"> = (Host extends "github" ? Omit<InputDocs, "ado"> : { readonly ado: string }) & {
  /** Why the other host has no such input (for maintainers: not rendered). */
  readonly why: string;
};

/** The texts an input of `INPUTS` needs, by where it exists. */
type DocsOf<I> = I extends { host: "github" } ? OneHostDocs<"github"> : I extends { host: "ado" } ? OneHostDocs<"ado"> : InputDocs;

/** The texts of every input of `INPUTS`, by canonical name: an input there without its texts here does not typecheck. */
export const INPUT_DOCS: { readonly [I in InputEntry as I["name"]]: DocsOf<I> } = {
  "azure-subscription": {
    ado: "The Azure Resource Manager service connection the task authenticates with: workload identity federation (recommended), a service principal with a secret or a certificate, or a managed identity. Its identity needs Contributor on the resource group of the image template and on the gallery, and Managed Identity Operator on the Image Builder identity.",
    why: "the Azure Resource Manager service connection: Azure DevOps' way to hand a task an identity (and its subscription, cloud and endpoints)",
  },
  "subscription-id": {
    action: "Azure subscription ID (GUID) holding the image template and the build.",
    ado: "Azure subscription ID (GUID) holding the image template and the build. Empty: the service connection's subscription.",
  },
  "resource-group": {
    action: "Resource group of the image template.",
  },
  location: {
    action: "Azure region of the image template and the build, e.g. westeurope.",
    readme: "Azure region of the image template and the build, e.g. `westeurope`.",
  },
  "gallery-name": {
    action: "Azure Compute Gallery that receives the new image version.",
  },
  "image-definition": {
    action: "Gallery image definition that receives the new image version.",
  },
  "gallery-resource-group": {
    action: "Resource group of the gallery. Empty means resource-group.",
    ado: "Resource group of the gallery. Empty means `resourceGroup`.",
    readme: "Resource group of the gallery.",
    readmeDefault: "`resource-group`",
  },
  "identity-id": {
    action: "Resource ID of the user-assigned managed identity Image Builder runs as.",
  },
  source: {
    action:
      "Marketplace image URN publisher:offer:sku:version (version may be latest; it is pinned to the exact version), or the resource ID of a gallery image version (X.Y.Z or latest) or a managed image.",
    readme:
      "Marketplace URN `publisher:offer:sku:version` (`latest` is pinned to the exact version, numerically highest), or the resource ID of a gallery image version (`X.Y.Z` or `latest`) or managed image.",
  },
  "inline-script": {
    action: "PowerShell run in the build VM, elevated as SYSTEM (multi-line).",
  },
  "script-uris": {
    action: "PowerShell scripts the build VM downloads and runs, one https URL a line, optionally followed by a space and its SHA-256.",
    readme:
      "Scripts the build VM downloads and runs: one `https://…` URL a line, optionally followed by a space and its SHA-256. A line without one is read before anything is written (Azure Blob Storage URLs with the run's Azure credential, which needs 'Storage Blob Data Reader'; others anonymously) and its SHA-256 pinned in the template: a script changed in place gives a new template. An unreadable URL stops the run, naming it. See [Scripts pinned by content](#scripts-pinned-by-content).",
  },
  "windows-update": {
    action: "Install Windows updates (previews excluded), then restart.",
  },
  "windows-update-search-criteria": {
    action:
      "Windows Update search of the action's Windows Update steps (Windows Update Agent syntax, e.g. \"IsInstalled=0 and Type='Software'\" to leave drivers out).",
    ado: "Windows Update search of the task's Windows Update steps (Windows Update Agent syntax, e.g. \"IsInstalled=0 and Type='Software'\" to leave drivers out).",
    readme:
      "The Windows Update search of the action's Windows Update steps ([Windows Update Agent syntax](https://learn.microsoft.com/windows/win32/api/wuapi/nf-wuapi-iupdatesearcher-search): `IsInstalled=0 and Type='Software'` leaves drivers out), checked before the build. See [Windows Update options](#windows-update-options).",
  },
  "windows-update-filters": {
    action:
      "Filters of the updates found, one a line, the first that matches decides - 'exclude:<PowerShell expression>' or 'include:<expression>' on $_ (the update), e.g. exclude:$_.Title -like '*KB5034441*'; end with include:$true (multi-line).",
    ado: "Filters of the updates found, one a line, the first that matches decides: 'exclude:<PowerShell expression>' or 'include:<expression>' on $_ (the update), e.g. exclude:$_.Title -like '*KB5034441*'; end with include:$true (multi-line).",
    readme:
      "Which of the updates found are installed, one filter a line, the first that matches decides: `exclude:<PowerShell expression>` or `include:<expression>` on `$_`, the update (e.g. `exclude:$_.Title -like '*KB5034441*'`). Replaces the default list: keep its two lines to still exclude previews (multi-line).",
  },
  "windows-update-limit": {
    action: "Updates installed at a time before a restart, 1-1000 (0 - Image Builder's default, 1000).",
    ado: "Updates installed at a time before a restart, 1-1000 (0: Image Builder's default, 1000).",
    readme: "Updates installed at a time before a restart, 1–1000 (`0`: Image Builder's default, 1000).",
  },
  "avd-steps": {
    action:
      'AVD built-in steps of the portal\'s custom image templates, one a line, e.g. "language-packs: English (United Kingdom), German (Germany)", "fslogix: ProfilePath=\\\\server\\profiles VHDSize=30000", teams-optimization, "windows-optimization: All", admin-sysprep. Laid out in the portal\'s order with pinned, checksummed script URLs; parameters are checked before any Azure call. The README lists every step.',
    ado: "AVD built-in steps of the portal's custom image templates, one a line, e.g. `language-packs: English (United Kingdom), German (Germany)`, `fslogix: ProfilePath=\\\\server\\profiles VHDSize=30000`, `teams-optimization`, `windows-optimization: All`, `admin-sysprep`. Laid out in the portal's order with pinned, checksummed script URLs; parameters are checked before any Azure call.",
    readme:
      "AVD built-in steps of the portal's custom image templates, one a line (`language-packs: English (United Kingdom)`, `fslogix: ProfilePath=\\\\server\\profiles`, `admin-sysprep`, …): see [AVD built-in steps](#avd-built-in-steps).",
  },
  "safety-steps": {
    action:
      "Windows client safety steps - BitLocker off and decrypted before sysprep, PreventDeviceEncryption set, per-user Appx packages that break sysprep removed. auto (on for Windows client sources), true or false.",
    ado: "BitLocker off and decrypted before sysprep, PreventDeviceEncryption set, per-user Appx packages that break sysprep removed. `auto`: on for Windows client sources.",
    readme:
      "Windows client safety steps: BitLocker off and decrypted before sysprep, `PreventDeviceEncryption` set, per-user Appx packages that break sysprep removed. `auto`: on for Windows client sources; `true`; `false`. See [Windows 11 safety steps](#windows-11-safety-steps).",
  },
  inventory: {
    action:
      "Add one last PowerShell customizer before sysprep that prints the image's OS build and UBR, installed applications, hotfixes and provisioned Appx packages; the action reads them from the build log into the manifest and the changelog (applications added, removed, upgraded). Changes nothing in the image.",
    ado: "Add one last PowerShell customizer before sysprep that prints the image's OS build and UBR, installed applications, hotfixes and provisioned Appx packages; the task reads them from the build log into the manifest and the changelog (applications added, removed, upgraded). Changes nothing in the image.",
    readme:
      "One last PowerShell customizer before sysprep (admin sysprep stays last) prints the image's OS build and UBR, installed applications (uninstall keys: name, version, publisher), hotfixes and provisioned Appx packages; the action reads them from the live build log into the manifest, and the changelog lists applications added, removed and upgraded. Changes nothing in the image. See [Changelog and manifest](#changelog-and-manifest).",
  },
  "template-file": {
    action:
      "JSON or YAML file in the repository (relative to its root) with Image Builder template properties (source, customize, validate, optimize, vmProfile, errorHandling ...), checked against the Image Builder schema. An input that differs from its default overrides the file's value.",
    readme:
      "JSON or YAML file in the repository with Image Builder template properties (`source`, `customize`, `validate`, `optimize`, `vmProfile`, `errorHandling`, …), checked against the Image Builder schema before any Azure call. See [Template file](#template-file).",
  },
  scripts: {
    action:
      'Repository scripts and files, one path or glob a line (relative to the repository root). .ps1 files run elevated as SYSTEM; other files (or a line ending in "=> C:\\folder\\") are copied to the build VM. Uploaded to scripts-storage-account, or inlined without one (PowerShell up to 64 KiB).',
    ado: "Repository scripts and files, one path or glob a line (relative to the repository root). `.ps1` files run elevated as SYSTEM; other files (or `path => C:\\folder\\`) are copied to the build VM. Uploaded to the scripts storage account, or inlined without one (PowerShell up to 64 KiB).",
    readme:
      "Repository scripts and files, one path or glob a line (relative to the repository root); `.ps1` files run, other files (or `path => C:\\folder\\`) are copied. See [Repository scripts](#repository-scripts).",
  },
  "scripts-storage-account": {
    action:
      "Storage account (name, or blob endpoint URL) that repository scripts are uploaded to; the image template's identity reads them with Storage Blob Data Reader (no SAS).",
    readme:
      "Storage account (name, or blob endpoint URL) repository scripts are uploaded to; the image template's identity reads them (no SAS). Empty: PowerShell scripts up to 64 KiB are inlined into the template.",
  },
  "scripts-container": {
    action: "Blob container for repository scripts in scripts-storage-account (created when missing).",
    ado: "Blob container for repository scripts in the scripts storage account (created when missing).",
    readme: "Blob container for repository scripts (created when missing).",
  },
  "vm-size": {
    action: "Size of the build VM.",
  },
  "os-disk-size-gb": {
    action: "OS disk size of the build VM in GB (0 = the source image's size).",
  },
  "build-timeout-minutes": {
    action: "Image Builder build timeout in minutes, 0 or 6 to 960 (0 = Image Builder's default of 240; 1-5 fail early in Image Builder).",
    readme:
      'Image Builder build timeout in minutes: 0 (Image Builder\'s default, 240) or 6–960. 1–5 are refused: Image Builder fails them early ("client_jwt will expire within 5 minutes"). AVD builds with language packs and Windows Update often run past 120.',
  },
  "subnet-id": {
    action: "Resource ID of an existing subnet to build in (vmProfile.vnetConfig.subnetId), for builds that must reach private resources.",
    readme: "Resource ID of an existing subnet to build in (`vmProfile.vnetConfig.subnetId`), for builds that reach private resources.",
  },
  "proxy-vm-size": {
    action: "Size of the proxy VM Image Builder deploys in subnet-id (empty uses Image Builder's default, Standard_A1_v2).",
    ado: "Size of the proxy VM Image Builder deploys in the subnet (empty: Image Builder's default, Standard_A1_v2).",
    readme: "Size of the proxy VM Image Builder deploys in `subnet-id` (empty: `Standard_A1_v2`). Not with `container-instance-subnet-id`.",
  },
  "container-instance-subnet-id": {
    action: "Resource ID of a subnet on the same virtual network as subnet-id, delegated to Azure Container Instances, for isolated builds without a proxy VM.",
    ado: "Resource ID of a subnet on the same virtual network as the subnet, delegated to Azure Container Instances, for isolated builds without a proxy VM.",
    readme: "Subnet on the virtual network of `subnet-id`, delegated to Azure Container Instances: an isolated build without a proxy VM.",
  },
  "staging-resource-group": {
    action: "Resource group (name or ID, in the subscription) Image Builder builds in; empty or not existing yet. Empty lets Image Builder make one.",
    readme:
      "Resource group (name or ID, in the subscription) Image Builder builds in; it must be empty or not exist yet, and not be `resource-group` or the gallery's. Empty: Image Builder makes `IT_…`.",
  },
  "managed-resource-tags": {
    action:
      "Tags Image Builder puts on the staging resource group and the resources it creates there (managedResourceTags), for policies that require tags; one key=value a line.",
    ado: "Tags Image Builder puts on the staging resource group and the resources it creates there (`managedResourceTags`), for policies that require tags; one key=value a line.",
    readme:
      "Tags Image Builder puts on the staging resource group and the resources it creates there (`managedResourceTags`), one `key=value` a line, for policies that deny untagged resources; added to a template file's own. Part of the template hash (Image Builder cannot patch them).",
  },
  "build-vm-identities": {
    action:
      "Resource IDs of user-assigned managed identities given to the build VM and validation VM (vmProfile.userAssignedIdentities), one a line, for scripts that read private storage or Key Vault; each must exist.",
    ado: "Resource IDs of user-assigned managed identities given to the build VM and validation VM (`vmProfile.userAssignedIdentities`), one a line, for scripts that read private storage or Key Vault; each must exist.",
    readme:
      "User-assigned managed identities given to the build VM and validation VM (`vmProfile.userAssignedIdentities`), one resource ID a line, for scripts that read private storage or Key Vault; each must exist (checked before any write). Image Builder's identity (`identity-id`) assigns them to the build VM and needs Managed Identity Operator (`…/userAssignedIdentities/read`, `…/assign/action`) on each, as Azure Verified Modules' image template module grants; setup's role has both in its own resource group. Overrides a template file's `vmProfile.userAssignedIdentities`; patched on a reused template, not part of its hash.",
  },
  "error-handling": {
    action:
      'What Image Builder does with the build VM when a step fails - cleanup (delete it, the default), abort (keep it to inspect), or per phase "customizer=abort, validation=cleanup".',
    ado: "What Image Builder does with the build VM when a step fails: `cleanup` (delete it, the default), `abort` (keep it to inspect), or per phase `customizer=abort, validation=cleanup`.",
    readme:
      "`cleanup` (Image Builder's default: delete the build VM when a step fails), `abort` (keep it, to inspect it), or per phase `customizer=abort, validation=cleanup`.",
  },
  "validation-script": {
    action:
      "PowerShell run on a VM made from the new image before it is distributed (in-VM validation, elevated as SYSTEM); a failure stops distribution (multi-line).",
    readme:
      "PowerShell run on a VM made from the new image before distribution (`validate.inVMValidations`, elevated as SYSTEM); when it fails, no version is published (multi-line).",
  },
  "optimize-boot": {
    action: "Optimize the image for a faster first boot of the VMs made from it (optimize.vmBoot).",
    readme: "Optimize the image for a faster first boot (`optimize.vmBoot.state: Enabled`).",
  },
  "data-disk-sizes": {
    action: "Sizes in GB of data disks added to the image, comma-separated (e.g. 64, 128).",
    ado: "Sizes in GB of data disks added to the image, comma-separated (e.g. `64, 128`).",
    readme: "Data disks added to the image, sizes in GB, comma-separated (`64, 128`; `additionalDataDisks`).",
  },
  "target-regions": {
    action:
      "Regions the image version is replicated to, one region, region=replicas or region=replicas:StorageType (Standard_LRS, Standard_ZRS, Premium_LRS) a line. Empty means location with 1 replica. Standard_ZRS is refused in a region without availability zones.",
    ado: "Regions the image version is replicated to, one `region`, `region=replicas` or `region=replicas:StorageType` (Standard_LRS, Standard_ZRS, Premium_LRS) a line. Empty means location with 1 replica. Standard_ZRS is refused in a region without availability zones.",
    readme:
      "One `region`, `region=replicas` (1–100) or `region=replicas:StorageType` a line: `westeurope=2:Standard_ZRS` gives that region's replicas their own storage (`Standard_LRS`, `Standard_ZRS`, `Premium_LRS`; Image Builder's `targetRegions[].storageAccountType`). `Standard_ZRS` in a region whose entry in the subscription's location list has no availability zones is refused before any write. The list must hold the image definition's region (the image version is created there): a list without it is refused before any write, naming the region to add.",
    readmeDefault: "the image definition's region, 1 replica",
  },
  "storage-account-type": {
    action: "Storage of the replicas: Standard_LRS, Standard_ZRS or Premium_LRS (a target-regions line may give its own).",
    ado: "Storage of the replicas: Standard_LRS, Standard_ZRS or Premium_LRS (a `targetRegions` line may give its own).",
    readme: "Storage of the replicas: `Standard_LRS`, `Standard_ZRS` or `Premium_LRS`, for every target region that gives none.",
  },
  "replication-mode": {
    action:
      "Full (copy the image version to every replica, Image Builder's default) or Shallow (no copy - ready sooner, for development and validation host pools, not for deploying many VMs at once). Not updatable on a published version.",
    ado: "Full (copy the image version to every replica, Image Builder's default) or Shallow (no copy: ready sooner, for development and validation host pools, not for deploying many VMs at once). Not updatable on a published version.",
    readme:
      "`Full` copies the image version to every replica; `Shallow` skips the copy (ready sooner), for development and validation host pools: Microsoft documents it for dev/test and large images (up to 32 TB), not for deploying many VMs at once. Shallow keeps the version in its own region with one replica (as packer-plugin-azure checks), so `target-regions` must list that one region with 1 replica, or be empty; anything else is refused before any write. Compute cannot change the mode on a published version; promoting a Shallow version keeps it Shallow.",
  },
  "exclude-from-latest": {
    action: 'Publish the version excluded from latest, so VMs deployed from "latest" do not get it yet.',
  },
  "version-strategy": {
    action:
      "How the next version is chosen - patch, minor or major bump the highest existing one (numeric order; 1.0.0 when there is none); date makes YYYY.MM.N, N counting this month's builds from 0.",
    readme:
      "`patch`, `minor` or `major` bump the highest existing version (numeric order; `1.0.0` when there is none); `date` makes `YYYY.MM.N` (UTC), N counting this month's builds from 0.",
  },
  schedule: {
    action:
      "patch-tuesday+N (N 0-14) builds only N days after the second Tuesday of the month (UTC) and exits early with a notice on other days, so a daily or weekly cron builds once a month. Runs started by hand (workflow_dispatch) always build. Empty builds on every run.",
    ado: "`patch-tuesday+N` (N 0-14) builds only N days after the second Tuesday of the month (UTC) and ends early with a notice on other days, so a daily or weekly scheduled pipeline builds once a month. Runs queued by hand (Build.Reason `Manual`) always build. Empty builds on every run.",
    readme:
      "`patch-tuesday+N` (N 0–14): build once per Patch Tuesday cycle, so a daily or weekly cron builds once a month and catches up a dropped day. A cycle runs from its build day, N days after the second Tuesday (UTC midnight), to the next month's build day; before this month's build day the cycle is last month's. A scheduled run builds when no image version of the definition was published since the cycle's build day (failed versions don't count); otherwise it exits early with a notice naming the cycle, the version that covers it and the next build day. Runs started by hand (`workflow_dispatch`) always build; a step with `attach: true` (it only finishes a submitted build) is never skipped. `mode: promote` promotes only on the build day. Empty: every run builds.",
  },
  "skip-if-unchanged": {
    action:
      "Build nothing when the newest image version was built from the same template hash (same pinned source version, scripts and settings); sets the skipped output.",
    readme:
      "Build nothing when the newest image version was built from the same template hash (same pinned source version, scripts and settings); sets `skipped`.",
  },
  "rebuild-after-days": {
    action: "With windows-update on, an unchanged template is still rebuilt once the newest version is this many days old (skip-if-unchanged).",
    ado: "With `windowsUpdate` on, an unchanged template is still rebuilt once the newest version is this many days old (`skipIfUnchanged`).",
    readme: "With `windows-update` on, an unchanged template is still rebuilt once the newest version is this many days old.",
  },
  version: {
    action: "Explicit version X.Y.Z; wins over version-strategy. Refused when it already exists.",
    ado: "Explicit version X.Y.Z; wins over `versionStrategy`. Refused when it already exists.",
    readme: "Explicit `X.Y.Z`; wins over `version-strategy`; refused before building when it exists.",
  },
  tags: {
    action: "Tags added to the new image version, one key=value a line (beside the provenance tags).",
    readme: "Tags added to the new image version, one `key=value` a line.",
  },
  "keep-versions": {
    action: "Retention count - keep the newest N versions (numeric order, the new one included) and delete the rest. 0 = never prune.",
    readme: "Retention count: keep the newest N versions (numeric order, the new one included) and delete the rest; `0` = never prune.",
  },
  "keep-days": {
    action:
      "Retention age - never delete a version younger than this many days (0 = no age limit). A version is deleted only when both keep-versions and keep-days allow it.",
    ado: "Retention age - never delete a version younger than this many days (0 = no age limit). A version is deleted only when both `keepVersions` and `keepDays` allow it.",
    readme:
      "Retention age: never delete a version younger than N days (`0` = no age limit). A version is deleted only when both `keep-versions` and `keep-days` allow it.",
  },
  "prune-foreign": {
    action: "Let retention delete versions this action did not create (no avd-image-action.managed tag).",
    readme: "Let retention delete versions this action did not create (no `avd-image-action.managed=true` tag).",
  },
  "dry-run": {
    action: "Print the plan (template create or reuse, version, deletions) and write nothing.",
  },
  "github-release": {
    action:
      "Publish each new image version as a GitHub release of this repository, tagged image/<definition>/<version>, with the changelog as its body and the manifest attached; the next run reads the previous manifest from it when the previous image template is gone. Needs 'permissions - contents write'. GitHub only.",
    readme:
      "GitHub only. Publish each new image version as a GitHub release of this repository, tagged `image/<definition>/<version>`, with the changelog as its body and the manifest attached (needs `permissions: contents: write`); the next run reads the previous manifest from it when the previous image template is gone. See [Changelog and manifest](#changelog-and-manifest).",
    why: "GitHub releases of the image repository (with the job's token); an Azure DevOps pipeline keeps the manifest as a pipeline artifact instead",
  },
  "github-token": {
    action: "Token for github-release (the job's token by default). GitHub only.",
    readme: "GitHub only. Token `github-release` writes releases with.",
    why: "the token github-release writes releases with; only GitHub has a job token for its repository",
  },
  mode: {
    action:
      "build (build, version, tag, prune) or promote - include a staged version (built with exclude-from-latest true) in latest, the one named in version or else the newest staged one, and write nothing else.",
    ado: "`build` (build, version, tag, prune) or `promote`: include a staged version (built with `excludeFromLatest: true`) in latest, the one named in `version` or else the newest staged one, and write nothing else.",
    readme:
      "`build` (build, version, tag, prune) or `promote`: include a staged version (built with `exclude-from-latest: true`) in latest — the one in `version`, else the newest staged one — and write nothing else.",
  },
  "promote-after-days": {
    action: "With mode promote, promote only a version at least this many days old; a younger one stays staged and the run ends with a notice (0 = any age).",
    ado: "With mode `promote`, promote only a version at least this many days old; a younger one stays staged and the run ends with a notice (0 = any age).",
    readme: "With `mode: promote`, promote only a version at least this many days old; a younger one stays staged and the run ends with a notice.",
  },
  "end-of-life-days": {
    action: "Set each new image version's end-of-life date this many days after the build (0 = none).",
    readme: "Set each new image version's end-of-life date this many days after the build (`0` = none).",
  },
  wait: {
    action:
      "Follow the build to its end. false submits the build and exits with the template name and planned version, for builds longer than the job may run; a later step or job with the same inputs and attach true finishes it.",
    ado: "Follow the build to its end. `false` submits the build and ends with the template name and planned version, for builds longer than the job may run; a later task or job with the same inputs and `attach: true` finishes it.",
    readme:
      "Follow the build to its end. `false` submits it and exits with `template-name` and the planned `image-version`, for builds longer than the job may run; a later step or job with the same inputs and `attach: true` finishes it.",
  },
  attach: {
    action: "Follow the build a previous step submitted with wait false (same inputs), then publish, tag and prune as one uninterrupted run would.",
    ado: "Follow the build a previous task submitted with `wait: false` (same inputs), then publish, tag and prune as one uninterrupted run would.",
    readme: "Follow the build a previous step submitted with `wait: false` (same inputs), then publish, tag and prune as one uninterrupted run would.",
  },
  "client-id": {
    action:
      "Client ID of the Entra ID app or managed identity with a federated credential for this repository (GitHub OIDC; needs permissions id-token write). Empty uses DefaultAzureCredential.",
    readme:
      "Client ID of the Entra ID app / managed identity with a federated credential for the repository (GitHub OIDC, needs `id-token: write`). Empty: `DefaultAzureCredential`.",
    why: "GitHub OIDC identity; on Azure DevOps the identity comes from the azureSubscription service connection",
  },
  "tenant-id": {
    action: "Entra ID tenant ID, with client-id.",
    readme: "Entra ID tenant ID, with `client-id`.",
    why: "GitHub OIDC identity; on Azure DevOps the tenant comes from the azureSubscription service connection",
  },
  audience: {
    action:
      "Audience of the GitHub OIDC token exchanged with Entra ID, as the identity's federated credential expects it. Empty follows environment - api://AzureADTokenExchange, api://AzureADTokenExchangeUSGov or api://AzureADTokenExchangeChina.",
    readme:
      "Audience of the GitHub OIDC token, as the identity's federated credential expects it (azure/login's `audience`). Empty follows `environment`: `api://AzureADTokenExchange` (AzureCloud), `api://AzureADTokenExchangeUSGov` (AzureUSGovernment), `api://AzureADTokenExchangeChina` (AzureChinaCloud). GitHub only: an Azure DevOps service connection brings its own.",
    why: "audience of the GitHub OIDC token; on Azure DevOps the service connection's workload identity federation (AzurePipelinesCredential, System.OidcRequestUri) mints the token and its audience, and its federated credential is made for that",
  },
  environment: {
    action: "Azure cloud - AzureCloud, AzureUSGovernment or AzureChinaCloud.",
    ado: "Azure cloud: AzureCloud, AzureUSGovernment or AzureChinaCloud. Left at its default, the service connection's environment is used.",
    readme: "`AzureCloud`, `AzureUSGovernment` or `AzureChinaCloud`: picks the Resource Manager endpoint and the Entra authority.",
  },
  "arm-endpoint": {
    action: "Resource Manager endpoint overriding the environment's (private clouds, the local emulator).",
    ado: "Resource Manager endpoint overriding the environment's (private clouds, the local emulator). Empty: the service connection's, when it is not the environment's own.",
    readme: "Resource Manager endpoint overriding the environment's (private clouds; the local emulator).",
  },
  "authority-host": {
    action: "Entra ID authority host overriding the environment's (private clouds, the local emulator).",
    ado: "Entra ID authority host overriding the environment's (private clouds, the local emulator). Empty: the service connection's, when it is not the environment's own.",
    readme: "Entra ID authority host overriding the environment's (private clouds; the local emulator).",
  },
  "poll-interval-seconds": {
    action: "Seconds between two reads of the build status, 1 to 600.",
    readme: "Seconds between two reads of the build status, 1–600.",
  },
  "stall-minutes": {
    action:
      "Cancel the build when a customizer prints nothing to customization.log for this many minutes, 1 to 960 (0 - off). Loops (sysprep, restarts, WinRM) are always caught.",
    ado: "Cancel the build when a customizer prints nothing to customization.log for this many minutes, 1 to 960 (0: off). Loops (sysprep, restarts, WinRM) are always caught.",
    readme:
      "Cancel the build when a customizer prints nothing to `customization.log` for this many minutes, 1–960 (`0`: off). Sysprep, restart and WinRM loops are caught without it. See [Stuck builds](#stuck-builds).",
  },
  "build-log": {
    action:
      "How much of customization.log the job log shows while the build runs - full (every line), steps (a heading per customizer with its warnings and errors) or off. A failure always reports the failing customizer and the last lines.",
    readme:
      "How much of `customization.log` the job log shows while the build runs: `full` (every line), `steps` (a heading per customizer, by its template name, with its warnings and errors) or `off`. A failure always names the failing customizer and carries the last lines. See [Build log](#build-log).",
  },
};
