/**
 * The `template-file` input: Azure VM Image Builder template properties (`source`, `customize`,
 * `validate`, `optimize`, `vmProfile`, `errorHandling`, `buildTimeoutInMinutes`, `additionalDataDisks`,
 * `stagingResourceGroup`, `managedResourceTags`) kept in the repository as JSON or YAML, checked against
 * the Image Builder schema before any Azure call, every problem pointing at its path in the file
 * (`customize[2].type`) and its line.
 *
 * The schema is a JSON Schema generated from the Microsoft.VirtualMachineImages OpenAPI file,
 * api-version 2025-10-01 (imagebuilder.json, vendored in __tests__/fixtures/azure-specs/; see SOURCES.md):
 * `imagebuilder-schema.json`, compiled by Ajv's standalone code generation into
 * `imagebuilder-validator.js` (both written by `npm run template-schema`, scripts/template-schema.ts).
 * Discriminated unions (`type` of customizers, in-VM validators, sources) are `oneOf` + `const` there, so
 * a wrong `type` reports the allowed types and only the named subtype's own rules. `phrase` turns
 * Ajv's errors into problems a user can act on (schema-problems.ts). Rules the schema states only in words are checked too
 * (a PowerShell step needs exactly one of `inline` and `scriptUri`; `runAsSystem` needs `runElevated`;
 * a File step needs `sourceUri` and `destination`; `proxyVmSize` and `containerInstanceSubnetId`
 * exclude each other), where the schema found nothing at that element.
 *
 * The file may hold the properties themselves or a whole template resource (`{ "properties": { … } }`,
 * as `az image builder show` or an ARM export gives it; then paths start with `properties.`).
 * `distribute` is refused (the action distributes to the gallery image version it chose), and so is
 * `autoRun: Enabled` (the action starts the build).
 *
 * Pure apart from {@link loadTemplateFile}, which reads the file.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type {
  DataDisk,
  ImageTemplateCustomizerUnion,
  ImageTemplatePropertiesErrorHandling,
  ImageTemplatePropertiesOptimize,
  ImageTemplatePropertiesValidate,
  ImageTemplateVmProfile,
} from "@azure/arm-imagebuilder";
import { LineCounter, parseDocument } from "yaml";
import { ID_SHAPES, isSubnetId } from "../resource-id.ts";
import { type Found, type Json, type Path, formatPath, isObject, schemaProblems, typeName } from "./schema-problems.ts";

/** What a template file contributes, validated (read-only and distribution properties removed). */
export interface TemplateFileContent {
  /** The path as the input gave it. */
  path: string;
  /** The file's `source`, as the `source` input would write it (URN, or resource ID), when it has one. */
  sourceText?: string;
  customize: ImageTemplateCustomizerUnion[];
  optimize?: ImageTemplatePropertiesOptimize;
  validate?: ImageTemplatePropertiesValidate;
  errorHandling?: ImageTemplatePropertiesErrorHandling;
  buildTimeoutInMinutes?: number;
  vmProfile?: ImageTemplateVmProfile;
  additionalDataDisks?: DataDisk[];
  stagingResourceGroup?: string;
  managedResourceTags?: Record<string, string>;
}

/** A problem in the file: `where` is e.g. `template.yml: customize[2].type (line 14)`. */
export interface TemplateFileProblem {
  /** Path inside the file, e.g. `customize[2].type` (`` for the whole document). */
  path: string;
  /** 1-based line, when known. */
  line?: number;
  message: string;
}

const SHA256 = /^[0-9a-fA-F]{64}$/;
/** An Azure VM size name. */
export const VM_SIZE = /^(Standard|Basic)_[A-Za-z0-9_-]+$/;

