/**
 * The action's public contract, structure half: every input of the GitHub Action (action.yml, kebab-case)
 * and of the Azure DevOps task (task.json, camelCase), with its default, whether it is required, on
 * which host it exists, and the task's form fields; the outputs; the task's input groups.
 *
 * One table, two files: this one (the inputs' structure: names, defaults, required flags, hosts, form
 * fields; and the outputs, names and texts) and `contract-docs.ts` (every input's description, task help
 * and README text). The type of `INPUT_DOCS` makes the two agree: an input here without its texts there
 * does not typecheck. Only `npm run contract` and the tests read the texts: the bundle imports
 * `INPUTS` and `OUTPUTS`, and esbuild leaves `OUTPUT_DOCS` and contract-docs.ts out of it.
 *
 * `npm run contract` (scripts/contract.ts) writes from them the `inputs:` and `outputs:` of action.yml,
 * the `groups`, `inputs` and `outputVariables` of task.json, and the README's Inputs and Outputs tables;
 * `__tests__/kit/contract.test.ts` fails when a committed file differs from what it writes.
 * `src/settings/inputs.ts` derives `INPUT_DEFAULTS` and `REQUIRED_INPUTS` from `INPUTS`.
 *
 * Field names follow task.json (azure-pipelines-task-lib `tasks.schema.json`, `inputs[]`) and the GitHub
 * Actions metadata syntax (action.yml `inputs.<id>`: `description`, `required`, `default`). Pure.
 */

/** The Azure DevOps task's input groups, in task.json's order (the order of the task's form). */
export const TASK_GROUPS = [
  { name: "azure", displayName: "Azure", isExpanded: true },
  { name: "image", displayName: "Source and gallery", isExpanded: true },
  { name: "build", displayName: "Build VM and customization", isExpanded: true },
  { name: "publish", displayName: "Version and replication", isExpanded: true },
  { name: "schedule", displayName: "When to build", isExpanded: false },
  { name: "retention", displayName: "Retention", isExpanded: false },
  { name: "run", displayName: "Run control", isExpanded: false },
  { name: "cloud", displayName: "Azure cloud", isExpanded: false },
] as const;

/** A task.json input group's `name`. */
export type TaskGroupName = (typeof TASK_GROUPS)[number]["name"];

/** An input's form field in the Azure DevOps task (task.json `inputs[]`, beside its name, default and help). */
export interface TaskField {
  /**
   * task.json `type`: a text box (`string`), a multi-line text box (`multiLine`), a check box
   * (`boolean`, default "true"/"false"), a closed drop-down list (`pickList`), or the Azure Resource
   * Manager service connection picker.
   */
  readonly type: "string" | "multiLine" | "boolean" | "pickList" | "connectedService:AzureRM";
  /** task.json `label`: the field's name on the task's form. */
  readonly label: string;
  /** task.json `groupName`: the group of `TASK_GROUPS` the field sits in. */
  readonly group: TaskGroupName;
  /** task.json `required` where it differs from the action's (e.g. `subscriptionId`: the service connection's when empty). */
  readonly required?: boolean;
  /** task.json `visibleRule`, on the task's (camelCase) input names, e.g. `windowsUpdate = true`. */
  readonly visibleRule?: string;
  /** `multiLine` only: rows of the text box (task.json `properties.rows`); 4 when absent. */
  readonly rows?: number;
  /** `pickList` only: value → the text the list shows (task.json `options`; no other value, `EditableOptions: False`). */
  readonly options?: Readonly<Record<string, string>>;
}

/** Where an input exists: the task's form fields, or `host: "github"` for an input of action.yml only. */
type InputHost =
  | { readonly host?: undefined; readonly ado: TaskField }
  /** In task.json only: the Azure DevOps host reads it itself; the settings never see it. */
  | { readonly host: "ado"; readonly ado: TaskField }
  /** In action.yml only. */
  | { readonly host: "github"; readonly ado?: undefined };

/**
 * One input: `name` is canonical (kebab-case, action.yml's key; task.json's is its camelCase twin, as
 * `camelCase` makes it). Either `required: true` (no default: the run cannot start without it) or a
 * `default`, exactly as action.yml and task.json declare it (booleans as "true"/"false").
 */
export type InputSpec = {
  readonly name: string;
  /**
   * What the input acts on, for the warning about inputs without effect in a mode (steps/mode-inputs.ts):
   * `template`: it shapes the image template or its build, or chooses the version (no effect with
   * `mode: promote` or `attach: true`); `publish`: it applies only when a build publishes a version
   * (no effect with `mode: promote`). Absent: it applies in every mode.
   */
  readonly appliesTo?: "template" | "publish";
} & InputHost &
  ({ readonly required: true; readonly default?: undefined } | { readonly default: string; readonly required?: undefined });

