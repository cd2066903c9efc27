import { type BuildTarget, requiredInputs } from "../../harness/inputs.ts";

/** Subscription of {@link EXAMPLE_TARGET}. */
export const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";

/** A build target for tests that reach no Azure: valid names, pointed at nothing in particular. */
export const EXAMPLE_TARGET: BuildTarget = {
  subscriptionId: SUBSCRIPTION,
  resourceGroup: "rg-avd-images",
  location: "westeurope",
  gallery: "galAvd",
  imageDefinition: "win11-avd-m365",
  identityId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-avd-images/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aib`,
};

/** A complete, valid set of action inputs (canonical names) for {@link EXAMPLE_TARGET}, with `overrides` on top. */
export function validInputs(overrides: Record<string, string> = {}): Record<string, string> {
  return requiredInputs(EXAMPLE_TARGET, overrides);
}

/**
 * Bad inputs, each with the input its error must name. Every one must be refused before any Azure call.
 */
export const BAD_INPUTS: { input: string; value: string; expect: RegExp }[] = [
  { input: "version-strategy", value: "nightly", expect: /one of patch, minor, major/ },
  { input: "version", value: "1.2", expect: /Major\.Minor\.Patch/ },
  { input: "version", value: "01.2.3", expect: /no leading zeros/ },
  { input: "keep-versions", value: "-1", expect: /whole number of versions/ },
  { input: "source", value: "MicrosoftWindowsDesktop:office-365:latest", expect: /publisher:offer:sku:version/ },
  { input: "source", value: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d", expect: /not a gallery image version ID/ },
  {
    input: "source",
    value: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.2`,
    expect: /X\.Y\.Z or 'latest'/,
  },
  {
    input: "identity-id",
    value: "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    expect: /user-assigned managed identity/,
  },
  { input: "target-regions", value: "westeurope\neastus=0", expect: /replica count must be a whole number from 1 to 100/ },
  { input: "target-regions", value: "West Europe=2\nwesteurope", expect: /listed twice/ },
  { input: "build-timeout-minutes", value: "2000", expect: /must be 0 .*from 6 to 960/ },
  {
    input: "build-timeout-minutes",
    value: "3",
    expect: /must be 0 .* or a whole number of minutes from 6 to 960: Image Builder fails 1-5 early .*client_jwt will expire within 5 minutes/,
  },
  { input: "script-uris", value: "http://example.com/setup.ps1", expect: /must be an https:\/\/ URL/ },
  { input: "script-uris", value: "https://example.com/setup.ps1 abc", expect: /SHA-256/ },
  { input: "subscription-id", value: "my-subscription", expect: /GUID/ },
  { input: "windows-update", value: "yes", expect: /'true' or 'false'/ },
  { input: "os-disk-size-gb", value: "12.5", expect: /whole number of GB/ },
  { input: "storage-account-type", value: "Premium_ZRS", expect: /Standard_LRS, Standard_ZRS, Premium_LRS/ },
  { input: "tags", value: "owner", expect: /'key=value'/ },
  { input: "environment", value: "AzureGermanCloud", expect: /AzureCloud, AzureUSGovernment, AzureChinaCloud/ },
  { input: "arm-endpoint", value: "http://127.0.0.1:8443", expect: /https:\/\/ URL/ },
  { input: "location", value: "West Europe", expect: /Azure region name/ },
  { input: "client-id", value: "", expect: /required when 'tenant-id' is set/ },
  { input: "windows-update-search-criteria", value: "IsInstaled=0", expect: /'IsInstaled' is not a search criterion/ },
  { input: "windows-update-filters", value: "exclude:$_.Title -like '*Preview*'", expect: /no line starts with 'include:'/ },
  { input: "windows-update-limit", value: "5000", expect: /from 1 to 1000/ },
];
