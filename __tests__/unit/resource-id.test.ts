/**
 * src/resource-id.ts, the one module that builds, parses and compares Azure resource IDs: every kind the
 * action handles round-trips through its builder and parser, Azure's varying case is accepted, and IDs of
 * another kind, another provider or with bad parts are refused.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ID_SHAPES,
  galleryImageId,
  galleryImageVersionId,
  imageTemplateId,
  isGuid,
  isManagedImageId,
  isResourceGroupName,
  isSubnetId,
  isUserAssignedIdentityId,
  nameOf,
  parseGalleryImageVersionId,
  parseManagedImageId,
  parseResourceGroupId,
  parseSubnetId,
  parseUserAssignedIdentityId,
  resourceGroupId,
  sameResourceId,
  sameVirtualNetwork,
  splitImageVersionId,
} from "../../src/resource-id.ts";

const SUB = "00000000-1111-2222-3333-444444444444";
const RG = `/subscriptions/${SUB}/resourceGroups/rg-images`;

describe("resource IDs", () => {
  it("a gallery image version ID round-trips: galleryImageId + galleryImageVersionId, then parse", () => {
    const id = galleryImageVersionId(galleryImageId(SUB, "rg-gallery", "gal_avd", "win11-avd"), "1.2.3");
    assert.equal(id, `/subscriptions/${SUB}/resourceGroups/rg-gallery/providers/Microsoft.Compute/galleries/gal_avd/images/win11-avd/versions/1.2.3`);
    assert.deepEqual(parseGalleryImageVersionId(id), {
      subscriptionId: SUB,
      resourceGroup: "rg-gallery",
      gallery: "gal_avd",
      image: "win11-avd",
      version: "1.2.3",
    });
    assert.deepEqual(splitImageVersionId(id), { definitionId: galleryImageId(SUB, "rg-gallery", "gal_avd", "win11-avd"), version: "1.2.3" });
    assert.equal(nameOf(id), "1.2.3");
  });

  it("accepts Azure's varying case and surrounding whitespace, and keeps the parts as written", () => {
    const id = `  /SUBSCRIPTIONS/${SUB}/resourcegroups/RG-Gallery/providers/microsoft.compute/Galleries/G/Images/I/Versions/latest `;
    assert.deepEqual(parseGalleryImageVersionId(id), { subscriptionId: SUB, resourceGroup: "RG-Gallery", gallery: "G", image: "I", version: "latest" });
    assert.deepEqual(splitImageVersionId("/x/images/I/VERSIONS/9.9.9"), { definitionId: "/x/images/I", version: "9.9.9" });
    assert.ok(sameResourceId(`${RG}/providers/Microsoft.Compute/images/a`, `${RG.toUpperCase()}/PROVIDERS/microsoft.compute/IMAGES/A`));
    assert.equal(sameResourceId(undefined, undefined), false);
    assert.equal(sameResourceId(RG, `${RG}x`), false);
  });

  it("refuses an ID of another kind, provider or shape, or whose subscription is not a GUID", () => {
    assert.equal(parseGalleryImageVersionId(galleryImageId(SUB, "rg", "g", "i")), undefined, "a definition is no version");
    assert.equal(
      parseGalleryImageVersionId(`/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0`),
      undefined,
    );
    assert.equal(parseGalleryImageVersionId(`${RG}/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0/extra`), undefined);
    assert.equal(isManagedImageId(`${RG}/providers/Microsoft.Compute/galleries/g/images/i`), false);
    assert.equal(isUserAssignedIdentityId(`${RG}/providers/Microsoft.Compute/images/id-aib`), false);
    assert.equal(isSubnetId(`${RG}/providers/Microsoft.Network/virtualNetworks/vnet`), false, "a virtual network is no subnet");
    assert.equal(splitImageVersionId(galleryImageId(SUB, "rg", "g", "i")), undefined);
    assert.equal(parseResourceGroupId(`${RG}/providers/Microsoft.Compute/images/x`), undefined);
  });

  it("parses managed images, user-assigned identities and subnets into named parts", () => {
    assert.deepEqual(parseManagedImageId(`${RG}/providers/Microsoft.Compute/images/img-base`), {
      subscriptionId: SUB,
      resourceGroup: "rg-images",
      name: "img-base",
    });
    assert.deepEqual(parseUserAssignedIdentityId(`${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aib`), {
      subscriptionId: SUB,
      resourceGroup: "rg-images",
      name: "id-aib",
    });
    assert.deepEqual(parseSubnetId(`${RG}/providers/Microsoft.Network/virtualNetworks/vnet-build/subnets/snet-vm`), {
      subscriptionId: SUB,
      resourceGroup: "rg-images",
      virtualNetwork: "vnet-build",
      subnet: "snet-vm",
    });
  });

  it("resource groups: builds and splits the ID (a trailing slash allowed); names follow ARM's rules, Unicode letters included", () => {
    assert.equal(resourceGroupId(SUB, "rg-aib-staging"), `/subscriptions/${SUB}/resourceGroups/rg-aib-staging`);
    assert.deepEqual(parseResourceGroupId(`/subscriptions/${SUB}/resourcegroups/IT_rg_t_1/`), { subscriptionId: SUB, resourceGroup: "IT_rg_t_1" });
    for (const name of ["rg", "rg-images_(prod).eu", "Ressourcengruppe-Büro", "a".repeat(90)]) assert.ok(isResourceGroupName(name), name);
    for (const name of ["", "ends-with-dot.", "has space", "has/slash", "a".repeat(91)]) assert.equal(isResourceGroupName(name), false, name);
    assert.ok(parseManagedImageId(`/subscriptions/${SUB}/resourceGroups/Büro/providers/Microsoft.Compute/images/x`));
    assert.ok(isGuid(SUB));
    assert.equal(isGuid(`${SUB}0`), false);
  });

  it("sameVirtualNetwork: two subnets of one virtual network in any case; another network, group or subscription is not", () => {
    const vnet = `${RG}/providers/Microsoft.Network/virtualNetworks/vnet-build`;
    assert.ok(sameVirtualNetwork(`${vnet}/subnets/a`, `${vnet.toLowerCase()}/subnets/b`));
    assert.equal(sameVirtualNetwork(`${vnet}/subnets/a`, `${RG}/providers/Microsoft.Network/virtualNetworks/vnet-other/subnets/b`), false);
    assert.equal(sameVirtualNetwork(`${vnet}/subnets/a`, `${vnet.replace("rg-images", "rg-other")}/subnets/b`), false);
    assert.equal(sameVirtualNetwork(`${vnet}/subnets/a`, `${vnet.replace(SUB, "99999999-1111-2222-3333-444444444444")}/subnets/b`), false);
    assert.equal(sameVirtualNetwork(`${vnet}/subnets/a`, "not an id"), false);
  });

  it("image template IDs and the last segment of any ID", () => {
    assert.equal(imageTemplateId(SUB, "rg-images", "it-win11-abc"), `${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/it-win11-abc`);
    assert.equal(nameOf(`${RG}/`), "rg-images");
    assert.equal(nameOf("plain"), "plain");
  });

  it("every shape in ID_SHAPES, filled in, parses as its kind (so the error messages show IDs the parsers accept)", () => {
    const fill = (shape: string) =>
      shape
        .replace("<id>", SUB)
        .replace(/<X\.Y\.Z\|latest>/, "1.0.0")
        .replace(/<[^>]+>/g, "x");
    assert.ok(parseResourceGroupId(fill(ID_SHAPES.resourceGroup)));
    assert.ok(parseGalleryImageVersionId(fill(ID_SHAPES.galleryImageVersion)));
    assert.ok(isManagedImageId(fill(ID_SHAPES.managedImage)));
    assert.ok(isUserAssignedIdentityId(fill(ID_SHAPES.userAssignedIdentity)));
    assert.ok(isSubnetId(fill(ID_SHAPES.subnet)));
  });
});