/** Rules the schema states only in its descriptions, for one customizer or validator. */
function checkStep(step: { [key: string]: Json }, path: Path, out: Found[], kind: "customizer" | "validator"): void {
  const type = step.type;
  if (type === "Shell") {
    out.push({ path: [...path, "type"], message: `Shell runs on Linux; an AVD image is Windows: use PowerShell.` });
    return;
  }
  if (type === "PowerShell") {
    const hasInline = Array.isArray(step.inline) && step.inline.length > 0;
    const hasUri = typeof step.scriptUri === "string" && step.scriptUri !== "";
    if (!hasInline && !hasUri)
      out.push({ path, message: `a PowerShell ${kind} needs 'inline' (commands to run) or 'scriptUri' (a script to download); it has neither.` });
    if (hasInline && hasUri) out.push({ path, message: `a PowerShell ${kind} takes exactly one of 'inline' and 'scriptUri', not both.` });
    if (step.runAsSystem === true && step.runElevated !== true)
      out.push({ path: [...path, "runAsSystem"], message: `can only be true when 'runElevated' is true.` });
  }
  if (type === "File") {
    for (const field of ["sourceUri", "destination"]) {
      if (typeof step[field] !== "string" || step[field] === "") out.push({ path: [...path, field], message: `is required for a File ${kind}.` });
    }
  }
  for (const field of ["scriptUri", "sourceUri"]) {
    const uri = step[field];
    if (typeof uri === "string" && uri !== "" && !/^https:\/\//i.test(uri))
      out.push({ path: [...path, field], message: `must be an https:// URL (the build VM downloads it).` });
  }
  if (typeof step.sha256Checksum === "string" && step.sha256Checksum !== "" && !SHA256.test(step.sha256Checksum)) {
    out.push({ path: [...path, "sha256Checksum"], message: `must be a SHA-256 checksum: 64 hexadecimal characters.` });
  }
}

/** Semantic checks of the properties (only where the schema check found the shapes right). */
function checkSemantics(props: { [key: string]: Json }, base: Path, out: Found[]): void {
  if (props.distribute !== undefined) {
    out.push({
      path: [...base, "distribute"],
      message: `is set by the action (gallery-name, image-definition, target-regions, the version it chooses): remove it from the file.`,
    });
  }
  const autoRun = props.autoRun;
  if (isObject(autoRun) && autoRun.state === "Enabled")
    out.push({ path: [...base, "autoRun", "state"], message: `must not be Enabled: the action starts the build itself (remove autoRun).` });
  const validate = props.validate;
  const steps: [Json, Path, "customizer" | "validator"][] = [
    ...(Array.isArray(props.customize) ? props.customize : []).map((c, i): [Json, Path, "customizer"] => [c, [...base, "customize", i], "customizer"]),
    ...(isObject(validate) && Array.isArray(validate.inVMValidations) ? validate.inVMValidations : []).map((c, i): [Json, Path, "validator"] => [
      c,
      [...base, "validate", "inVMValidations", i],
      "validator",
    ]),
  ];
  for (const [step, path, kind] of steps) if (isObject(step)) checkStep(step, path, out, kind);
  // Template reference, Properties: validate: with continueDistributeOnFailure true "output image(s) will still
  // be distributed" when validation fails, while "the end to end image run will be reported as having failed".
  if (isObject(validate) && validate.continueDistributeOnFailure === true) {
    out.push({
      path: [...base, "validate", "continueDistributeOnFailure"],
      message:
        `must not be true: Image Builder would publish an image version that failed validation while reporting the run Failed, and host pools deploying "latest" would get it. ` +
        `Remove it (or set it to false): a version is then published only when validation passes.`,
    });
  }
  // Image Builder troubleshooting guide: a buildTimeoutInMinutes of 1 to 5 fails early ("client_jwt will expire within 5 minutes").
  const timeout = props.buildTimeoutInMinutes;
  if (typeof timeout === "number" && timeout >= 1 && timeout <= 5) {
    out.push({
      path: [...base, "buildTimeoutInMinutes"],
      message: `must be 0 (Image Builder's default, 240 minutes) or 6 to 960: Image Builder fails 1-5 early in the build ('client_jwt will expire within 5 minutes'). Remove it to use the 'build-timeout-minutes' input.`,
    });
  }
  const vm = props.vmProfile;
  if (isObject(vm)) {
    if (typeof vm.vmSize === "string" && vm.vmSize !== "" && !VM_SIZE.test(vm.vmSize))
      out.push({ path: [...base, "vmProfile", "vmSize"], message: `'${vm.vmSize}' is not an Azure VM size such as 'Standard_D4s_v5'.` });
    const vnet = vm.vnetConfig;
    if (isObject(vnet)) {
      for (const field of ["subnetId", "containerInstanceSubnetId"]) {
        if (typeof vnet[field] === "string" && !isSubnetId(vnet[field] as string))
          out.push({ path: [...base, "vmProfile", "vnetConfig", field], message: `must be a subnet resource ID: ${ID_SHAPES.subnet}.` });
      }
      if (vnet.containerInstanceSubnetId !== undefined && vnet.subnetId === undefined)
        out.push({ path: [...base, "vmProfile", "vnetConfig", "containerInstanceSubnetId"], message: `needs 'subnetId' (on the same virtual network).` });
      if (vnet.containerInstanceSubnetId !== undefined && vnet.proxyVmSize !== undefined && vnet.proxyVmSize !== "")
        out.push({
          path: [...base, "vmProfile", "vnetConfig", "proxyVmSize"],
          message: `must not be given with 'containerInstanceSubnetId' (an isolated build deploys no proxy VM).`,
        });
    }
  }
  const src = props.source;
  if (isObject(src) && src.type === "PlatformImage") {
    for (const field of ["publisher", "offer", "sku"])
      if (typeof src[field] !== "string" || src[field] === "")
        out.push({ path: [...base, "source", field], message: `is required for a PlatformImage source.` });
  }
}

/**
 * The line of `path` in the document: of the key for a member of a mapping, of the item for an element
 * of a list; the nearest existing ancestor's line for a missing member.
 */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, path: Path): number | undefined {
  type Node = { range?: [number, number, number]; items?: unknown[] };
  const line = (node: Node | null | undefined) => (node?.range ? counter.linePos(node.range[0]).line : undefined);
  let node = doc.contents as Node | null;
  let found = line(node);
  for (const segment of path) {
    if (!node || !Array.isArray(node.items)) break;
    if (typeof segment === "number") {
      node = (node.items[segment] as Node | undefined) ?? null;
      found = line(node) ?? found;
    } else {
      const pair = (node.items as { key?: Node & { value?: unknown }; value?: Node }[]).find((p) => p.key?.value === segment);
      if (!pair) break;
      found = line(pair.key) ?? found;
      node = pair.value ?? null;
    }
  }
  return found;
}

