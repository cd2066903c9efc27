// The resources inside the resource group (a module of main.bicep, which passes every parameter).

@description('Region of every resource.')
param location string

@description('User-assigned managed identity: the action signs in as it, and Image Builder runs as it.')
param identityName string

@description('Azure Compute Gallery name.')
param galleryName string

@description('Gallery image definition name.')
param imageDefinitionName string

@description('SecurityType feature of the image definition (Standard: no feature).')
param securityType string

@description('Image definition identifier: publisher.')
param imagePublisher string

@description('Image definition identifier: offer.')
param imageOffer string

@description('Image definition identifier: sku.')
param imageSku string

@description('GitHub repository (owner/name); empty for no GitHub federated credential.')
param githubRepository string

@description('What follows "repo:<owner>/<name>:" in each GitHub OIDC subject to trust.')
param githubSubjects array

@description('Azure DevOps service connection issuer; empty for none.')
param azureDevOpsIssuer string

@description('Azure DevOps service connection subject identifier.')
param azureDevOpsSubject string

@description('Storage account for build scripts; empty for none.')
param scriptStorageAccountName string

@description('Resource ID of the custom role assigned at this resource group.')
param pipelineRoleId string

@description('Resource ID of the custom role assigned at the scripts container; empty without scripts storage.')
param scriptReaderRoleId string

@description('Tags on every resource.')
param tags object

var githubIssuer = 'https://token.actions.githubusercontent.com'
// The Azure DevOps service connection's tokens carry api://AzureADTokenExchange.
var tokenExchangeAudience = 'api://AzureADTokenExchange'
// GitHub's follow the cloud, as the action asks for them by its environment input (Entra ID workload
// identity federation; @azure/identity's GitHub credential): environment().name is AzureCloud,
// AzureUSGovernment or AzureChinaCloud.
var githubAudiences = {
  AzureCloud: 'api://AzureADTokenExchange'
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov'
  AzureChinaCloud: 'api://AzureADTokenExchangeChina'
}
var githubAudience = contains(githubAudiences, environment().name) ? githubAudiences[environment().name] : tokenExchangeAudience
var withScripts = !empty(scriptStorageAccountName)
var securityFeatures = securityType == 'Standard' ? [] : [
  {
    name: 'SecurityType'
    value: securityType
  }
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

// Azure refuses concurrent writes of federated credentials on one identity: one at a time.
@batchSize(1)
resource githubCredentials 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for subject in (empty(githubRepository) ? [] : githubSubjects): {
  parent: identity
  name: 'github-${uniqueString(githubRepository, subject)}'
  properties: {
    issuer: githubIssuer
    subject: 'repo:${githubRepository}:${subject}'
    audiences: [
      githubAudience
    ]
  }
}]

resource azureDevOpsCredential 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = if (!empty(azureDevOpsIssuer)) {
  parent: identity
  name: 'azure-devops-${uniqueString(azureDevOpsIssuer, azureDevOpsSubject)}'
  properties: {
    issuer: azureDevOpsIssuer
    subject: azureDevOpsSubject
    audiences: [
      tokenExchangeAudience
    ]
  }
  dependsOn: [
    githubCredentials
  ]
}

resource gallery 'Microsoft.Compute/galleries@2024-03-03' = {
  name: galleryName
  location: location
  tags: tags
  properties: {
    description: 'Azure Virtual Desktop golden images built by avd-image-action.'
  }
}

resource imageDefinition 'Microsoft.Compute/galleries/images@2024-03-03' = {
  parent: gallery
  name: imageDefinitionName
  location: location
  tags: tags
  properties: {
    osType: 'Windows'
    osState: 'Generalized'
    hyperVGeneration: 'V2'
    architecture: 'x64'
    identifier: {
      publisher: imagePublisher
      offer: imageOffer
      sku: imageSku
    }
    features: securityFeatures
  }
}

resource pipelineRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, identity.id, pipelineRoleId)
  properties: {
    roleDefinitionId: pipelineRoleId
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource scriptStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = if (withScripts) {
  name: withScripts ? scriptStorageAccountName : 'none'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = if (withScripts) {
  parent: scriptStorage
  name: 'default'
}

resource scriptContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (withScripts) {
  parent: blobService
  name: 'scripts'
  properties: {
    publicAccess: 'None'
  }
}

resource scriptReaderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withScripts) {
  scope: scriptContainer
  name: guid(scriptContainer.id, identity.id, 'avd-image-action/script-reader')
  properties: {
    roleDefinitionId: scriptReaderRoleId
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output identityId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
