/**
 * The demo: starts the local ARM emulator, seeds a realistic AVD gallery, and runs the bundled action
 * (dist/index.js) exactly as the GitHub runner would — inputs as INPUT_* variables, GitHub OIDC
 * exchanged for an Entra ID token — then prints its outputs and job summary. Exits non-zero when the
 * action fails.
 *
 * The configuration is a typical monthly AVD build: Windows 11 24H2 multi-session + Microsoft 365 from
 * the marketplace (`latest`, pinned to the numerically newest version); the AVD portal's built-in steps
 * (`avd-steps`: language packs, FSLogix, Teams optimization, RDP Shortpath, session timeouts, Windows
 * optimizations, admin sysprep — pinned and checksummed); a repository script
 * (demo/scripts/Install-Apps.ps1, inlined into the template), an inline script, Windows Update, the
 * Windows 11 safety steps (on by default), two target regions, keep-versions 3, with versions 1.9.0 and
 * 1.10.0 already in the gallery.
 *
 * `npm run demo -- --build-log full` runs it with `build-log: full` (every line of customization.log in
 * the log) instead of the default `steps` (a heading per customizer, its warnings and errors).
 */
import { fileURLToPath } from "node:url";
import { startAzurite } from "../emulator/azurite.ts";
import { startEmulator } from "../emulator/index.ts";
import { runAction } from "../harness/github-runner.ts";
import { requiredInputs } from "../harness/inputs.ts";

const buildLogArg = process.argv.indexOf("--build-log");
const buildLog = buildLogArg > 0 ? (process.argv[buildLogArg + 1] ?? "") : "steps";

// Azurite (the storage emulator) holds the staging storage account, so the live build log shows.
const azurite = await startAzurite();
const emu = await startEmulator({
  // One emulated minute of build per phase would be slow for a demo: a second or so each.
  phaseDurationsMs: { Queued: 500, Building: 1000, Customizing: 2500, Optimizing: 500, Validating: 500, Distributing: 1500 },
  azurite,
});
try {
  const avd = emu.seedAvdDefaults();
  for (const [version, published] of [
    ["1.9.0", "2026-09-11T06:00:00Z"],
    ["1.10.0", "2026-10-16T06:00:00Z"],
  ] as const) {
    emu.seedImageVersion({
      resourceGroup: avd.resourceGroup,
      gallery: avd.gallery,
      image: avd.imageDefinition,
      version,
      publishedDate: published,
      targetRegions: [
        { name: "westeurope", regionalReplicaCount: 2 },
        { name: "northeurope", regionalReplicaCount: 1 },
      ],
      tags: { "avd-image-action.managed": "true" },
    });
  }

  console.log(`ARM emulator at ${emu.url} — gallery ${avd.gallery}/${avd.imageDefinition} holds 1.9.0 and 1.10.0.\n`);
  const run = await runAction(
    {
      ...requiredInputs(avd),
      source: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
      "avd-steps": [
        "language-packs: English (United Kingdom), German (Germany), French (France)",
        "default-language: English (United Kingdom)",
        "timezone-redirection",
        "fslogix: ProfilePath=\\\\stavdprofiles.file.core.windows.net\\profiles VHDSize=30000",
        "rdp-shortpath",
        "teams-optimization",
        "session-timeouts: MaxIdleTime=120 MaxDisconnectionTime=60",
        "windows-optimization: ScheduledTasks, DefaultUserSettings, Services, Autologgers, NetworkOptimizations",
        "admin-sysprep",
      ].join("\n"),
      // The repository's own script (relative to the workspace, the repository root here).
      scripts: "demo/scripts/Install-Apps.ps1",
      "inline-script": [
        "New-Item -Path 'C:\\AVDImage' -ItemType Directory -Force | Out-Null",
        "Set-TimeZone -Id 'W. Europe Standard Time'",
        "Write-Host 'Golden image customized'",
      ].join("\n"),
      "windows-update": "true",
      "target-regions": "westeurope=2\nnortheurope=1",
      "keep-versions": "3",
      tags: "owner=avd-platform\nworkload=avd",
      "client-id": emu.defaults.clientId,
      "tenant-id": emu.defaults.tenantId,
      "arm-endpoint": emu.url,
      "authority-host": emu.url,
      "poll-interval-seconds": "1",
      "build-log": buildLog,
    },
    { NODE_EXTRA_CA_CERTS: emu.caFile, GITHUB_WORKSPACE: fileURLToPath(new URL("..", import.meta.url)), ...emu.githubOidcEnv() },
    { echo: true, timeoutMs: 120_000 },
  );

  console.log("\nOutputs:");
  // Short outputs share a line; a Markdown output (changelog) is shown once, in the job summary below.
  const shown = Object.entries(run.outputs).map(
    ([name, value]) => `${name} = ${value.includes("\n") ? `(${value.split("\n").length} lines of Markdown, in the job summary)` : value}`,
  );
  const rows: string[] = [];
  for (const item of shown) {
    const last = rows.length - 1;
    if (last >= 0 && rows[last]!.length + item.length < 100 && item.length < 40 && !rows[last]!.includes("/")) rows[last] += ` · ${item}`;
    else rows.push(item);
  }
  for (const row of rows) console.log(`  ${row}`);
  // As GitHub shows it: a <details> block collapsed to its summary line.
  console.log("\nJob summary:");
  console.log(run.summary.replace(/<details><summary>(.*?)<\/summary>[\s\S]*?<\/details>/g, "▸ $1 (collapsed)").trimEnd());
  const versions = emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).map((v) => v.name);
  const logLines = emu.buildLogs().reduce((n, log) => n + log.lines.length, 0);
  console.log(
    `Gallery now holds: ${versions.join(", ")} (${(run.durationMs / 1000).toFixed(1)} s). ` +
      `customization.log: ${logLines} lines (build-log: ${buildLog}${buildLog === "full" ? ", all of them above" : "; '--build-log full' shows every line"}).`,
  );
  if (run.exitCode !== 0) {
    console.error(`The action exited with ${run.exitCode}.`);
    process.exitCode = 1;
  }
} finally {
  await emu.close();
  await azurite.stop();
}