function sourceText(src: { [key: string]: Json }): string | undefined {
  switch (src.type) {
    case "PlatformImage":
      return `${String(src.publisher)}:${String(src.offer)}:${String(src.sku)}:${typeof src.version === "string" && src.version !== "" ? src.version : "latest"}`;
    case "SharedImageVersion":
      return String(src.imageVersionId);
    case "ManagedImage":
      return String(src.imageId);
    default:
      return undefined;
  }
}

/**
 * Parses and checks a template file's text (JSON or YAML).
 * @param path the path as the input gave it (kept in the result).
 * @returns the content when the file is valid, and every problem (path in the file, line, message).
 */
export function parseTemplateFile(text: string, path: string): { content?: TemplateFileContent; problems: TemplateFileProblem[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        path: "",
        line: e.linePos?.[0]?.line,
        message: `is not valid JSON or YAML: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}.`,
      })),
    };
  }
  const root = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!isObject(root))
    return {
      problems: [{ path: "", line: 1, message: `must hold Image Builder template properties (an object with source, customize, …), not ${typeName(root)}.` }],
    };
  // A whole resource (`properties` inside) or the properties themselves.
  const wrapped = isObject(root.properties);
  const base: Path = wrapped ? ["properties"] : [];
  const props = (wrapped ? root.properties : root) as { [key: string]: Json };
  // `source` and `distribute` are required by the API; here the inputs give the source and the action
  // distributes (the generated schema requires nothing and has no `distribute`; checkSemantics refuses it).
  const { distribute: _distribute, ...checked } = props;
  const found = schemaProblems(checked, base);
  const atSchemaProblem = new Set(found.map((p) => formatPath(p.path)));
  const semantic: Found[] = [];
  checkSemantics(props, base, semantic);
  for (const p of semantic) {
    // Report a semantic rule only where the schema had nothing to say about that element.
    const at = formatPath(p.path);
    if (![...atSchemaProblem].some((s) => s === at || s.startsWith(`${at}.`) || s.startsWith(`${at}[`))) found.push(p);
  }
  if (wrapped) {
    for (const key of Object.keys(root)) {
      if (!["properties", "identity", "location", "tags", "type", "apiVersion", "name", "id"].includes(key)) {
        found.push({ path: [key], message: `is not part of an image template resource; put template properties under 'properties'.` });
      }
    }
  }
  const problems = found
    .map((p) => ({ path: formatPath(p.path), line: lineOf(doc, counter, p.path), message: p.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) return { problems };
  const src = props.source;
  return {
    problems: [],
    content: {
      path,
      sourceText: isObject(src) ? sourceText(src) : undefined,
      customize: (props.customize ?? []) as unknown as ImageTemplateCustomizerUnion[],
      optimize: props.optimize as ImageTemplatePropertiesOptimize | undefined,
      validate: props.validate as ImageTemplatePropertiesValidate | undefined,
      errorHandling: props.errorHandling as ImageTemplatePropertiesErrorHandling | undefined,
      buildTimeoutInMinutes: props.buildTimeoutInMinutes as number | undefined,
      vmProfile: props.vmProfile as ImageTemplateVmProfile | undefined,
      additionalDataDisks: props.additionalDataDisks as DataDisk[] | undefined,
      stagingResourceGroup: props.stagingResourceGroup as string | undefined,
      managedResourceTags: props.managedResourceTags as Record<string, string> | undefined,
    },
  };
}

/** One problem as a line of text: `template.yml: customize[2].type (line 14): …`. */
export function describeProblem(file: string, problem: TemplateFileProblem): string {
  const where = [problem.path, problem.line !== undefined ? `(line ${problem.line})` : ""].filter(Boolean).join(" ");
  return `${file}: ${where ? `${where}: ` : ""}${problem.message}`;
}

/**
 * Reads and checks the template file `path`, relative to `workspace` (the repository checkout:
 * GITHUB_WORKSPACE, BUILD_SOURCESDIRECTORY, or the current directory).
 * @returns the content, or problems as lines of text (a missing or unreadable file is one problem).
 */
export function loadTemplateFile(
  path: string,
  workspace: string,
  read: (absolute: string) => string = (p) => readFileSync(p, "utf8"),
): { content?: TemplateFileContent; problems: string[] } {
  const absolute = isAbsolute(path) ? path : resolve(workspace, path);
  let text: string;
  try {
    text = read(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problems: [
        `'${path}' ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (error as Error).message})`} (looked for ${absolute}; paths are relative to the repository checkout, ${workspace}).`,
      ],
    };
  }
  const { content, problems } = parseTemplateFile(text.replace(/^\uFEFF/, ""), path);
  return { content, problems: problems.map((p) => describeProblem(path, p)) };
}
