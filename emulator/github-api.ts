/**
 * A local stand-in of the GitHub REST API's releases endpoints, for the `github-release` tests: the
 * action's Octokit reaches it through `GITHUB_API_URL`, as on a runner (and GitHub Enterprise Server).
 * Every request is recorded. Plain HTTP on 127.0.0.1.
 *
 * Modelled after docs.github.com/en/rest/releases (API version 2022-11-28):
 * - `GET /repos/{owner}/{repo}/releases/tags/{tag}` — 200 release, 404 `{"message":"Not Found"}`;
 * - `POST /repos/{owner}/{repo}/releases` — 201; 422 `Validation Failed` (`already_exists` on tag_name)
 *   for a tag that has a release; 403 `Resource not accessible by integration` for a token without
 *   `contents: write` (the GITHUB_TOKEN's message);
 * - `PATCH /repos/{owner}/{repo}/releases/{release_id}` — 200;
 * - `POST {upload_url}?name=…` (`/uploads/repos/{owner}/{repo}/releases/{id}/assets`) — 201 asset; 422
 *   `already_exists` for a name the release holds;
 * - `DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}` — 204;
 * - `GET /repos/{owner}/{repo}/releases/assets/{asset_id}` — the asset's JSON, or with
 *   `Accept: application/octet-stream` its bytes (GitHub may also redirect to the download URL).
 * Authentication: `Authorization: token|Bearer <token>` must be a known token, else 401 `Bad credentials`.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the stand-in received. */
export interface GitHubApiRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text of another body, or undefined. */
  body: unknown;
}

interface Asset {
  id: number;
  name: string;
  content_type: string;
  data: Buffer;
  created_at: string;
}

interface Release {
  id: number;
  owner: string;
  repo: string;
  tag_name: string;
  target_commitish: string;
  name: string;
  body: string;
  created_at: string;
  assets: Asset[];
}

/** The running stand-in. */
export interface GitHubApi {
  /** `http://127.0.0.1:<port>`: the `GITHUB_API_URL` of a run. */
  url: string;
  /** Every request, in order. */
  requests: GitHubApiRequest[];
  /** Releases as stored: tag, name, body, commit and assets (name and content). */
  releases(): { tag: string; name: string; body: string; commit: string; assets: { name: string; contentType: string; content: string }[] }[];
  close(): Promise<void>;
}

/**
 * Starts the stand-in. `tokens` may write releases; `readOnlyTokens` may only read (a GITHUB_TOKEN
 * without `contents: write`).
 */
