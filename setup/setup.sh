#!/usr/bin/env bash
# avd-image-action: the Azure side with az CLI commands, the same as main.bicep (same resources, same
# roles, same outputs). Run it signed in (az login) as an Owner of the subscription, or as a Contributor
# who is also User Access Administrator: it creates custom roles and role assignments.
#
#   ./setup/setup.sh --location westeurope --github-repo contoso/avd-images --set-github-variables
#
# Options (defaults as in main.bicep):
#   --location REGION              region of everything and of the builds (required)
#   --resource-group NAME          rg-avd-images (created when missing)
#   --identity NAME                id-avd-image-builder
#   --gallery NAME                 galAvd
#   --image-definition NAME        win11-avd-m365 (run again with another name to add a definition)
#   --security-type TYPE           TrustedLaunchSupported (or Standard, ConfidentialVmSupported, ...)
#   --image-publisher/--image-offer/--image-sku   image definition identifier
#                                  (avd-image-action / windows-11-avd / the definition's name)
#   --github-repo OWNER/NAME       trust this repository's workflows (GitHub OIDC federated credential)
#   --github-subject SUBJECT       what follows "repo:OWNER/NAME:" in the OIDC subject, repeatable;
#                                  default environment:avd-images (jobs with `environment: avd-images`)
#   --ado-issuer URL --ado-subject SUBJECT
#                                  trust an Azure DevOps workload identity federation service connection
#                                  (both values are shown on the service connection)
#   --script-storage-account NAME  a private storage account with a "scripts" container that Image
#                                  Builder reads script-uris from with the identity
#   --tags "k=v k2=v2"             tags on every resource created
#   --set-github-variables         store the outputs as repository variables AVD_* (GitHub CLI, gh)
#   --dry-run                      print the commands instead of running them; nothing needs Azure
#
# Prints the action's inputs as `with:` lines at the end.
set -euo pipefail # (bash 3.2 too: empty arrays expand as ${a[@]+"${a[@]}"})

resource_group=rg-avd-images
location=
identity=id-avd-image-builder
gallery=galAvd
image_definition=win11-avd-m365
security_type=TrustedLaunchSupported
image_publisher=avd-image-action
image_offer=windows-11-avd
image_sku=
github_repo=
github_subjects=()
ado_issuer=
ado_subject=
script_storage_account=
tags=()
set_github_variables=false
dry_run=false

die() { echo "setup.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --location) location=${2:?--location needs a value}; shift 2 ;;
    --resource-group) resource_group=${2:?}; shift 2 ;;
    --identity) identity=${2:?}; shift 2 ;;
    --gallery) gallery=${2:?}; shift 2 ;;
    --image-definition) image_definition=${2:?}; shift 2 ;;
    --security-type) security_type=${2:?}; shift 2 ;;
    --image-publisher) image_publisher=${2:?}; shift 2 ;;
    --image-offer) image_offer=${2:?}; shift 2 ;;
    --image-sku) image_sku=${2:?}; shift 2 ;;
    --github-repo) github_repo=${2:?}; shift 2 ;;
    --github-subject) github_subjects+=("${2:?}"); shift 2 ;;
    --ado-issuer) ado_issuer=${2:?}; shift 2 ;;
    --ado-subject) ado_subject=${2:?}; shift 2 ;;
    --script-storage-account) script_storage_account=${2:?}; shift 2 ;;
    --tags) read -r -a tags <<<"${2:?}"; shift 2 ;;
    --set-github-variables) set_github_variables=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ -n "$location" ] || die "--location is required, e.g. --location westeurope"
[ -n "$image_sku" ] || image_sku=$image_definition
[ ${#github_subjects[@]} -gt 0 ] || github_subjects=("environment:avd-images")
case "$security_type" in
  Standard | TrustedLaunchSupported | TrustedLaunch | TrustedLaunchAndConfidentialVmSupported | ConfidentialVmSupported | ConfidentialVM) ;;
  *) die "--security-type '$security_type' is not one of Standard, TrustedLaunchSupported, TrustedLaunch, TrustedLaunchAndConfidentialVmSupported, ConfidentialVmSupported, ConfidentialVM" ;;
esac
if { [ -n "$ado_issuer" ] && [ -z "$ado_subject" ]; } || { [ -z "$ado_issuer" ] && [ -n "$ado_subject" ]; }; then
  die "--ado-issuer and --ado-subject go together"
