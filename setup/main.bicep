// avd-image-action: the Azure side, in one deployment (README.md beside this file explains every part).
//
//   az deployment sub create --name avd-image-setup --location westeurope \
//     --template-file setup/main.bicep --parameters githubRepository=contoso/avd-images
//
// In one resource group: the user-assigned managed identity the action signs in as (GitHub OIDC or an
// Azure DevOps service connection, through federated credentials) and that Image Builder runs as; the
// Azure Compute Gallery and a Windows image definition. Beside them, least-privilege custom roles, each
// assigned at the narrowest scope Azure authorizes its actions at. The outputs are the action's inputs.
// setup.sh does the same with az CLI commands; __tests__/kit/setup.test.ts keeps the two in step and
// checks every action below against the Azure calls the action makes (src/azure/).

targetScope = 'subscription'

@description('Resource group that holds everything this setup creates; made when missing.')
param resourceGroupName string = 'rg-avd-images'

@description('Region of the resource group, the gallery, the image definition and the builds.')
param location string = deployment().location

@description('User-assigned managed identity: the action signs in as it, and Image Builder runs as it.')
param identityName string = 'id-avd-image-builder'

@description('Azure Compute Gallery name: letters, digits, periods and underscores.')
param galleryName string = 'galAvd'

@description('Gallery image definition the action publishes versions to.')
param imageDefinitionName string = 'win11-avd-m365'

@description('SecurityType of the image definition. TrustedLaunchSupported takes the Gen2 AVD marketplace images and lets session hosts be deployed as Trusted Launch or Standard VMs. Image Builder publishes only a source of the same kind (VM Image Builder overview, Confidential VM and Trusted Launch support): Standard for a Standard source, ConfidentialVmSupported for a ConfidentialVMSupported one.')
@allowed([
  'Standard'
  'TrustedLaunchSupported'
  'TrustedLaunchAndConfidentialVmSupported'
  'ConfidentialVmSupported'
])
param securityType string = 'TrustedLaunchSupported'

@description('Publisher part of the image definition identifier (your own name, unique in the gallery with offer and sku).')
param imagePublisher string = 'avd-image-action'

@description('Offer part of the image definition identifier.')
param imageOffer string = 'windows-11-avd'

@description('SKU part of the image definition identifier.')
param imageSku string = imageDefinitionName

@description('GitHub repository (owner/name) whose workflows sign in as the identity; empty for none.')
param githubRepository string = ''

@description('One federated credential each: what GitHub puts after "repo:<owner>/<name>:" in the OIDC subject. environment:<name> for a job with an environment, ref:refs/heads/<branch> for a job without one.')
param githubSubjects array = [
  'environment:avd-images'
]

@description('Azure DevOps: issuer of the workload identity federation service connection, as the service connection shows it; empty for none.')
param azureDevOpsIssuer string = ''

@description('Azure DevOps: subject identifier of the service connection, as it shows it.')
param azureDevOpsSubject string = ''

@description('Storage account (3-24 lower-case letters and digits) with a private "scripts" container that Image Builder reads script-uris from with the identity; empty: none is created.')
param scriptStorageAccountName string = ''

@description('Tags on every resource this setup creates.')
param tags object = {}

// Role 1, assigned at the resource group: what the action and Image Builder do in it. Not narrower:
// templates are created there under new names, and ARM lets a caller follow its long-running operations
// (Azure-AsyncOperation URLs under /subscriptions/…/providers/…/locations/…) only with a role at the
// resource group or above, never with one on a single resource.
var pipelineActions = [
  // VirtualMachineImageTemplates_Get, _ListByResourceGroup: reuse a template by its content hash, follow a build, find older templates.
  'Microsoft.VirtualMachineImages/imageTemplates/read'
  // VirtualMachineImageTemplates_CreateOrUpdate, _Update: create a template, PATCH a reused one's distribute and vmProfile.
  'Microsoft.VirtualMachineImages/imageTemplates/write'
  // VirtualMachineImageTemplates_Delete: recreate a Failed template; delete templates this action no longer needs (and their staging resource groups).
  'Microsoft.VirtualMachineImages/imageTemplates/delete'
  // VirtualMachineImageTemplates_Run: start the build.
  'Microsoft.VirtualMachineImages/imageTemplates/run/action'
  // VirtualMachineImageTemplates_Cancel: cancel the build when the job is canceled or a timeout is hit.
  'Microsoft.VirtualMachineImages/imageTemplates/cancel/action'
  // VirtualMachineImageTemplates_GetRunOutput: the image version the build published.
  'Microsoft.VirtualMachineImages/imageTemplates/runOutputs/read'
  // VirtualMachineImageTemplates_CreateOrUpdate with identity: ARM checks that the caller may assign the user-assigned identity (LinkedAuthorizationFailed otherwise).
  'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'
  // UserAssignedIdentities_Get (preflight): the identity named by identity-id exists.
  'Microsoft.ManagedIdentity/userAssignedIdentities/read'
  // ResourceGroups_Get (preflight): resource-group exists.
  'Microsoft.Resources/subscriptions/resourceGroups/read'
  // Image Builder, running as the identity, reads the gallery it distributes to.
  'Microsoft.Compute/galleries/read'
  // GalleryImages_Get (preflight: OS, generation, security type); Image Builder reads the definition it distributes to.
  'Microsoft.Compute/galleries/images/read'
  // GalleryImageVersions_ListByGalleryImage, _Get: choose the next version, check it is free, retention; Image Builder reads the version it writes.
  'Microsoft.Compute/galleries/images/versions/read'
  // GalleryImageVersions_Update: provenance tags; Image Builder, running as the identity, creates the new version.
  'Microsoft.Compute/galleries/images/versions/write'
  // GalleryImageVersions_Delete: retention deletes old versions.
  'Microsoft.Compute/galleries/images/versions/delete'
  // Image Builder, running as the identity, in the distribution resource group. Microsoft Learn, "Configure
  // Azure VM Image Builder permissions by using the Azure CLI" (Allow VM Image Builder to distribute images):
  // "the user-assigned managed identity needs the following Azure Actions permissions in the distribution
  // resource group: Microsoft.Compute/images/write, Microsoft.Compute/images/read,
  // Microsoft.Compute/images/delete", then "If you want to distribute to Azure Compute Gallery, you also
  // need" the four gallery actions above: the gallery case adds to the images actions, it does not replace them.
  'Microsoft.Compute/images/write'
  // Image Builder, running as the identity: the same page's distribution resource group list (read).
  'Microsoft.Compute/images/read'
  // Image Builder, running as the identity: the same page's distribution resource group list (delete).
  'Microsoft.Compute/images/delete'
]
// Deliberately absent: Microsoft.Network/*
// (no build in an existing virtual network), Microsoft.Compute/images/read on a managed image you build from
// in another resource group (grant it there), and any role on a staging resource group (Image Builder makes
// its own IT_<resource group>_<template>_<guid> group with its first-party service principal).

