/**
 * GitHub releases of the image repository as a browsable history of image versions: one release a
 * version, tagged `image/<definition>/<version>`, its body the changelog, its asset the manifest — made
 * through @actions/github's Octokit, which talks to `GITHUB_API_URL` (the runner sets it; GitHub
 * Enterprise Server and the tests' stand-in too). @actions/github is imported on first use only, so runs
 * without `github-release` never load Octokit.
 *
 * REST (docs.github.com/en/rest/releases, API version 2022-11-28): Get a release by tag name
 * (`GET /repos/{owner}/{repo}/releases/tags/{tag}`), Create a release (`POST /repos/{owner}/{repo}/releases`,
 * needs `contents: write`), Update a release (`PATCH …/releases/{release_id}`), Upload a release asset
 * (`POST {upload_url}?name=…`), Delete a release asset, Get a release asset (`Accept: application/octet-stream`).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Manifest } from "../changelog/manifest.ts";

/** The release tag of an image version: `image/<definition>/<version>`. */
export function releaseTag(imageDefinition: string, version: string): string {
  return `image/${imageDefinition}/${version}`;
}

/** A release as this action made it. */
export interface PublishedRelease {
  /** `html_url` of the release. */
  url: string;
  tag: string;
  /** True when the release existed (a re-run) and was updated. */
  updated: boolean;
}

/** The releases this action reads and writes. Errors are Octokit's RequestError (status, message). */
export interface ReleaseStore {
  /** The manifest attached to the release `tag`, or `{ missing }` saying why there is none. */
  readManifest(tag: string, assetName: string): Promise<Manifest | { missing: string }>;
  /** Creates (or, when the tag's release exists, updates) the release and attaches the manifest file. */
  publish(release: { tag: string; name: string; body: string; commit?: string; manifestPath: string }): Promise<PublishedRelease>;
}

/** Where the releases go. */
export interface ReleaseTarget {
  token: string;
  /** `owner/repo`. */
  repository: string;
}

/** The Octokit-backed store for `target` (Octokit created on first use). */
export function createReleaseStore(target: ReleaseTarget): ReleaseStore {
  const [owner, repo] = target.repository.split("/") as [string, string];
  let octokit: Promise<Octokit> | undefined;
  const client = () => (octokit ??= import("@actions/github").then((github) => github.getOctokit(target.token) as unknown as Octokit));
  const byTag = async (tag: string): Promise<Release | undefined> => {
    try {
      return (await (await client()).rest.repos.getReleaseByTag({ owner, repo, tag })).data;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  };
  return {
    async readManifest(tag, assetName) {
      let release: Release | undefined;
      try {
        release = await byTag(tag);
      } catch (error) {
        return { missing: `its GitHub release ${tag} could not be read (${(error as Error).message})` };
      }
      if (!release) return { missing: `there is no GitHub release ${tag}` };
      const asset = release.assets.find((a) => a.name === assetName);
      if (!asset) return { missing: `the GitHub release ${tag} has no ${assetName}` };
      try {
        const response = await (await client()).rest.repos.getReleaseAsset({
          owner,
          repo,
          asset_id: asset.id,
          headers: { accept: "application/octet-stream" },
        });
        const data = response.data as unknown;
        const text = typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8");
        return JSON.parse(text) as Manifest;
      } catch (error) {
        return { missing: `${assetName} of the GitHub release ${tag} could not be read (${(error as Error).message})` };
      }
    },
    async publish({ tag, name, body, commit, manifestPath }) {
      const octo = await client();
      const existing = await byTag(tag);
      const release = existing
        ? (await octo.rest.repos.updateRelease({ owner, repo, release_id: existing.id, name, body })).data
        : (await octo.rest.repos.createRelease({ owner, repo, tag_name: tag, name, body, ...(commit ? { target_commitish: commit } : {}) })).data;
      const assetName = basename(manifestPath);
      for (const old of release.assets.filter((a) => a.name === assetName)) await octo.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: old.id });
      const data = readFileSync(manifestPath);
      await octo.rest.repos.uploadReleaseAsset({
        owner,
        repo,
        release_id: release.id,
        name: assetName,
        url: release.upload_url,
        data: data as unknown as string,
        headers: { "content-type": "application/json" },
      });
      return { url: release.html_url, tag, updated: Boolean(existing) };
    },
  };
}

interface Release {
  id: number;
  html_url: string;
  upload_url: string;
  assets: { id: number; name: string }[];
}

/** The part of Octokit this module calls (typed here so the module type-checks without loading Octokit's types). */
interface Octokit {
  rest: {
    repos: {
      getReleaseByTag(p: { owner: string; repo: string; tag: string }): Promise<{ data: Release }>;
      createRelease(p: { owner: string; repo: string; tag_name: string; name: string; body: string; target_commitish?: string }): Promise<{ data: Release }>;
      updateRelease(p: { owner: string; repo: string; release_id: number; name: string; body: string }): Promise<{ data: Release }>;
      deleteReleaseAsset(p: { owner: string; repo: string; asset_id: number }): Promise<unknown>;
      uploadReleaseAsset(p: {
        owner: string;
        repo: string;
        release_id: number;
        name: string;
        url: string;
        data: string;
        headers: Record<string, string | number>;
      }): Promise<unknown>;
      getReleaseAsset(p: { owner: string; repo: string; asset_id: number; headers: Record<string, string> }): Promise<{ data: unknown }>;
    };
  };
}