fi
if $set_github_variables && [ -z "$github_repo" ]; then die "--set-github-variables needs --github-repo"; fi

# Role 1, assigned at the resource group: what the action and Image Builder do in it. Not narrower:
# templates are created there under new names, and ARM lets a caller follow its long-running operations
# (Azure-AsyncOperation URLs under /subscriptions/…/providers/…/locations/…) only with a role at the
# resource group or above.
pipeline_actions=(
  # VirtualMachineImageTemplates_Get, _ListByResourceGroup: reuse a template by its content hash, follow a build, find older templates.
  Microsoft.VirtualMachineImages/imageTemplates/read
  # VirtualMachineImageTemplates_CreateOrUpdate, _Update: create a template, PATCH a reused one's distribute and vmProfile.
  Microsoft.VirtualMachineImages/imageTemplates/write
  # VirtualMachineImageTemplates_Delete: recreate a Failed template; delete templates this action no longer needs.
  Microsoft.VirtualMachineImages/imageTemplates/delete
  # VirtualMachineImageTemplates_Run: start the build.
  Microsoft.VirtualMachineImages/imageTemplates/run/action
  # VirtualMachineImageTemplates_Cancel: cancel the build when the job is canceled or a timeout is hit.
  Microsoft.VirtualMachineImages/imageTemplates/cancel/action
  # VirtualMachineImageTemplates_GetRunOutput: the image version the build published.
  Microsoft.VirtualMachineImages/imageTemplates/runOutputs/read
  # VirtualMachineImageTemplates_CreateOrUpdate with identity: ARM checks that the caller may assign the identity.
  Microsoft.ManagedIdentity/userAssignedIdentities/assign/action
  # UserAssignedIdentities_Get (preflight): the identity named by identity-id exists.
  Microsoft.ManagedIdentity/userAssignedIdentities/read
  # ResourceGroups_Get (preflight): resource-group exists.
  Microsoft.Resources/subscriptions/resourceGroups/read
  # Image Builder, running as the identity, reads the gallery it distributes to.
  Microsoft.Compute/galleries/read
  # GalleryImages_Get (preflight); Image Builder reads the definition it distributes to.
  Microsoft.Compute/galleries/images/read
  # GalleryImageVersions_ListByGalleryImage, _Get: next version, free-version check, retention; Image Builder reads what it writes.
  Microsoft.Compute/galleries/images/versions/read
  # GalleryImageVersions_Update: provenance tags; Image Builder, running as the identity, creates the new version.
  Microsoft.Compute/galleries/images/versions/write
  # GalleryImageVersions_Delete: retention deletes old versions.
  Microsoft.Compute/galleries/images/versions/delete
  # Image Builder, running as the identity, in the distribution resource group (Learn, Image Builder permissions:
  # images/write, read, delete there, and "If you want to distribute to Azure Compute Gallery, you also need" the gallery actions).
  Microsoft.Compute/images/write
  # Image Builder, running as the identity: the same page's distribution resource group list (read).
  Microsoft.Compute/images/read
  # Image Builder, running as the identity: the same page's distribution resource group list (delete).
  Microsoft.Compute/images/delete
)
# Role 2, assigned at the subscription, the only scope ARM authorizes these reads at.
subscription_actions=(
  # VirtualMachineImages_List, _Get: pin a marketplace "latest" to its exact version; read its generation, security type and plan.
  Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read
  # Subscriptions_ListLocations (preflight): location and target-regions are regions of the subscription.
  Microsoft.Resources/subscriptions/locations/read
)
# Role 3, only with --script-storage-account, assigned at its "scripts" container.
script_reader_data_actions=(
  # Image Builder downloads scriptUri customizers from the private container with the identity (no SAS).
  Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read
)

