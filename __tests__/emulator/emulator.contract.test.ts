/**
 * Contract tests: the emulator's responses against the official REST specs (imagebuilder.json
 * 2025-10-01, GalleryRP.json 2025-12-03) and their examples, vendored under
 * __tests__/fixtures/azure-specs/ (see SOURCES.md there), and against the recorded AIB LRO exchange.
 */

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Emulator } from "../../emulator/index.ts";
import { startEmulator } from "../../emulator/index.ts";
import { POLL_MS, avdTemplate, computeClient, imageBuilderClient, raw } from "../helpers/emulator-clients.ts";
import { GALLERY_DIR, IMAGEBUILDER_DIR, SpecSchemas, fillExample, readFixture } from "../helpers/emulator-spec.ts";
import { trustEmulator } from "../helpers/emulator-trust.ts";

const IB_API = "2025-10-01";
const GAL_API = "2025-12-03";
const TPL = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/{imageTemplateName}";
const GVER =
  "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}/versions/{galleryImageVersionName}";
const GIMG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}";

const ib = new SpecSchemas(`${IMAGEBUILDER_DIR}imagebuilder.json`);
const gal = new SpecSchemas(`${GALLERY_DIR}stable/2025-12-03/GalleryRP.json`);
const ibExample = (name: string) => readFixture(`${IMAGEBUILDER_DIR}examples/${name}`);
const galExample = (rel: string) => readFixture(`${GALLERY_DIR}${rel}`);

let emu: Emulator;
let untrust: () => void;
let sub: string;
const rg = "myResourceGroup";

/** Every key of `expected` (an example body) is present in `actual`; same for `properties`. */
function assertKeysCover(actual: any, expected: any, what: string): void {
  for (const k of Object.keys(expected)) assert.ok(k in actual, `${what}: key '${k}' of the example is missing in ${JSON.stringify(Object.keys(actual))}`);
  if (expected.properties && actual.properties) {
    for (const k of Object.keys(expected.properties)) assert.ok(k in actual.properties, `${what}: properties.${k} of the example is missing`);
  }
}

function assertValid(spec: SpecSchemas, def: string, body: unknown, what: string): void {
  assert.deepEqual(spec.validate(def, body), [], `${what} does not match ${def}`);
}

/** Polls an Azure-AsyncOperation URL until the status is terminal; returns the last body. */
async function pollStatus(url: string): Promise<any> {
  for (let i = 0; i < 500; i++) {
    const r = await raw(emu, "GET", url);
    assert.equal(r.status, 200);
    if (r.body.status !== "InProgress") return r.body;
    await sleep(POLL_MS);
  }
  throw new Error(`operation ${url} never finished`);
}

/** Polls a Location URL until it stops answering 202; returns the final response. */
async function pollLocation(url: string): Promise<Awaited<ReturnType<typeof raw>>> {
  for (let i = 0; i < 500; i++) {
    const r = await raw(emu, "GET", url);
    if (r.status !== 202) return r;
    assert.ok(r.headers.get("location"), "a 202 Location poll repeats the Location header");
    await sleep(POLL_MS);
  }
  throw new Error(`location ${url} never finished`);
}