export async function startGitHubApi(options: { tokens: string[]; readOnlyTokens?: string[] }): Promise<GitHubApi> {
  const requests: GitHubApiRequest[] = [];
  const releases: Release[] = [];
  let nextId = 1000;
  let url = "";
  const json = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-api-version-selected": "2022-11-28" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) => json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
  const assetJson = (r: Release, a: Asset) => ({
    url: `${url}/repos/${r.owner}/${r.repo}/releases/assets/${a.id}`,
    browser_download_url: `https://github.com/${r.owner}/${r.repo}/releases/download/${r.tag_name}/${a.name}`,
    id: a.id,
    node_id: `RA_${a.id}`,
    name: a.name,
    label: "",
    state: "uploaded",
    content_type: a.content_type,
    size: a.data.byteLength,
    download_count: 0,
    created_at: a.created_at,
    updated_at: a.created_at,
    uploader: null,
  });
  const releaseJson = (r: Release) => ({
    url: `${url}/repos/${r.owner}/${r.repo}/releases/${r.id}`,
    html_url: `https://github.com/${r.owner}/${r.repo}/releases/tag/${r.tag_name}`,
    assets_url: `${url}/repos/${r.owner}/${r.repo}/releases/${r.id}/assets`,
    upload_url: `${url}/uploads/repos/${r.owner}/${r.repo}/releases/${r.id}/assets{?name,label}`,
    tarball_url: `${url}/repos/${r.owner}/${r.repo}/tarball/${r.tag_name}`,
    zipball_url: `${url}/repos/${r.owner}/${r.repo}/zipball/${r.tag_name}`,
    id: r.id,
    node_id: `RE_${r.id}`,
    tag_name: r.tag_name,
    target_commitish: r.target_commitish,
    name: r.name,
    body: r.body,
    draft: false,
    prerelease: false,
    created_at: r.created_at,
    published_at: r.created_at,
    author: null,
    assets: r.assets.map((a) => assetJson(r, a)),
  });

  const handle = (req: IncomingMessage, raw: Buffer, res: ServerResponse) => {
    const parsed = new URL(req.url ?? "/", "http://stand-in");
    const text = raw.toString("utf8");
    let body: unknown = text === "" ? undefined : text;
    if (String(req.headers["content-type"] ?? "").includes("json") || /^[{[]/.test(text)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    requests.push({ method: req.method ?? "GET", path: parsed.pathname + parsed.search, headers: req.headers, body });
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
    const canWrite = auth !== undefined && options.tokens.includes(auth);
    if (!canWrite && !(auth !== undefined && options.readOnlyTokens?.includes(auth))) {
      return json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    }
    const denied = (doc: string) =>
      json(res, 403, { message: "Resource not accessible by integration", documentation_url: `https://docs.github.com/rest/releases/${doc}`, status: "403" });
    const path = decodeURIComponent(parsed.pathname);
    let m: RegExpExecArray | null;
    if (req.method === "GET" && (m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/.exec(path))) {
      const r = releases.find((x) => x.owner === m![1] && x.repo === m![2] && x.tag_name === m![3]);
      return r ? json(res, 200, releaseJson(r)) : notFound(res);
    }
    if (req.method === "POST" && (m = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path))) {
      if (!canWrite) return denied("releases#create-a-release");
      const b = (body ?? {}) as { tag_name?: string; name?: string; body?: string; target_commitish?: string };
      if (!b.tag_name)
        return json(res, 422, { message: "Validation Failed", errors: [{ resource: "Release", code: "missing_field", field: "tag_name" }], status: "422" });
      if (releases.some((x) => x.owner === m![1] && x.repo === m![2] && x.tag_name === b.tag_name)) {
        return json(res, 422, { message: "Validation Failed", errors: [{ resource: "Release", code: "already_exists", field: "tag_name" }], status: "422" });
      }
      const r: Release = {
        id: nextId++,
        owner: m[1]!,
        repo: m[2]!,
        tag_name: b.tag_name,
        target_commitish: b.target_commitish ?? "main",
        name: b.name ?? b.tag_name,
        body: b.body ?? "",
        created_at: new Date().toISOString(),
        assets: [],
      };
      releases.push(r);
      return json(res, 201, releaseJson(r));
    }
    if (req.method === "PATCH" && (m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path))) {
      if (!canWrite) return denied("releases#update-a-release");
      const r = releases.find((x) => x.id === Number(m![3]));
      if (!r) return notFound(res);
      const b = (body ?? {}) as { name?: string; body?: string };
      if (b.name !== undefined) r.name = b.name;
      if (b.body !== undefined) r.body = b.body;
      return json(res, 200, releaseJson(r));
    }
    if (req.method === "POST" && (m = /^\/uploads\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path))) {
      if (!canWrite) return denied("assets#upload-a-release-asset");
      const r = releases.find((x) => x.id === Number(m![3]));
      if (!r) return notFound(res);
      const name = parsed.searchParams.get("name");
      if (!name)
        return json(res, 422, { message: "Validation Failed", errors: [{ resource: "ReleaseAsset", code: "missing_field", field: "name" }], status: "422" });
      if (r.assets.some((a) => a.name === name))
        return json(res, 422, { message: "Validation Failed", errors: [{ resource: "ReleaseAsset", code: "already_exists", field: "name" }], status: "422" });
      const a: Asset = {
        id: nextId++,
        name,
        content_type: String(req.headers["content-type"] ?? "application/octet-stream"),
        data: raw,
        created_at: new Date().toISOString(),
      };
      r.assets.push(a);
      return json(res, 201, assetJson(r, a));
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(path))) {
      const r = releases.find((x) => x.assets.some((a) => a.id === Number(m![3])));
      const a = r?.assets.find((x) => x.id === Number(m![3]));
      if (!r || !a) return notFound(res);
      if (req.method === "DELETE") {
        if (!canWrite) return denied("assets#delete-a-release-asset");
        r.assets = r.assets.filter((x) => x !== a);
        res.writeHead(204);
        return res.end();
      }
      if (req.method === "GET") {
        if (String(req.headers.accept ?? "").includes("application/octet-stream")) {
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": a.data.byteLength });
          return res.end(a.data);
        }
        return json(res, 200, assetJson(r, a));
      }
    }
    return notFound(res);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    releases: () =>
      releases.map((r) => ({
        tag: r.tag_name,
        name: r.name,
        body: r.body,
        commit: r.target_commitish,
        assets: r.assets.map((a) => ({ name: a.name, contentType: a.content_type, content: a.data.toString("utf8") })),
      })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