exec 3>&1 # the plan (--dry-run) goes to the real stdout, also from inside $(...)
say() { echo "==> $*" >&2; }
az_run() { # az_run ARGS...: runs az, or prints the command with --dry-run
  if $dry_run; then { printf 'az'; printf ' %q' "$@"; printf '\n'; } >&3; else az "$@"; fi
}
az_value() { # az_value PLACEHOLDER ARGS...: what az prints, or PLACEHOLDER with --dry-run
  local placeholder=$1
  shift
  if $dry_run; then { printf 'az'; printf ' %q' "$@"; printf '\n'; } >&3; echo "$placeholder"; else az "$@"; fi
}
gh_run() {
  if $dry_run; then { printf 'gh'; printf ' %q' "$@"; printf '\n'; } >&3; else gh "$@"; fi
}
retry() { # new identities and role definitions take a minute to reach every Azure region
  local attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    if "$@"; then return 0; fi
    $dry_run && return 1
    say "retrying in 15 s (attempt $attempt of 8): Azure may not have replicated the new principal or role yet"
    sleep 15
  done
  return 1
}
hash16() { # a short stable name part from stdin
  if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -c1-16
}
json_list() { # json_list A B ... -> ["A","B",...] (the values hold no quotes or backslashes)
  local out= sep=
  for item in "$@"; do out+="$sep\"$item\"" && sep=,; done
  printf '[%s]' "$out"
}
tag_args=()
[ ${#tags[@]} -eq 0 ] || tag_args=(--tags "${tags[@]}")

say "Subscription"
subscription_id=$(az_value '<subscription-id>' account show --query id -o tsv)
tenant_id=$(az_value '<tenant-id>' account show --query tenantId -o tsv)
rg_id="/subscriptions/$subscription_id/resourceGroups/$resource_group"

say "Resource providers Image Builder needs (registration is once per subscription)"
for namespace in Microsoft.VirtualMachineImages Microsoft.Compute Microsoft.Storage Microsoft.Network Microsoft.KeyVault Microsoft.ManagedIdentity Microsoft.ContainerInstance; do
  az_run provider register --namespace "$namespace" -o none
done

say "Resource group $resource_group ($location)"
az_run group create --name "$resource_group" --location "$location" ${tag_args[@]+"${tag_args[@]}"} -o none

say "Managed identity $identity"
az_run identity create --resource-group "$resource_group" --name "$identity" --location "$location" ${tag_args[@]+"${tag_args[@]}"} -o none
identity_id=$(az_value "$rg_id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/$identity" identity show --resource-group "$resource_group" --name "$identity" --query id -o tsv)
client_id=$(az_value '<client-id>' identity show --resource-group "$resource_group" --name "$identity" --query clientId -o tsv)
principal_id=$(az_value '<principal-id>' identity show --resource-group "$resource_group" --name "$identity" --query principalId -o tsv)

say "Compute Gallery $gallery and image definition $image_definition ($security_type, Gen2)"
az_run sig create --resource-group "$resource_group" --gallery-name "$gallery" --location "$location" \
  --description "Azure Virtual Desktop golden images built by avd-image-action." ${tag_args[@]+"${tag_args[@]}"} -o none
features=()
[ "$security_type" = Standard ] || features=(--features "SecurityType=$security_type")
az_run sig image-definition create --resource-group "$resource_group" --gallery-name "$gallery" \
  --gallery-image-definition "$image_definition" --location "$location" \
  --publisher "$image_publisher" --offer "$image_offer" --sku "$image_sku" \
  --os-type Windows --os-state Generalized --hyper-v-generation V2 --architecture x64 ${features[@]+"${features[@]}"} ${tag_args[@]+"${tag_args[@]}"} -o none

ensure_role() { # ensure_role ROLE-NAME DESCRIPTION SCOPE ACTIONS-JSON DATA-ACTIONS-JSON: create or update a custom role
  local name=$1 description=$2 scope=$3 actions=$4 data_actions=$5 existing id_field=
  existing=$(az_value '' role definition list --custom-role-only true --name "$name" --scope "$scope" --query '[0].name' -o tsv)
  [ -z "$existing" ] || id_field="\"Id\": \"$existing\", "
  local definition="{$id_field\"Name\": \"$name\", \"IsCustom\": true, \"Description\": \"$description\", \"Actions\": $actions, \"NotActions\": [], \"DataActions\": $data_actions, \"NotDataActions\": [], \"AssignableScopes\": [\"$scope\"]}"
  az_run role definition "$([ -z "$existing" ] && echo create || echo update)" --role-definition "$definition" -o none
}
assign() { # assign ROLE-NAME SCOPE
  retry az_run role assignment create --assignee-object-id "$principal_id" --assignee-principal-type ServicePrincipal \
    --role "$1" --scope "$2" -o none
}

pipeline_role="AVD image pipeline ($resource_group, $subscription_id)"
subscription_role="AVD image pipeline - marketplace and regions ($subscription_id)"
say "Custom role '$pipeline_role' at the resource group"
ensure_role "$pipeline_role" \
  "avd-image-action and Azure VM Image Builder: image templates, gallery image versions and the identity in resource group $resource_group." \
  "$rg_id" "$(json_list "${pipeline_actions[@]}")" '[]'
assign "$pipeline_role" "$rg_id"
say "Custom role '$subscription_role' at the subscription"
ensure_role "$subscription_role" "avd-image-action: read marketplace image versions and the subscription's regions." \
  "/subscriptions/$subscription_id" "$(json_list "${subscription_actions[@]}")" '[]'
assign "$subscription_role" "/subscriptions/$subscription_id"

if [ -n "$script_storage_account" ]; then
  say "Storage account $script_storage_account with a private 'scripts' container"
  az_run storage account create --name "$script_storage_account" --resource-group "$resource_group" --location "$location" \
    --kind StorageV2 --sku Standard_LRS --min-tls-version TLS1_2 --https-only true \
    --allow-blob-public-access false --allow-shared-key-access false ${tag_args[@]+"${tag_args[@]}"} -o none
  az_run storage container-rm create --storage-account "$script_storage_account" --resource-group "$resource_group" \
    --name scripts --public-access off -o none
  script_role="AVD image pipeline - script reader ($resource_group, $subscription_id)"
  ensure_role "$script_role" \
    "Azure VM Image Builder: download build scripts from the scripts container in resource group $resource_group." \
    "$rg_id" '[]' "$(json_list "${script_reader_data_actions[@]}")"
  assign "$script_role" "$rg_id/providers/Microsoft.Storage/storageAccounts/$script_storage_account/blobServices/default/containers/scripts"
fi

# Federated credentials: one at a time (Azure refuses concurrent writes on one identity). GitHub's follow the
# cloud's token exchange audience, as the action asks for it by environment (Entra ID workload identity
# federation: api://AzureADTokenExchange, api://AzureADTokenExchangeUSGov, api://AzureADTokenExchangeChina);
# the Azure DevOps service connection's keeps the audience its tokens carry, api://AzureADTokenExchange.
cloud=$(az_value AzureCloud cloud show --query name -o tsv)
case "$cloud" in
  AzureUSGovernment) github_audience=api://AzureADTokenExchangeUSGov ;;
  AzureChinaCloud) github_audience=api://AzureADTokenExchangeChina ;;
  *) github_audience=api://AzureADTokenExchange ;;
