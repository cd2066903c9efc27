/**
 * The README's quick start, followed literally with the local emulator in place of Azure:
 * step 1 (`npm ci && npm run demo`) is what .ci/run runs; steps 2-4 are played here. The emulator holds
 * what setup/ creates (its default names), its fake Entra ID trusts exactly the federated credential
 * setup/ writes for `--github-repo`, and the workflow the quick start copies is run — its action step,
 * `with:` as written, `vars.*` as setup.sh stores them — as the GitHub runner runs it, started by hand
 * (step 4) and by its daily cron.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { AVD_DEFAULTS, type AvdDefaults, type Emulator, startEmulator } from "../../emulator/index.ts";
import { emulatorEnv, runAction } from "../../harness/github-runner.ts";
import { parseSchedule, scheduleVerdict } from "../../src/schedule.ts";
import { FAST } from "../helpers/scenario.ts";
import { actionSteps, bicepOutputs, bicepParams, githubSubjectOf, kebab, literal, read, readmeSection, variableOf } from "./kit-helpers.ts";

/** The GitHub part of the quick start: its shell block. */
function githubQuickStart(): string {
  const section = readmeSection("Quick start");
  const block = /\*\*GitHub\*\*[\s\S]*?```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the Quick start has a GitHub shell block");
  return block[1]!;
}

const quickStart = githubQuickStart();
const option = (name: string) => new RegExp(`--${name} (\\S+)`).exec(quickStart)?.[1];
const workflowFile = /cp (examples\/\S+\.yml) /.exec(quickStart)?.[1];

describe("README quick start, with the emulator in place of Azure", () => {
  let emu: Emulator;
  let avd: AvdDefaults;
  let variables: Record<string, string>;
  const repository = option("github-repo")!;

  before(async () => {
    assert.ok(workflowFile, "the quick start copies an example workflow");
    const job = Object.values((parse(read(workflowFile)) as { jobs: Record<string, { environment?: string }> }).jobs)[0]!;
    // GitHub presents the job's own subject; the emulator's fake GitHub issuer signs tokens with it.
    emu = await startEmulator({ ...FAST, githubSubject: githubSubjectOf(repository, job) });
    avd = emu.seedAvdDefaults();

    // setup/: its federated credential, for the repository the quick start names.
    const params = Object.fromEntries(bicepParams(read("setup/main.bicep")).map((p) => [p.name, literal(p.defaultText)]));
    const subjectTemplate = /subject: '(repo:\$\{githubRepository\}:\$\{subject\})'/.exec(read("setup/resource-group.bicep"))![1]!;
    const subjects = (params.githubSubjects as string[]).map((subject) =>
      subjectTemplate.replace("${githubRepository}", repository).replace("${subject}", subject),
    );
    emu.registerApp({
      tenantId: emu.defaults.tenantId,
      clientId: avd.identityClientId,
      federated: subjects.map((subject) => ({ issuer: emu.defaults.githubIssuer, subject, audiences: ["api://AzureADTokenExchange"] })),
    });

    // What `setup.sh --set-github-variables` stores: AVD_<INPUT> for each output, with these resources' values.
    const values: Record<string, string> = {
      subscriptionId: avd.subscriptionId,
      tenantId: emu.defaults.tenantId,
      clientId: avd.identityClientId,
      resourceGroup: avd.resourceGroup,
      location: option("location")!,
      galleryName: avd.gallery,
      imageDefinition: avd.imageDefinition,
      identityId: avd.identityId,
    };
    variables = Object.fromEntries(
      bicepOutputs(read("setup/main.bicep")).map((o) => {
        assert.ok(o.name in values, `setup output ${o.name}: the test does not know its value`);
        return [variableOf(kebab(o.name)), values[o.name]!];
      }),
    );
  });
  after(() => emu?.close());

  /** The copied workflow's action step: `with:` as GitHub evaluates it (vars only), pointed at the emulator. */
  function stepInputs(): Record<string, string> {
    const [step] = actionSteps(workflowFile!);
    assert.ok(step, `${workflowFile} has an avd-image-action step`);
    const inputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.with)) {
      inputs[name] = String(value).replace(/\$\{\{\s*vars\.(\w+)\s*\}\}/g, (_, variable: string) => {
        assert.ok(variable in variables, `${workflowFile} reads vars.${variable}, which setup does not store`);
        return variables[variable]!;
      });
      assert.doesNotMatch(inputs[name]!, /\$\{\{/, `input ${name}: only vars.* expressions can be evaluated here`);
    }
    // The emulator in place of Azure (a private cloud's endpoints), polled every second instead of 30.
    return { ...inputs, "arm-endpoint": emu.url, "authority-host": emu.url, "poll-interval-seconds": "1" };
  }

  it("names what setup/ creates and what the emulator holds: same resource group, gallery, definition, identity, location", () => {
    const params = Object.fromEntries(bicepParams(read("setup/main.bicep")).map((p) => [p.name, literal(p.defaultText)]));
    assert.equal(params.resourceGroupName, AVD_DEFAULTS.resourceGroup);
    assert.equal(params.galleryName, AVD_DEFAULTS.gallery);
    assert.equal(params.imageDefinitionName, AVD_DEFAULTS.imageDefinition);
    assert.equal(params.identityName, AVD_DEFAULTS.identity);
    assert.equal(option("location"), AVD_DEFAULTS.location);
    assert.match(quickStart, /^npm ci && npm run demo\b/m, "step 1 is the emulator path");
    assert.match(read(".ci/run"), /^npm ci && npm run demo$/m, "CI runs step 1 literally");
    assert.match(quickStart, /\.\/setup\/setup\.sh .*--set-github-variables/);
  });

  it("step 4, `gh workflow run` (workflow_dispatch): the copied workflow builds and publishes 1.0.0 through GitHub OIDC", async () => {
    const run = await runAction(stepInputs(), { ...emulatorEnv(emu), GITHUB_EVENT_NAME: "workflow_dispatch" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs["run-state"], "Succeeded");
    assert.equal(run.outputs["image-version"], "1.0.0");
    assert.ok(emu.githubOidcCalls >= 1, "signed in with the job's OIDC token, as the federated credential of setup/");
    const versions = emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition).map((v) => v.name);
    assert.deepEqual(versions, ["1.0.0"]);
  });

  it("the daily cron (schedule event) builds only when its Patch Tuesday cycle has no version yet, and otherwise exits with skipped", async () => {
    const [step] = actionSteps(workflowFile!);
    const versions = () => emu.listImageVersions(avd.subscriptionId, avd.resourceGroup, avd.gallery, avd.imageDefinition);
    const published = versions().map((v) => ({
      name: v.name,
      publishedDate: new Date(String((v.properties as { publishingProfile?: { publishedDate?: string } }).publishingProfile?.publishedDate)),
    }));
    const today = scheduleVerdict(parseSchedule(String(step!.with.schedule))!, published, false, new Date()).build;
    const count = () => versions().length;
    const before = count();
    const run = await runAction(stepInputs(), { ...emulatorEnv(emu), GITHUB_EVENT_NAME: "schedule" });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.skipped, today ? "false" : "true");
    assert.equal(count(), today ? before + 1 : before, today ? "an uncovered cycle builds" : "a skipped run writes nothing");
  });
});