/**
 * Every input, in action.yml's and the README's order; task.json lists them by group (`TASK_GROUPS`),
 * in this order within a group. Their texts are in `contract-docs.ts`.
 */
export const INPUTS = [
  {
    name: "azure-subscription",
    required: true,
    host: "ado",
    ado: { type: "connectedService:AzureRM", label: "Azure Resource Manager service connection", group: "azure" },
  },
  { name: "subscription-id", required: true, ado: { type: "string", label: "Subscription ID", group: "azure", required: false } },
  { name: "resource-group", required: true, ado: { type: "string", label: "Resource group", group: "azure" } },
  { name: "location", required: true, ado: { type: "string", label: "Location", group: "azure" } },
  { name: "gallery-name", required: true, ado: { type: "string", label: "Compute Gallery", group: "image" } },
  { name: "image-definition", required: true, ado: { type: "string", label: "Image definition", group: "image" } },
  { name: "gallery-resource-group", default: "", ado: { type: "string", label: "Gallery resource group", group: "image" } },
  { name: "identity-id", required: true, ado: { type: "string", label: "Image Builder identity", group: "azure" } },
  {
    name: "source",
    default: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
    appliesTo: "template",
    ado: { type: "string", label: "Source image", group: "image" },
  },
  { name: "inline-script", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Inline PowerShell", group: "build" } },
  { name: "script-uris", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Script URLs", group: "build" } },
  { name: "windows-update", default: "true", appliesTo: "template", ado: { type: "boolean", label: "Install Windows updates", group: "build" } },
  {
    name: "windows-update-search-criteria",
    default: "IsInstalled=0",
    appliesTo: "template",
    ado: { type: "string", label: "Windows Update search criteria", group: "build", visibleRule: "windowsUpdate = true" },
  },
  {
    name: "windows-update-filters",
    default: "exclude:$_.Title -like '*Preview*'\ninclude:$true",
    appliesTo: "template",
    ado: { type: "multiLine", label: "Windows Update filters", group: "build", visibleRule: "windowsUpdate = true", rows: 3 },
  },
  {
    name: "windows-update-limit",
    default: "40",
    appliesTo: "template",
    ado: { type: "string", label: "Windows updates at a time", group: "build", visibleRule: "windowsUpdate = true" },
  },
  { name: "avd-steps", default: "", appliesTo: "template", ado: { type: "multiLine", label: "AVD built-in steps", group: "build" } },
  {
    name: "safety-steps",
    default: "auto",
    appliesTo: "template",
    ado: {
      type: "pickList",
      label: "Windows client safety steps",
      group: "build",
      options: { auto: "auto: on for Windows client sources", true: "true: always", false: "false: never" },
    },
  },
  { name: "inventory", default: "true", appliesTo: "template", ado: { type: "boolean", label: "Inventory", group: "build" } },
  { name: "template-file", default: "", appliesTo: "template", ado: { type: "string", label: "Template file", group: "build" } },
  { name: "scripts", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Repository scripts", group: "build" } },
  { name: "scripts-storage-account", default: "", appliesTo: "template", ado: { type: "string", label: "Scripts storage account", group: "build" } },
  { name: "scripts-container", default: "avd-image-scripts", appliesTo: "template", ado: { type: "string", label: "Scripts container", group: "build" } },
  { name: "vm-size", default: "Standard_D4s_v5", appliesTo: "template", ado: { type: "string", label: "Build VM size", group: "build" } },
  { name: "os-disk-size-gb", default: "127", appliesTo: "template", ado: { type: "string", label: "OS disk size (GB)", group: "build" } },
  { name: "build-timeout-minutes", default: "240", appliesTo: "template", ado: { type: "string", label: "Build timeout (minutes)", group: "build" } },
  { name: "subnet-id", default: "", appliesTo: "template", ado: { type: "string", label: "Subnet ID", group: "build" } },
  { name: "proxy-vm-size", default: "", appliesTo: "template", ado: { type: "string", label: "Proxy VM size", group: "build" } },
  { name: "container-instance-subnet-id", default: "", appliesTo: "template", ado: { type: "string", label: "Container instance subnet ID", group: "build" } },
  { name: "staging-resource-group", default: "", appliesTo: "template", ado: { type: "string", label: "Staging resource group", group: "build" } },
  { name: "managed-resource-tags", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Staging resource tags", group: "build", rows: 3 } },
  { name: "build-vm-identities", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Build VM identities", group: "build", rows: 3 } },
  { name: "error-handling", default: "", appliesTo: "template", ado: { type: "string", label: "Error handling", group: "build" } },
  { name: "validation-script", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Validation PowerShell", group: "build" } },
  { name: "optimize-boot", default: "false", appliesTo: "template", ado: { type: "boolean", label: "Optimize boot", group: "build" } },
  { name: "data-disk-sizes", default: "", appliesTo: "template", ado: { type: "string", label: "Data disk sizes (GB)", group: "build" } },
  { name: "target-regions", default: "", appliesTo: "template", ado: { type: "multiLine", label: "Target regions", group: "publish" } },
  {
    name: "storage-account-type",
    default: "Standard_LRS",
    appliesTo: "template",
    ado: {
      type: "pickList",
      label: "Replica storage",
      group: "publish",
      options: { Standard_LRS: "Standard_LRS", Standard_ZRS: "Standard_ZRS", Premium_LRS: "Premium_LRS" },
    },
  },
  {
    name: "replication-mode",
    default: "Full",
    appliesTo: "template",
    ado: {
      type: "pickList",
      label: "Replication mode",
      group: "publish",
      options: { Full: "Full: copy to every replica", Shallow: "Shallow: no copy (development, validation)" },
    },
  },
  { name: "exclude-from-latest", default: "false", appliesTo: "template", ado: { type: "boolean", label: "Exclude from latest", group: "publish" } },
  {
    name: "version-strategy",
    default: "patch",
    appliesTo: "template",
    ado: {
      type: "pickList",
      label: "Version strategy",
      group: "publish",
      options: {
        patch: "patch: bump the patch of the highest version",
        minor: "minor: bump the minor",
        major: "major: bump the major",
        date: "date: YYYY.MM.N",
      },
    },
  },
  { name: "schedule", default: "", ado: { type: "string", label: "Schedule", group: "schedule" } },
  { name: "skip-if-unchanged", default: "false", appliesTo: "template", ado: { type: "boolean", label: "Skip if unchanged", group: "schedule" } },
  { name: "rebuild-after-days", default: "7", appliesTo: "template", ado: { type: "string", label: "Rebuild after (days)", group: "schedule" } },
  { name: "version", default: "", ado: { type: "string", label: "Explicit version", group: "publish" } },
  { name: "tags", default: "", appliesTo: "publish", ado: { type: "multiLine", label: "Tags", group: "publish" } },
  { name: "keep-versions", default: "5", appliesTo: "publish", ado: { type: "string", label: "Versions to keep", group: "retention" } },
  { name: "keep-days", default: "0", appliesTo: "publish", ado: { type: "string", label: "Minimum age to delete (days)", group: "retention" } },
  { name: "prune-foreign", default: "false", appliesTo: "publish", ado: { type: "boolean", label: "Prune versions of other tools", group: "retention" } },
  { name: "dry-run", default: "false", ado: { type: "boolean", label: "Dry run", group: "run" } },
  { name: "github-release", default: "false", host: "github" },
  { name: "github-token", default: "${{ github.token }}", host: "github" },
  {
    name: "mode",
    default: "build",
    ado: {
      type: "pickList",
      label: "Mode",
      group: "run",
      options: { build: "build: build, version, tag, prune", promote: "promote: include a staged version in latest" },
    },
  },
  { name: "promote-after-days", default: "0", ado: { type: "string", label: "Promote after (days)", group: "run", visibleRule: "mode = promote" } },
  { name: "end-of-life-days", default: "0", appliesTo: "publish", ado: { type: "string", label: "End of life (days)", group: "publish" } },
  { name: "wait", default: "true", appliesTo: "publish", ado: { type: "boolean", label: "Wait for the build", group: "run" } },
  { name: "attach", default: "false", appliesTo: "publish", ado: { type: "boolean", label: "Attach to a submitted build", group: "run" } },
  { name: "client-id", default: "", host: "github" },
  { name: "tenant-id", default: "", host: "github" },
  { name: "audience", default: "", host: "github" },
  {
    name: "environment",
    default: "AzureCloud",
    ado: {
      type: "pickList",
      label: "Azure environment",
      group: "cloud",
      options: { AzureCloud: "AzureCloud", AzureUSGovernment: "AzureUSGovernment", AzureChinaCloud: "AzureChinaCloud" },
    },
  },
  { name: "arm-endpoint", default: "", ado: { type: "string", label: "Resource Manager endpoint", group: "cloud" } },
  { name: "authority-host", default: "", ado: { type: "string", label: "Entra ID authority host", group: "cloud" } },
  { name: "poll-interval-seconds", default: "30", ado: { type: "string", label: "Poll interval (seconds)", group: "run" } },
  { name: "stall-minutes", default: "0", ado: { type: "string", label: "Stall minutes", group: "run" } },
  {
    name: "build-log",
    default: "steps",
    appliesTo: "publish",
    ado: {
      type: "pickList",
      label: "Build log",
      group: "run",
      options: { full: "full: every line", steps: "steps: a heading per customizer, its warnings and errors", off: "off" },
    },
  },
] as const satisfies readonly InputSpec[];

/** Every output (action.yml `outputs`, task.json `outputVariables` in camelCase), in their order; their texts are `OUTPUT_DOCS`. */
export const OUTPUTS = [
  "image-version",
  "image-version-id",
  "template-name",
  "template-reused",
  "source-image-version",
  "run-state",
  "skipped",
  "pruned-versions",
  "planned-deletions",
  "changelog",
  "manifest-path",
] as const;

/** The texts of an output. */
export interface OutputDocs {
  /** action.yml `description`. */
  readonly action: string;
  /** task.json `outputVariables[].description` (camelCase input names), when it is not `action`. */
  readonly ado?: string;
  /** The README Outputs table's description (Markdown). */
  readonly readme?: string;
}

/** The texts of every output of `OUTPUTS`. */
export const OUTPUT_DOCS: { readonly [N in OutputName]: OutputDocs } = {
  "image-version": {
    action: "The new image version, X.Y.Z.",
    readme: "The new image version, `X.Y.Z`.",
  },
  "image-version-id": {
    action: "Resource ID of the new image version.",
    readme: "Resource ID of the new image version.",
  },
  "template-name": {
    action: "Name of the image template built.",
    readme: "Name of the image template built.",
  },
  "template-reused": {
    action: "true when an existing image template with the same content was reused, false when one was created.",
    readme: "`true` when an existing template with the same content was reused, `false` when one was created.",
  },
  "source-image-version": {
    action: "The exact source version built (marketplace version, or the gallery image version / managed image ID).",
    readme: "The exact source version built (marketplace version, or gallery image version / managed image ID).",
  },
  "run-state": {
    action:
      "How the Image Builder run ended (Succeeded), or DryRun, Skipped, Running (wait false), Promoted (mode promote), or Replicating (Image Builder timed out waiting for the gallery; the version exists, was tagged, and Azure goes on replicating it).",
    readme:
      "How the Image Builder run ended (`Succeeded`), or `DryRun`, `Skipped`, `Running` (`wait: false`), `Promoted` (`mode: promote`), or `Replicating` (Image Builder timed out waiting for the gallery; the version exists, was tagged, and Azure goes on replicating it).",
  },
  skipped: {
    action: "true when the run built nothing (schedule guard, or skip-if-unchanged), else false.",
    ado: "true when the run built nothing (schedule guard, or `skipIfUnchanged`), else false.",
    readme: "`true` when the run built nothing (schedule guard, or `skip-if-unchanged`), else `false`.",
  },
  "pruned-versions": {
    action: "JSON array of the image versions deleted by retention.",
    readme: "JSON array of the image versions deleted by retention (`[]` in a dry run: nothing is deleted).",
  },
  "planned-deletions": {
    action: "JSON array of the image versions the retention plan deletes; in a dry run those it would delete, while nothing is deleted.",
    readme: "JSON array of the image versions the retention plan deletes; in a dry run, those it would delete.",
  },
  changelog: {
    action:
      "What changed since the previous image version (Markdown) — source version, customizers, build settings, template hash, applications, Windows updates installed, build duration; planned in a dry run; empty when nothing was built.",
    readme:
      "What changed since the previous image version, Markdown (see [Changelog and manifest](#changelog-and-manifest)); planned in a dry run; empty when nothing was built.",
  },
  "manifest-path": {
    action:
      "Path of the new image version's manifest (JSON, schemas/manifest.schema.json) in the run's temp directory (RUNNER_TEMP on GitHub; Agent.TempDirectory on Azure DevOps, where it is also attached to the run) — source, template, customizers with checksums, AVD steps, Windows updates, inventory, build times, provenance; empty when nothing was published.",
    readme:
      "Path of the new version's manifest, JSON valid against [`schemas/manifest.schema.json`](schemas/manifest.schema.json), in `RUNNER_TEMP` (Azure DevOps: `Agent.TempDirectory`, and attached to the run); empty when nothing was published.",
  },
};

/** An input of `INPUTS`, as its literal type. */
export type InputEntry = (typeof INPUTS)[number];

/** Canonical name of every input the settings read: both hosts' and GitHub-only ones (not the task's service connection). */
export type InputName = Exclude<InputEntry, { host: "ado" }>["name"];

/** Canonical name of an input without a default. */
export type RequiredInputName = Extract<Exclude<InputEntry, { host: "ado" }>, { required: true }>["name"];

/** Canonical name of an output. */
export type OutputName = (typeof OUTPUTS)[number];

/** Canonical (kebab-case) name → task input / output variable name (camelCase): `subscription-id` → `subscriptionId`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