function tplPath(name: string, suffix = ""): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}${suffix}`;
}

before(async () => {
  emu = await startEmulator({
    templateCreateMs: 20,
    templateUpdateMs: 20,
    templateDeleteMs: 20,
    cancelMs: 20,
    galleryWriteMs: 20,
    versionDeleteMs: 20,
    lroRetryAfterSeconds: 0,
    phaseDurationsMs: { Queued: 5, Building: 5, Customizing: 5, Optimizing: 5, Validating: 5, Distributing: 5 },
  });
  untrust = trustEmulator(emu);
  sub = emu.defaults.subscriptionId;
  emu.seedResourceGroup({ name: rg, location: "westus" });
  emu.seedAvdDefaults();
});

after(async () => {
  await emu.close();
  untrust();
});

describe("vendored specs and examples", () => {
  test("every example response used here validates against its spec definition", () => {
    const ibCases: [string, string, string][] = [
      ["GetImageTemplate.json", "200", "ImageTemplate"],
      ["CreateImageTemplateWindows.json", "201", "ImageTemplate"],
      ["CreateImageTemplateLinux.json", "201", "ImageTemplate"],
      ["ListImageTemplatesByRg.json", "200", "ImageTemplateListResult"],
      ["ListImageTemplates.json", "200", "ImageTemplateListResult"],
      ["GetRunOutput.json", "200", "RunOutput"],
      ["ListRunOutputs.json", "200", "RunOutputCollection"],
      ["UpdateImageTemplateTags.json", "200", "ImageTemplate"],
      ["UpdateImageTemplateVmProfile.json", "200", "ImageTemplate"],
      ["UpdateImageTemplateToRemoveIdentities.json", "200", "ImageTemplate"],
    ];
    for (const [file, status, def] of ibCases) assertValid(ib, def, ibExample(file).responses[status].body, file);
    const galCases: [string, string, string][] = [
      ["stable/2025-12-03/examples/galleryExamples/GalleryImage_Get.json", "200", "GalleryImage"],
      ["stable/2025-12-03/examples/galleryExamples/GalleryImage_ListByGallery.json", "200", "GalleryImageList"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImage_Create.json", "201", "GalleryImage"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Create.json", "201", "GalleryImageVersion"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Get.json", "200", "GalleryImageVersion"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Get_WithReplicationStatus.json", "200", "GalleryImageVersion"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Update.json", "200", "GalleryImageVersion"],
      ["stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_ListByGalleryImage.json", "200", "GalleryImageVersionList"],
    ];
    for (const [file, status, def] of galCases) assertValid(gal, def, galExample(file).responses[status].body, file);
  });

  test("the validator rejects a wrong enum, an unknown key, a wrong type and a missing required field", () => {
    const bad = structuredClone(ibExample("GetImageTemplate.json").responses["200"].body);
    bad.properties.provisioningState = "Bogus";
    bad.properties.unknownField = 1;
    bad.properties.vmProfile.osDiskSizeGB = "large";
    delete bad.identity;
    const errors = ib.validate("ImageTemplate", bad);
    assert.ok(
      errors.some((e) => e.includes("provisioningState") && e.includes("allowed values")),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.includes("unknownField is not defined")),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.includes("osDiskSizeGB")),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.includes("required property 'identity'")),
      errors.join("\n"),
    );
    const badVersion = structuredClone(galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Get.json").responses["200"].body);
    badVersion.properties.publishingProfile.targetRegions[0].regionalReplicaCount = 1.5;
    assert.ok(gal.validate("GalleryImageVersion", badVersion).length > 0);
  });
});

describe("Microsoft.VirtualMachineImages/imageTemplates", () => {
  for (const file of ["CreateImageTemplateWindows.json", "CreateImageTemplateLinux.json"]) {
    test(`PUT with the ${file} request: status, LRO header, status bodies and body per spec and example`, async () => {
      const ex = fillExample(ibExample(file), { "subscription-id": sub });
      const name = file.replace(".json", "");
      const r = await raw(emu, "PUT", `${tplPath(name)}?api-version=${IB_API}`, { body: ex.parameters.parameters });
      assert.equal(r.status, 201);
      assert.ok(ib.statuses(TPL, "put").includes(String(r.status)));
      assert.ok(String(r.status) in ex.responses);
      assertValid(ib, "ImageTemplate", r.body, "PUT response");
      assertKeysCover(r.body, ex.responses["201"].body, "PUT 201");
      assert.equal(r.body.properties.provisioningState, "Creating");
      assert.ok(r.headers.get("x-ms-request-id"));
      assert.ok(r.headers.get("x-ms-correlation-request-id"));
      assert.ok(r.headers.get("x-ms-ratelimit-remaining-subscription-writes"));
      const asyncUrl = r.headers.get("azure-asyncoperation")!;
      assert.match(
        asyncUrl,
        new RegExp(
          `^${emu.url}/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/locations/westus/operations/[0-9a-f-]{36}\\?api-version=${IB_API}$`,
        ),
      );

      // Status bodies as recorded from the real service: { name (upper-case guid), status, startTime[, endTime] }.
      const rec = readFixture(
        "recordings/sdk/imagebuilder/arm-imagebuilder/recordings/node/imagebuilder_test/recording_virtualmachineimagetemplates_create_test.json",
      );
      const recorded = rec.Entries.filter((e: any) => /\/operations\//.test(e.RequestUri));
      const first = await raw(emu, "GET", asyncUrl);
      assert.ok(first.headers.get("x-ms-ratelimit-remaining-subscription-reads"));
      const done = await pollStatus(asyncUrl);
      assert.equal(done.status, "Succeeded");
      const allowed = new Set([...Object.keys(recorded.at(-1).ResponseBody), "id", "error"]);
      for (const k of Object.keys(recorded.at(-1).ResponseBody)) assert.ok(k in done, `status body lacks recorded key ${k}`);
      for (const k of Object.keys(done)) assert.ok(allowed.has(k), `status body has unrecorded key ${k}`);
      assert.equal(done.name, done.name.toUpperCase());
      assert.ok(Date.parse(done.endTime) >= Date.parse(done.startTime));

      const got = await raw(emu, "GET", `${tplPath(name)}?api-version=${IB_API}`);
      assert.equal(got.status, 200);
      assertValid(ib, "ImageTemplate", got.body, "GET after create");
      assert.equal(got.body.properties.provisioningState, "Succeeded");
      assert.match(got.body.properties.exactStagingResourceGroup, new RegExp(`^/subscriptions/${sub}/resourceGroups/IT_${rg}_${name}_[0-9a-f-]{36}$`));
      const ident = Object.values(got.body.identity.userAssignedIdentities)[0] as any;
      assert.match(ident.principalId, /^[0-9a-f-]{36}$/);
      assert.match(ident.clientId, /^[0-9a-f-]{36}$/);
    });
  }

  test("GET matches the GetImageTemplate example; ids compare case-insensitively", async () => {
    const ex = fillExample(ibExample("GetImageTemplate.json"), { "subscription-id": sub });
    const r = await raw(emu, "GET", `${tplPath("CreateImageTemplateLinux")}?api-version=${IB_API}`);
    assert.ok(ib.statuses(TPL, "get").includes(String(r.status)));
    assertKeysCover(r.body, ex.responses["200"].body, "GET");
    assert.equal(r.body.id.toLowerCase(), tplPath("CreateImageTemplateLinux").toLowerCase());
    assert.equal(r.body.type, ex.responses["200"].body.type);
  });

  test("list by resource group and subscription page with nextLink like the List examples", async () => {
    emu.setOptions({ pageSize: 1 });
    try {
      const ex = ibExample("ListImageTemplatesByRg.json").responses["200"].body;
      const r = await raw(
        emu,
        "GET",
        `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.VirtualMachineImages/imageTemplates?api-version=${IB_API}`,
      );
      assert.equal(r.status, 200);
      assertValid(ib, "ImageTemplateListResult", r.body, "list page 1");
      assert.deepEqual(Object.keys(r.body).sort(), Object.keys(ex).sort());
      assert.equal(r.body.value.length, 1);
      assert.ok(r.body.nextLink.startsWith(`${emu.url}/`));
      const page2 = await raw(emu, "GET", r.body.nextLink);
      assert.equal(page2.status, 200);
      assertValid(ib, "ImageTemplateListResult", page2.body, "list page 2");
      assert.notEqual(page2.body.value[0].name, r.body.value[0].name);
      const all = await raw(emu, "GET", `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/imageTemplates?api-version=${IB_API}`);
      assertValid(ib, "ImageTemplateListResult", all.body, "subscription list");
    } finally {
      emu.setOptions({ pageSize: 50 });
    }
  });

  for (const [file, check] of [
    ["UpdateImageTemplateTags.json", (b: any) => assert.deepEqual(b.tags, { "new-tag": "new-value" })],
    ["UpdateImageTemplateVmProfile.json", (b: any) => assert.equal(b.properties.vmProfile.osDiskSizeGB, 127)],
    ["UpdateImageTemplateToRemoveIdentities.json", (b: any) => assert.deepEqual(b.identity, { type: "None" })],
  ] as const) {
    test(`PATCH with the ${file} request: 202 + Azure-AsyncOperation, then the patched template`, async () => {
      const ex = fillExample(ibExample(file), { "subscription-id": sub });
      const name = `patch-${file.replace(".json", "")}`;
      const create = fillExample(ibExample("CreateImageTemplateLinux.json"), { "subscription-id": sub }).parameters.parameters;
      const put = await raw(emu, "PUT", `${tplPath(name)}?api-version=${IB_API}`, { body: create });
      await pollStatus(put.headers.get("azure-asyncoperation")!);
      const r = await raw(emu, "PATCH", `${tplPath(name)}?api-version=${IB_API}`, { body: ex.parameters.parameters });
      assert.equal(r.status, 202);
      assert.ok(ib.statuses(TPL, "patch").includes("202") && "202" in ex.responses);
      for (const h of [...ib.responseHeaders(TPL, "patch", "202"), ...Object.keys(ex.responses["202"].headers).map((h) => h.toLowerCase())]) {
        assert.ok(r.headers.get(h)?.startsWith(emu.url), `PATCH 202 lacks ${h}`);
      }
      assert.equal((await pollStatus(r.headers.get("azure-asyncoperation")!)).status, "Succeeded");
      const got = await raw(emu, "GET", `${tplPath(name)}?api-version=${IB_API}`);
      assertValid(ib, "ImageTemplate", got.body, "GET after PATCH");
      assertKeysCover(got.body, ex.responses["200"].body, "GET after PATCH");
      check(got.body);
    });
  }

  test("run, runOutputs, cancel and delete answer with the spec status codes, headers and bodies", async () => {
    const a = emu.seedAvdDefaults();
    const name = "contract-run";
    const body = JSON.parse(JSON.stringify(avdTemplate({ identityId: a.identityId, galleryImageId: `${a.imageDefinitionId}/versions/9.0.0` })));
    const { identity, location, tags, ...props } = body;
    const put = await raw(
      emu,
      "PUT",
      `/subscriptions/${sub}/resourceGroups/${a.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}?api-version=${IB_API}`,
      {
        body: { identity, location, tags, properties: props },
      },
    );
    assert.equal(put.status, 201);
    await pollStatus(put.headers.get("azure-asyncoperation")!);
    const base = `/subscriptions/${sub}/resourceGroups/${a.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;

    const run = await raw(emu, "POST", `${base}/run?api-version=${IB_API}`);
    assert.equal(run.status, 202);
    assert.ok(ib.statuses(`${TPL}/run`, "post").includes("202"));
    assert.ok("202" in ibExample("RunImageTemplate.json").responses);
    for (const h of ib.responseHeaders(`${TPL}/run`, "post", "202")) assert.ok(run.headers.has(h), `run 202 lacks ${h}`);
    assert.equal(run.text, "");
    assert.equal((await pollStatus(run.headers.get("azure-asyncoperation")!)).status, "Succeeded");

    const outs = await raw(emu, "GET", `${base}/runOutputs?api-version=${IB_API}`);
    assert.equal(outs.status, 200);
    assertValid(ib, "RunOutputCollection", outs.body, "runOutputs");
    assertKeysCover(outs.body.value[0], ibExample("ListRunOutputs.json").responses["200"].body.value[1], "runOutputs[0]");
    const one = await raw(emu, "GET", `${base}/runOutputs/avd-image?api-version=${IB_API}`);
    assertValid(ib, "RunOutput", one.body, "runOutput");
    assertKeysCover(one.body, ibExample("GetRunOutput.json").responses["200"].body, "runOutput");
    assert.equal(one.body.properties.artifactId.toLowerCase(), `${a.imageDefinitionId}/versions/9.0.0`.toLowerCase());

    const cancelIdle = await raw(emu, "POST", `${base}/cancel?api-version=${IB_API}`);
    assert.equal(cancelIdle.status, 409);
    assertValid(ib, "__common_ErrorResponse", cancelIdle.body, "cancel without a running build");

    emu.nextBuild({ templateName: name, phaseDurationsMs: { Customizing: 5_000 } });
    emu.setOptions({ buildTimeoutMsPerMinute: 60_000 });
    const run2 = await raw(emu, "POST", `${base}/run?api-version=${IB_API}`);
    assert.equal(run2.status, 202);
    const cancel = await raw(emu, "POST", `${base}/cancel?api-version=${IB_API}`);
    assert.equal(cancel.status, 202);
    assert.ok("202" in ibExample("CancelImageBuild.json").responses);
    for (const h of ib.responseHeaders(`${TPL}/cancel`, "post", "202")) assert.ok(cancel.headers.has(h), `cancel 202 lacks ${h}`);
    assert.equal((await pollStatus(cancel.headers.get("azure-asyncoperation")!)).status, "Succeeded");
    assert.equal((await pollStatus(run2.headers.get("azure-asyncoperation")!)).status, "Canceled");

    const del = await raw(emu, "DELETE", `${base}?api-version=${IB_API}`);
    assert.equal(del.status, 202);
    assert.ok(ib.statuses(TPL, "delete").includes("202"));
    for (const h of Object.keys(ibExample("DeleteImageTemplate.json").responses["202"].headers))
      assert.ok(del.headers.get(h)?.startsWith(emu.url), `delete 202 lacks ${h}`);
    const final = await pollLocation(del.headers.get("location")!);
    assert.equal(final.status, 204);
    const again = await raw(emu, "DELETE", `${base}?api-version=${IB_API}`);
    assert.equal(again.status, 204);
    assert.ok("204" in ibExample("DeleteImageTemplate.json").responses);
  });

  test("errors are ARM ErrorResponse bodies (common-types v5)", async () => {
    const cases: [string, string, unknown, number, string][] = [
      ["GET", `${tplPath("nope")}?api-version=${IB_API}`, undefined, 404, "ResourceNotFound"],
      [
        "GET",
        `/subscriptions/${sub}/resourceGroups/rg-missing/providers/Microsoft.VirtualMachineImages/imageTemplates/x?api-version=${IB_API}`,
        undefined,
        404,
        "ResourceGroupNotFound",
      ],
      ["GET", tplPath("nope"), undefined, 400, "MissingApiVersionParameter"],
      ["GET", `${tplPath("nope")}?api-version=2099-01-01`, undefined, 400, "NoRegisteredProviderFound"],
      [
        "PUT",
        `${tplPath("CreateImageTemplateLinux")}?api-version=${IB_API}`,
        { location: "westus", identity: { type: "None" }, properties: {} },
        400,
        "ValidationFailed",
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await raw(emu, method, path, { body });
      assert.equal(r.status, status, `${method} ${path}`);
      assert.equal(r.body.error.code, code);
      assertValid(ib, "__common_ErrorResponse", r.body, code);
    }
  });
});

