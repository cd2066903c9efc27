/**
 * Benchmark: how many Resource Manager requests the action makes per build-minute while it follows a
 * 60-minute build, and how soon after the build ends it notices. Target: at most 2 requests per
 * build-minute, completion detected within 30 s.
 *
 * The build is simulated at 60× speed: the emulator's phases last 60 real seconds in all, and the
 * action's own build monitor (src/steps/build-monitor.ts, with the default 30 s poll interval) runs on a
 * clock that runs 60× too. Prints numbers; `npm run bench:polling`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createAzureGateway } from "../src/azure/gateway.ts";
import { INPUT_DEFAULTS } from "../src/settings/index.ts";
import { monitorBuild } from "../src/steps/build-monitor.ts";
import { buildTemplatePlan } from "../src/template/build.ts";
import { startInProcess } from "./in-process.ts";

const SPEED = 60; // virtual seconds per real second
const BUILD_MINUTES = 60;
const phases = { Queued: 2, Building: 5, Customizing: 38, Optimizing: 3, Validating: 7, Distributing: 5 }; // minutes, 60 in all

const { emu, avd, settings, credential } = await startInProcess({
  lroRetryAfterSeconds: 1,
  phaseDurationsMs: Object.fromEntries(Object.entries(phases).map(([phase, minutes]) => [phase, (minutes * 60_000) / SPEED])),
});
try {
  const azure = createAzureGateway(credential, settings.subscriptionId, settings.cloud);
  const plan = buildTemplatePlan(
    settings,
    { type: "PlatformImage", publisher: avd.marketplace.publisher, offer: avd.marketplace.offer, sku: avd.marketplace.sku, version: avd.marketplace.latest },
    { major: 1, minor: 0, patch: 0 },
  );
  await azure.createTemplate(settings.resourceGroup, plan.name, plan.template);
  await azure.startRun(settings.resourceGroup, plan.name);

  emu.resetLog();
  const realStart = Date.now();
  const virtualNow = () => realStart + (Date.now() - realStart) * SPEED;
  const end = await monitorBuild(azure, {
    resourceGroup: settings.resourceGroup,
    templateName: plan.name,
    pollIntervalSeconds: Number(INPUT_DEFAULTS["poll-interval-seconds"]),
    maxWaitMinutes: BUILD_MINUTES * 3,
    maxFailingMinutes: 15,
    log: () => undefined,
    now: virtualNow,
    wait: (ms, signal) => sleep(ms / SPEED, undefined, { signal }),
  });
  const noticedReal = Date.now();
  const template = emu.getImageTemplate(avd.subscriptionId, avd.resourceGroup, plan.name) as { properties: { lastRunStatus: { endTime: string } } };
  const endedReal = Date.parse(template.properties.lastRunStatus.endTime);
  const armRequests = emu.requests.filter((r) => r.path.toLowerCase().startsWith("/subscriptions/")).length;
  const buildMinutes = ((endedReal - realStart) * SPEED) / 60_000;
  console.log(
    `polling: ${end.runState} after ${buildMinutes.toFixed(1)} simulated build-minutes; ${armRequests} Resource Manager requests = ` +
      `${(armRequests / buildMinutes).toFixed(2)} per build-minute (target ≤ 2) at poll-interval-seconds ${INPUT_DEFAULTS["poll-interval-seconds"]}; ` +
      `end noticed ${(((noticedReal - endedReal) * SPEED) / 1000).toFixed(1)} s after the build ended (target ≤ 30 s)`,
  );
} finally {
  await emu.close();
}
