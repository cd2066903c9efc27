/**
 * Entry point of the bundle: choose the host, read the settings, run the pipeline, report, and set an
 * exit status that tells the truth (0 only when the image was published and pruning succeeded, or the
 * dry run planned).
 */
import { createAzureGateway } from "./azure/gateway.ts";
import { createGitHubHost } from "./hosts/github.ts";
import type { Host } from "./hosts/host.ts";
import { runPipeline } from "./pipeline.ts";
import { outputsOf, summaryOf } from "./report.ts";
import { parseSettings } from "./settings.ts";

/** Runs the action once in `host`; resolves to the process exit code. */
export async function main(host: Host): Promise<number> {
  try {
    const settings = parseSettings(host.getInput, host.inputLabel);
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
