/**
 * The demo: starts the local ARM emulator, seeds a realistic AVD gallery, and runs the bundled action
 * (dist/index.js) exactly as the GitHub runner would — inputs as INPUT_* variables, GitHub OIDC
 * exchanged for an Entra ID token — then prints its outputs and job summary. Exits non-zero when the
 * action fails.
 *
 * The configuration is a typical monthly AVD build: Windows 11 24H2 multi-session + Microsoft 365 from
 * the marketplace (`latest`, pinned to the numerically newest version), an inline script, Windows Update,
 * two target regions, keep-versions 3, with versions 1.9.0 and 1.10.0 already in the gallery.
 */
import { runAction } from "../emulator/github-runner.ts";
import { startEmulator } from "../emulator/index.ts";

const emu = await startEmulator({
  // One emulated minute of build per phase would be slow for a demo: a second or so each.
  phaseDurationsMs: { Queued: 500, Building: 1000, Customizing: 2500, Optimizing: 500, Validating: 500, Distributing: 1500 },
});
try {
  const avd = emu.seedAvdDefaults();
  for (const [version, published] of [["1.9.0", "2026-09-11T06:00:00Z"], ["1.10.0", "2026-10-16T06:00:00Z"]] as const) {
    emu.seedImageVersion({
      resourceGroup: avd.resourceGroup,
      gallery: avd.gallery,
      image: avd.imageDefinition,
      version,
      publishedDate: published,
      targetRegions: [{ name: "westeurope", regionalReplicaCount: 2 }, { name: "northeurope", regionalReplicaCount: 1 }],
      tags: { "avd-image-action.managed": "true" },
    });
  }

  console.log(`ARM emulator at ${emu.url} — gallery ${avd.gallery}/${avd.imageDefinition} holds 1.9.0 and 1.10.0.\n`);
  const run = await runAction(
    {
      "subscription-id": avd.subscriptionId,
      "resource-group": avd.resourceGroup,
      location: avd.location,
      "gallery-name": avd.gallery,
      "image-definition": avd.imageDefinition,
      "identity-id": avd.identityId,
      source: "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
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
    },
    { NODE_EXTRA_CA_CERTS: emu.caFile, ...emu.githubOidcEnv() },
    { echo: true, timeoutMs: 120_000 },
  );

  console.log("\nOutputs:");
  for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`);
  console.log("\nJob summary:\n");
  console.log(run.summary);
  const versions = emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).map((v) => v.name);
  console.log(`Gallery now holds: ${versions.join(", ")} (${(run.durationMs / 1000).toFixed(1)} s)`);
  if (run.exitCode !== 0) {
    console.error(`The action exited with ${run.exitCode}.`);
    process.exitCode = 1;
  }
} finally {
  await emu.close();
}
