/**
 * The staging storage account of Azure VM Image Builder.
 *
 * Microsoft.Storage/storageAccounts, api-version 2025-08-01 (what @azure/arm-storage 20.x sends) and
 * earlier: list by resource group and get, in the staging resource groups of the emulator's image
 * templates (`IT_<rg>_<template>_<guid>`, or the template's own `stagingResourceGroup`). Each holds one
 * StorageV2 account — AIB makes one per staging resource group — when the emulator is backed by Azurite
 * (`useAzurite`); its `primaryEndpoints.blob` points at Azurite (path-style, `https://127.0.0.1:PORT/<account>/`),
 * the other endpoints keep Azure's form. Without Azurite the group holds no storage account. Body shape
 * after the spec's example (Azure/azure-rest-api-specs specification/storage/resource-manager/
 * Microsoft.Storage/stable/2025-08-01/examples/StorageAccountListByResourceGroup.json @ 5f5de686);
 * `primaryEndpoints` is under `properties` on the wire (the modular SDK flattens it).
 *
 * The customization.log these accounts hold is written by customization-log.ts.
 */

import type { RequestContext, Route } from "./arm.ts";
import { pageOf, resourceGroupNotFound, resourceNotFound } from "./arm.ts";
import type { Azurite, AzuriteAccount } from "./azurite.ts";
import type { Core } from "./core.ts";

/** api-versions accepted for storage accounts. */
export const STORAGE_API_VERSIONS = [
  "2025-08-01",
  "2025-06-01",
  "2025-01-01",
  "2024-01-01",
  "2023-05-01",
  "2023-04-01",
  "2023-01-01",
  "2022-09-01",
  "2022-05-01",
  "2021-09-01",
  "2021-04-01",
  "2019-06-01",
] as const;

/** A staging resource group the emulator knows (from an image template). */
export interface StagingGroup {
  /** `/subscriptions/<id>/resourceGroups/<name>`. */
  id: string;
  location: string;
  /**
   * The template's `managedResourceTags`: imagebuilder.json 2025-10-01, "Tags that will be applied to the
   * resource group and/or resources created by the service" (here: on the staging storage account).
   */
  tags?: Record<string, string>;
}

/** Staging storage accounts (ARM), one Azurite account per staging resource group. */
export class Storage {
  private readonly core: () => Core;
  private readonly stagingGroups: () => StagingGroup[];
  private azuriteRef: Azurite | undefined;
  private readonly assigned = new Map<string, AzuriteAccount>();
  private readonly created = new Map<string, string>();

  constructor(core: () => Core, stagingGroups: () => StagingGroup[]) {
    this.core = core;
    this.stagingGroups = stagingGroups;
  }

  /** Backs staging storage accounts with `azurite` (undefined: staging groups hold no storage account, builds write no log). */
  useAzurite(azurite: Azurite | undefined): void {
    this.azuriteRef = azurite;
    this.assigned.clear();
  }

  /** The Azurite behind the staging accounts, if any. */
  get azurite(): Azurite | undefined {
    return this.azuriteRef;
  }

  /** The staging group with this ID (case-insensitive), or undefined. */
  stagingGroup(id: string): StagingGroup | undefined {
    return this.stagingGroups().find((g) => g.id.toLowerCase() === id.toLowerCase());
  }

  routes(): Route[] {
    const base = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts";
    const r = (pattern: string, handler: (ctx: RequestContext) => ReturnType<Route["handler"]>): Route => ({
      method: "GET",
      pattern,
      kind: "arm",
      apiVersions: STORAGE_API_VERSIONS,
      resourceType: "storageAccounts",
      // Staging resource groups are not seeded groups: checked here.
      resourceGroupScoped: false,
      handler,
    });
    return [
      r(base, (ctx) => {
        const group = this.group(ctx);
        const items = this.accountOf(group) ? [this.accountBody(group!)] : [];
        return { status: 200, body: pageOf(items, ctx, this.core().baseUrl(), this.core().options.pageSize) };
      }),
      r(`${base}/{name}`, (ctx) => {
        const group = this.group(ctx);
        const account = this.accountOf(group);
        if (!account || account.name.toLowerCase() !== ctx.params.name!.toLowerCase()) {
          throw resourceNotFound(`Microsoft.Storage/storageAccounts/${ctx.params.name}`, ctx.params.rg!);
        }
        return { status: 200, body: this.accountBody(group!) };
      }),
    ];
  }

  /** The staging group of a request, or undefined for a seeded (non-staging) group; 404 for an unknown one. */
  private group(ctx: RequestContext): StagingGroup | undefined {
    const id = `/subscriptions/${ctx.params.sub}/resourceGroups/${ctx.params.rg}`.toLowerCase();
    const staging = this.stagingGroup(id);
    if (staging) return staging;
    if (!this.core().resources.getResourceGroup(ctx.params.sub!, ctx.params.rg!)) throw resourceGroupNotFound(ctx.params.rg!);
    return undefined;
  }

  /** The Azurite account of a staging group (accounts handed out in turn), or undefined without Azurite. */
  accountOf(group: StagingGroup | undefined): AzuriteAccount | undefined {
    if (!group || !this.azuriteRef) return undefined;
    const k = group.id.toLowerCase();
    let account = this.assigned.get(k);
    if (!account) {
      account = this.azuriteRef.accounts[this.assigned.size % this.azuriteRef.accounts.length]!;
      this.assigned.set(k, account);
    }
    return account;
  }

  private accountBody(group: StagingGroup): Record<string, unknown> {
    const account = this.accountOf(group)!;
    const k = group.id.toLowerCase();
    if (!this.created.has(k)) this.created.set(k, new Date().toISOString());
    const azure = (service: string) => `https://${account.name}.${service}.core.windows.net/`;
    return {
      sku: { name: "Standard_LRS", tier: "Standard" },
      kind: "StorageV2",
      id: `${group.id}/providers/Microsoft.Storage/storageAccounts/${account.name}`,
      name: account.name,
      type: "Microsoft.Storage/storageAccounts",
      location: group.location,
      tags: { ...group.tags },
      properties: {
        keyCreationTime: { key1: this.created.get(k), key2: this.created.get(k) },
        privateEndpointConnections: [],
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        networkAcls: { bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" },
        supportsHttpsTrafficOnly: true,
        encryption: {
          services: {
            file: { keyType: "Account", enabled: true, lastEnabledTime: this.created.get(k) },
            blob: { keyType: "Account", enabled: true, lastEnabledTime: this.created.get(k) },
          },
          keySource: "Microsoft.Storage",
        },
        accessTier: "Hot",
        provisioningState: "Succeeded",
        creationTime: this.created.get(k),
        primaryEndpoints: {
          dfs: azure("dfs"),
          web: `https://${account.name}.z6.web.core.windows.net/`,
          blob: this.azuriteRef!.blobEndpoint(account.name),
          queue: azure("queue"),
          table: azure("table"),
          file: azure("file"),
        },
        primaryLocation: group.location,
        statusOfPrimary: "available",
      },
    };
  }
}
