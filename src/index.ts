/**
 * Entry point of the bundle: choose the host, read the settings, run the pipeline, report, and set an
 * exit status that tells the truth (0 only when the image was published and pruning succeeded, or the
 * dry run planned).
 */
import { createAzureGateway } from "./azure/gateway.ts";
import { createGitHubHost } from "./hosts/github.ts";
import type { Host } from "./hosts/host.ts";
import { runPipeline, scheduleSkipReason } from "./pipeline.ts";
import { OUTPUT_NAMES, outputsOf, summaryOf } from "./report.ts";
import { parseSettings } from "./settings.ts";

/** Runs the action once in `host`; resolves to the process exit code. */
export async function main(host: Host): Promise<number> {
  try {
    const settings = parseSettings(host.getInput, host.inputLabel);
    const notToday = scheduleSkipReason(settings, host.manualTrigger);
    if (notToday) {
      host.info(`Skipped: ${notToday}`);
      for (const name of OUTPUT_NAMES) host.setOutput(name, name === "skipped" ? "true" : name === "run-state" ? "Skipped" : name === "pruned-versions" ? "[]" : "");
      await host.writeSummary(`## AVD image: ${settings.imageDefinition} — nothing built\n\nSkipped: ${notToday}\n`);
      return 0;
    }
    const credential = host.createCredential(settings);
    const azure = createAzureGateway(credential, settings.subscriptionId, settings.cloud);
    const report = await runPipeline(host, settings, azure);
    for (const [name, value] of Object.entries(outputsOf(report))) host.setOutput(name, value);
    await host.writeSummary(summaryOf(report, settings));
    if (report.pruneFailures.length) {
      host.setFailed(
        `Image version ${report.imageVersion} was published, but deleting ${report.pruneFailures.map((f) => f.version).join(", ")} failed (see above).`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    host.setFailed(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

const exitCode = await main(createGitHubHost());
process.exitCode = exitCode;
