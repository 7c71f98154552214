// Users' YAML as it is: one or many documents, `List` and `<Kind>List`
// wrappers (kubectl, calicoctl), Kubernetes-added metadata, `status` blocks.
// Each resource is validated and defaulted; fields Calico accepts that Tortie
// does not act on are kept and reported; unknown fields are errors naming the
// closest valid field. All or nothing: one bad document loads nothing.
import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { formatPath, type ResourceIssue, ResourceValidationError } from "./errors.js";
import { allKinds, kindInfo, type Resource } from "./registry.js";
import { findUnused } from "./schema/object.js";
import { closest } from "./schema/suggest.js";

/** A field a resource sets that Tortie keeps but does not act on. */
export interface UnusedFieldNotice {
  /** Which resource (`IPPool pool-1`). */
  readonly resource: string;
  /** Field path (`spec.natOutgoing`), or "" when Tortie does not act on the kind at all. */
  readonly path: string;
}

/** A validated resource and what of it Tortie will not act on. */
export interface CheckedResource {
  readonly resource: Resource;
  readonly unused: readonly UnusedFieldNotice[];
}

/** What {@link parseResources} returns. */
export interface LoadResult {
  readonly resources: Resource[];
  /** The 1-based YAML document each of {@link resources} came from (same order). */
  readonly documents: number[];
  readonly unused: UnusedFieldNotice[];
}

/** `Kind ns/name` of a resource-like object, for messages. */
export function describeResource(obj: unknown, fallback = "resource"): string {
  const o = obj as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  if (!o || typeof o !== "object" || typeof o.kind !== "string") return fallback;
  const m = o.metadata && typeof o.metadata === "object" ? o.metadata : {};
  const ns = typeof m.namespace === "string" ? `${m.namespace}/` : "";
  return `${o.kind} ${ns}${typeof m.name === "string" ? m.name : "?"}`;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function toIssues(i: z.core.$ZodIssue, input: unknown): ResourceIssue[] {
  if (i.code === "unrecognized_keys") {
    // One issue per key, at the key's own path (the message holds one part per key).
    const parts = i.message.split("; ");
    return i.keys.map((k, n) => ({
      path: formatPath([...i.path, k]),
      message: parts.length === i.keys.length ? parts[n]! : i.message,
    }));
  }
  const issue = toIssue(i);
  if (i.code !== "invalid_type" && i.code !== "custom" && valueAt(input, i.path) === undefined) {
    return [{ ...issue, message: `required: ${issue.message}` }];
  }
  return [issue];
}

function toIssue(i: z.core.$ZodIssue): ResourceIssue {
  const position = (i as { params?: { position?: unknown } }).params?.position;
  let message = i.message;
  if (i.code === "invalid_type" && /received undefined/.test(message)) {
    message = `required (expected ${i.expected})`;
  }
  return {
    path: formatPath(i.path),
    message,
    ...(typeof position === "number" ? { position } : {}),
  };
}

function unknownKind(o: { apiVersion?: unknown; kind?: unknown }): ResourceIssue {
  const kinds = allKinds();
  const sameApi = kinds.filter((k) => k.apiVersion === o.apiVersion);
  if (typeof o.kind !== "string") {
    return { path: "kind", message: "required (a string naming the resource kind)" };
  }
  if (!sameApi.length) {
    const apis = [...new Set(kinds.map((k) => k.apiVersion))];
    const hint = typeof o.apiVersion === "string" ? closest(o.apiVersion, apis) : undefined;
    return {
      path: "apiVersion",
      message: `unknown apiVersion ${JSON.stringify(o.apiVersion)}${hint ? ` (did you mean "${hint}"?)` : ""}; expected one of ${apis.join(", ")}`,
    };
  }
  const hint = closest(
    o.kind,
    sameApi.map((k) => k.kind),
  );
  return {
    path: "kind",
    message: `unknown kind ${JSON.stringify(o.kind)} for ${String(o.apiVersion)}${hint ? ` (did you mean "${hint}"?)` : ""}`,
  };
}

/**
 * Validates one parsed object: shape, Calico's cross-field rules, selectors
 * (with the position of a syntax error), kernel limits; applies Calico's
 * defaults. Throws {@link ResourceValidationError} naming every problem.
 */
export function checkResource(obj: unknown, where?: string): CheckedResource {
  return check(obj, where, true);
}

/** {@link checkResource} without the unused-field report (a little faster). */
export function validateResource(obj: unknown, where?: string): Resource {
  return check(obj, where, false).resource;
}

function check(obj: unknown, where: string | undefined, report: boolean): CheckedResource {
  const what = describeResource(obj, where ?? "resource");
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new ResourceValidationError(what, [{ path: "", message: "not an object" }]);
  }
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  const info = kindInfo(o.apiVersion, o.kind);
  if (!info) throw new ResourceValidationError(what, [unknownKind(o)]);
  const r = info.schema.safeParse(obj);
  if (!r.success)
    throw new ResourceValidationError(
      what,
      r.error.issues.flatMap((i) => toIssues(i, obj)),
    );
  const unused: UnusedFieldNotice[] = !report
    ? []
    : info.actedOn
      ? findUnused(info.schema, obj).map((path) => ({ resource: what, path }))
      : [{ resource: what, path: "" }];
  return { resource: r.data as Resource, unused };
}

/**
 * Parses YAML (or JSON) holding resources — several documents, `List` or
 * `<Kind>List` wrappers whose items may omit apiVersion (and kind, for a
 * `<Kind>List`) — and validates each. Throws {@link ResourceValidationError}
 * for the first bad document; nothing is returned then.
 */
export function parseResources(text: string): LoadResult {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const resources: Resource[] = [];
  const documents: number[] = [];
  const unused: UnusedFieldNotice[] = [];
  list.forEach((d, i) => {
    const where = `document ${i + 1}`;
    if (d.errors.length) {
      throw new ResourceValidationError(where, [
        { path: "", message: `YAML: ${d.errors[0]!.message}` },
      ]);
    }
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // Unresolved or excessive aliases (a "billion laughs" document).
      throw new ResourceValidationError(where, [
        { path: "", message: `YAML: ${(e as Error).message}` },
      ]);
    }
    if (v === null || v === undefined) return;
    const w = v as { kind?: unknown; apiVersion?: unknown; items?: unknown };
    const isList = typeof w === "object" && typeof w.kind === "string" && /List$/.test(w.kind);
    if (isList && !Array.isArray(w.items)) {
      throw new ResourceValidationError(where, [
        { path: "items", message: "a List needs an items array" },
      ]);
    }
    const items = isList ? (w.items as unknown[]) : [v];
    const itemKind = isList && w.kind !== "List" ? (w.kind as string).slice(0, -4) : undefined;
    items.forEach((item, j) => {
      const at = isList ? `${where} item ${j + 1}` : where;
      let it = item;
      if (isList && item && typeof item === "object" && !Array.isArray(item)) {
        const x = item as Record<string, unknown>;
        it = {
          ...(x.apiVersion === undefined ? { apiVersion: w.apiVersion } : {}),
          ...(x.kind === undefined && itemKind ? { kind: itemKind } : {}),
          ...x,
        };
      }
      const c = checkResource(it, at);
      resources.push(c.resource);
      documents.push(i + 1);
      unused.push(...c.unused);
    });
  });
  return { resources, documents, unused };
}

/** {@link parseResources}, returning only the resources. */
export function loadResources(text: string): Resource[] {
  return parseResources(text).resources;
}