esac
federate() { # federate NAME ISSUER SUBJECT AUDIENCE
  az_run identity federated-credential create --resource-group "$resource_group" --identity-name "$identity" \
    --name "$1" --issuer "$2" --subject "$3" --audiences "$4" -o none
}
if [ -n "$github_repo" ]; then
  for subject in "${github_subjects[@]}"; do
    say "Federated credential: GitHub repo:$github_repo:$subject"
    federate "github-$(printf '%s' "$github_repo:$subject" | hash16)" \
      https://token.actions.githubusercontent.com "repo:$github_repo:$subject" "$github_audience"
  done
fi
if [ -n "$ado_issuer" ]; then
  say "Federated credential: Azure DevOps $ado_subject"
  federate "azure-devops-$(printf '%s' "$ado_issuer $ado_subject" | hash16)" "$ado_issuer" "$ado_subject" api://AzureADTokenExchange
fi

# The action's inputs, named like them; as GitHub variables AVD_<INPUT> (subscription-id -> AVD_SUBSCRIPTION_ID).
emit() { # emit INPUT VALUE
  printf '  %s: %s\n' "$1" "$2"
  if $set_github_variables; then
    gh_run variable set "AVD_$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')" --repo "$github_repo" --body "$2" >&2
  fi
}
echo "The action's inputs (with:), from this setup:"
emit subscription-id "$subscription_id"
emit tenant-id "$tenant_id"
emit client-id "$client_id"
emit resource-group "$resource_group"
emit location "$location"
emit gallery-name "$gallery"
emit image-definition "$image_definition"
emit identity-id "$identity_id"