describe("Microsoft.Compute galleries", () => {
  const g = "myGalleryName";
  const img = "myGalleryImageName";
  const imgPath = (name = img) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${g}/images/${name}`;

  before(() => {
    emu.seedGallery({ resourceGroup: rg, name: g, location: "westus" });
    emu.seedImageDefinition({
      resourceGroup: rg,
      gallery: g,
      name: img,
      hyperVGeneration: "V1",
      publisher: "myPublisherName",
      offer: "myOfferName",
      sku: "mySkuName",
    });
  });

  test("gallery image GET and list match GalleryImage_Get / GalleryImage_ListByGallery", async () => {
    const r = await raw(emu, "GET", `${imgPath()}?api-version=${GAL_API}`);
    assert.equal(r.status, 200);
    assertValid(gal, "GalleryImage", r.body, "image GET");
    assertKeysCover(r.body, galExample("stable/2025-12-03/examples/galleryExamples/GalleryImage_Get.json").responses["200"].body, "image GET");
    const l = await raw(emu, "GET", `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${g}/images?api-version=${GAL_API}`);
    assertValid(gal, "GalleryImageList", l.body, "image list");
    assertKeysCover(
      l.body.value[0],
      galExample("stable/2025-12-03/examples/galleryExamples/GalleryImage_ListByGallery.json").responses["200"].body.value[0],
      "image list item",
    );
  });

  test("gallery image PUT with the GalleryImage_Create request answers 201 + Location like the spec", async () => {
    const ex = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImage_Create.json");
    const r = await raw(emu, "PUT", `${imgPath("createdImage")}?api-version=${GAL_API}`, { body: ex.parameters.galleryImage });
    assert.equal(r.status, 201);
    assert.ok(gal.statuses(GIMG, "put").includes("201"));
    for (const h of gal.responseHeaders(GIMG, "put", "201")) assert.ok(r.headers.has(h), `PUT image 201 lacks ${h}`);
    assertValid(gal, "GalleryImage", r.body, "image PUT");
    assertKeysCover(r.body, ex.responses["201"].body, "image PUT");
    assert.equal((await pollStatus(r.headers.get("azure-asyncoperation")!)).status, "Succeeded");
  });

  test("image version PUT/GET/$expand/PATCH/list/DELETE match the GalleryImageVersion examples", async () => {
    const vpath = (v: string) => `${imgPath()}/versions/${v}`;
    const create = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Create.json");
    const put = await raw(emu, "PUT", `${vpath("1.0.0")}?api-version=${GAL_API}`, { body: create.parameters.galleryImageVersion });
    assert.equal(put.status, 201);
    assert.ok(gal.statuses(GVER, "put").includes("201"));
    for (const h of gal.responseHeaders(GVER, "put", "201")) assert.ok(put.headers.has(h), `PUT version 201 lacks ${h}`);
    assertValid(gal, "GalleryImageVersion", put.body, "version PUT");
    assertKeysCover(put.body, create.responses["201"].body, "version PUT");
    assert.deepEqual(
      Object.keys(put.body.properties.publishingProfile.targetRegions[0]).sort(),
      Object.keys(create.responses["201"].body.properties.publishingProfile.targetRegions[0]).sort(),
    );
    assert.equal(put.body.properties.publishingProfile.targetRegions[1].name, "East US");
    assert.match(put.headers.get("azure-asyncoperation")!, /\/providers\/Microsoft\.Compute\/locations\/westus\/capsOperations\//);
    assert.equal((await pollStatus(put.headers.get("azure-asyncoperation")!)).status, "Succeeded");
    const mon = await pollLocation(put.headers.get("location")!);
    assert.equal(mon.status, 200, "final-state-via location: the Location URL returns the resource");
    assertValid(gal, "GalleryImageVersion", mon.body, "Location final body");

    const get = await raw(emu, "GET", `${vpath("1.0.0")}?api-version=${GAL_API}`);
    assertValid(gal, "GalleryImageVersion", get.body, "version GET");
    assertKeysCover(get.body, galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Get.json").responses["200"].body, "version GET");
    assert.equal(get.body.properties.replicationStatus, undefined);
    const exp = await raw(emu, "GET", `${vpath("1.0.0")}?api-version=${GAL_API}&$expand=ReplicationStatus`);
    assertValid(gal, "GalleryImageVersion", exp.body, "version GET $expand");
    const exRep = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Get_WithReplicationStatus.json").responses["200"].body.properties
      .replicationStatus;
    assert.deepEqual(Object.keys(exp.body.properties.replicationStatus).sort(), Object.keys(exRep).sort());
    assert.deepEqual(Object.keys(exp.body.properties.replicationStatus.summary[0]).sort(), Object.keys(exRep.summary[0]).sort());

    const upd = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Update.json");
    const patch = await raw(emu, "PATCH", `${vpath("1.0.0")}?api-version=${GAL_API}`, { body: upd.parameters.galleryImageVersion });
    assert.equal(patch.status, 200);
    assert.ok(gal.statuses(GVER, "patch").includes("200"));
    for (const h of gal.responseHeaders(GVER, "patch", "200")) assert.ok(patch.headers.has(h), `PATCH version 200 lacks ${h}`);
    assertValid(gal, "GalleryImageVersion", patch.body, "version PATCH");
    assertKeysCover(patch.body, upd.responses["200"].body, "version PATCH");
    assert.equal(patch.body.properties.provisioningState, "Updating");
    await pollStatus(patch.headers.get("azure-asyncoperation")!);

    emu.seedImageVersion({ resourceGroup: rg, gallery: g, image: img, version: "1.0.1" });
    emu.setOptions({ pageSize: 1 });
    try {
      const l = await raw(emu, "GET", `${imgPath()}/versions?api-version=${GAL_API}`);
      assertValid(gal, "GalleryImageVersionList", l.body, "version list");
      const exList = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_ListByGalleryImage.json").responses["200"].body;
      assert.deepEqual(Object.keys(l.body).sort(), Object.keys(exList).sort());
      assertKeysCover(l.body.value[0], exList.value[0], "version list item");
      const l2 = await raw(emu, "GET", l.body.nextLink);
      assert.equal(l2.body.value[0].name, "1.0.1");
      assert.equal(l2.body.nextLink, undefined);
    } finally {
      emu.setOptions({ pageSize: 50 });
    }

    const del = await raw(emu, "DELETE", `${vpath("1.0.0")}?api-version=${GAL_API}`);
    assert.equal(del.status, 202);
    const delEx = galExample("stable/2025-03-03/examples/galleryExamples/GalleryImageVersion_Delete.json");
    for (const h of Object.keys(delEx.responses["202"].headers)) assert.ok(del.headers.get(h)?.startsWith(emu.url), `DELETE 202 lacks ${h}`);
    for (const h of gal.responseHeaders(GVER, "delete", "202")) assert.ok(del.headers.has(h), `DELETE 202 lacks spec header ${h}`);
    assert.equal((await pollLocation(del.headers.get("location")!)).status, 204);
    const gone = await raw(emu, "GET", `${vpath("1.0.0")}?api-version=${GAL_API}`);
    assert.equal(gone.status, 404);
    assertValid(gal, "__common_CloudError", gone.body, "version 404");
    const again = await raw(emu, "DELETE", `${vpath("1.0.0")}?api-version=${GAL_API}`);
    assert.equal(again.status, 204);
    assert.ok(gal.statuses(GVER, "delete").includes("204"));
  });

  test("the real SDK clients deserialize what the emulator returns", async () => {
    const ibc = imageBuilderClient(emu);
    const t = await ibc.virtualMachineImageTemplates.get(rg, "CreateImageTemplateLinux");
    assert.equal(t.identity.type, "UserAssigned");
    assert.equal(t.provisioningState, "Succeeded");
    assert.equal((t.distribute![0] as any).runOutputName, "image_it_pir_1");
    const cc = computeClient(emu);
    const v = await cc.galleryImageVersions.get(rg, g, img, "1.0.1", { expand: "ReplicationStatus" });
    assert.equal(v.replicationStatus?.aggregatedState, "Completed");
    assert.equal(v.publishingProfile?.targetRegions?.[0]?.name, "West US");
    const i = await cc.galleryImages.get(rg, g, img);
    assert.equal(i.identifier?.publisher, "myPublisherName");
  });
});