// Role 2, assigned at the subscription, the only scope ARM authorizes these reads at (marketplace images
// and regions belong to no resource group).
var subscriptionActions = [
  // VirtualMachineImages_List, _Get: pin a marketplace "latest" to its exact version; read its generation, security type and plan.
  'Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read'
  // Subscriptions_ListLocations (preflight): location and target-regions are regions of the subscription.
  'Microsoft.Resources/subscriptions/locations/read'
]

// Role 3, only with scriptStorageAccountName, assigned at its "scripts" container.
var scriptReaderDataActions = [
  // Image Builder downloads scriptUri customizers from the private container with the identity (no SAS).
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
]

var withScripts = !empty(scriptStorageAccountName)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

resource pipelineRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, resourceGroupName, 'avd-image-action/pipeline')
  properties: {
    roleName: 'AVD image pipeline (${resourceGroupName}, ${subscription().subscriptionId})'
    description: 'avd-image-action and Azure VM Image Builder: image templates, gallery image versions and the identity in resource group ${resourceGroupName}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: pipelineActions
        notActions: []
      }
    ]
    assignableScopes: [
      rg.id
    ]
  }
}

resource subscriptionRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'avd-image-action/subscription-reads')
  properties: {
    roleName: 'AVD image pipeline - marketplace and regions (${subscription().subscriptionId})'
    description: 'avd-image-action: read marketplace image versions and the subscription\'s regions.'
    type: 'CustomRole'
    permissions: [
      {
        actions: subscriptionActions
        notActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource scriptReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (withScripts) {
  name: guid(subscription().id, resourceGroupName, 'avd-image-action/script-reader')
  properties: {
    roleName: 'AVD image pipeline - script reader (${resourceGroupName}, ${subscription().subscriptionId})'
    description: 'Azure VM Image Builder: download build scripts from the scripts container in resource group ${resourceGroupName}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        dataActions: scriptReaderDataActions
      }
    ]
    assignableScopes: [
      rg.id
    ]
  }
}

module resources 'resource-group.bicep' = {
  name: 'avd-image-action-resources'
  scope: rg
  params: {
    location: location
    identityName: identityName
    galleryName: galleryName
    imageDefinitionName: imageDefinitionName
    securityType: securityType
    imagePublisher: imagePublisher
    imageOffer: imageOffer
    imageSku: imageSku
    githubRepository: githubRepository
    githubSubjects: githubSubjects
    azureDevOpsIssuer: azureDevOpsIssuer
    azureDevOpsSubject: azureDevOpsSubject
    scriptStorageAccountName: scriptStorageAccountName
    pipelineRoleId: pipelineRole.id
    scriptReaderRoleId: withScripts ? scriptReaderRole.id : ''
    tags: tags
  }
}

resource subscriptionRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, resourceGroupName, identityName, 'avd-image-action/subscription-reads')
  properties: {
    roleDefinitionId: subscriptionRole.id
    principalId: resources.outputs.principalId
    principalType: 'ServicePrincipal'
  }
}

// The action's inputs, each named like its input (subscription-id -> subscriptionId). setup.sh prints
// them as `with:` lines and can store them as GitHub variables AVD_SUBSCRIPTION_ID, AVD_TENANT_ID, ...
output subscriptionId string = subscription().subscriptionId
output tenantId string = tenant().tenantId
output clientId string = resources.outputs.clientId
output resourceGroup string = rg.name
output location string = location
output galleryName string = galleryName
output imageDefinition string = imageDefinitionName
output identityId string = resources.outputs.identityId
