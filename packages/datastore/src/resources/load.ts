// Loading resources: YAML or JSON text (several documents, and `List` /
// `<Kind>List` wrappers as calicoctl and kubectl write them) → validated,
// defaulted, typed objects. Errors name the document and the field path.
import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { DatastoreError } from "../errors.js";
import { calicoKinds } from "./calico.js";
import { kubernetesKinds } from "./kubernetes.js";

/** Every Calico kind name. */
export type CalicoKind = keyof typeof calicoKinds;

/** A validated Calico v3 resource of kind K (defaults filled in). */
export type CalicoResource<K extends CalicoKind = CalicoKind> = K extends CalicoKind
  ? z.output<(typeof calicoKinds)[K]["schema"]>
  : never;

/** A validated Kubernetes NetworkPolicy. */
export type K8sNetworkPolicy = z.output<(typeof kubernetesKinds)["NetworkPolicy"]["schema"]>;

/** Any resource Tortie reads. */
export type Resource = CalicoResource | K8sNetworkPolicy;

/** One validation problem: where (`spec.blockSize`) and what. */
export interface ResourceIssue {
  readonly path: string;
  readonly message: string;
}

/** A resource failed validation; `issues` name each field path. */
export class ResourceValidationError extends DatastoreError {
  override readonly name = "ResourceValidationError";
  constructor(
    /** "IPPool/pool-1" or "document 2" when the kind is unknown. */
    readonly resource: string,
    readonly issues: readonly ResourceIssue[],
  ) {
    super(
      `${resource}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`,
    );
  }
}

/** The schema entry for an apiVersion and kind, if Tortie knows it. */
export function kindInfo(apiVersion: unknown, kind: unknown) {
  if (apiVersion === "projectcalico.org/v3" && typeof kind === "string" && kind in calicoKinds) {
    return calicoKinds[kind as CalicoKind];
  }
  if (apiVersion === "networking.k8s.io/v1" && kind === "NetworkPolicy")
    return kubernetesKinds.NetworkPolicy;
  return undefined;
}

function pathOf(p: readonly PropertyKey[]): string {
  let s = "";
  for (const k of p) s += typeof k === "number" ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/** Validates one parsed object; `where` names it in errors. */
export function validateResource(obj: unknown, where = "resource"): Resource {
  const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } } | null;
  if (typeof o !== "object" || o === null) {
    throw new ResourceValidationError(where, [{ path: "", message: "not an object" }]);
  }
  const info = kindInfo(o.apiVersion, o.kind);
  const label = typeof o.kind === "string" ? `${o.kind}/${String(o.metadata?.name ?? "?")}` : where;
  if (!info) {
    throw new ResourceValidationError(label, [
      {
        path: "kind",
        message: `unknown apiVersion/kind ${String(o.apiVersion)}/${String(o.kind)} (expected projectcalico.org/v3 kinds or networking.k8s.io/v1 NetworkPolicy)`,
      },
    ]);
  }
  const r = (info.schema as z.ZodType).safeParse(obj);
  if (!r.success) {
    throw new ResourceValidationError(
      label,
      r.error.issues.map((i) => ({
        path: pathOf(i.path),
        message:
          i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : i.message,
      })),
    );
  }
  return r.data as Resource;
}

/**
 * Parses YAML (or JSON) holding one or more resources, unwrapping `List`
 * kinds, and validates each. All or nothing: the first invalid document
 * throws {@link ResourceValidationError} naming it.
 */
export function loadResources(text: string): Resource[] {
  const docs = parseAllDocuments(text);
  const out: Resource[] = [];
  docs.forEach((d, i) => {
    if (d.errors.length) {
      throw new ResourceValidationError(`document ${i + 1}`, [
        { path: "", message: `YAML: ${d.errors[0]!.message}` },
      ]);
    }
  });
  docs.forEach((d, i) => {
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // Unresolved or excessive aliases (a "billion laughs" document).
      throw new ResourceValidationError(`document ${i + 1}`, [
        { path: "", message: `YAML: ${(e as Error).message}` },
      ]);
    }
    if (v === null || v === undefined) return;
    const items =
      typeof v === "object" &&
      typeof (v as { kind?: unknown }).kind === "string" &&
      /List$/.test((v as { kind: string }).kind) &&
      Array.isArray((v as { items?: unknown }).items)
        ? (v as { items: unknown[] }).items
        : [v];
    items.forEach((item, j) => {
      const where =
        items.length > 1 || item !== v ? `document ${i + 1} item ${j + 1}` : `document ${i + 1}`;
      const o = item as { apiVersion?: unknown };
      // List items from calicoctl may omit apiVersion; take the list's.
      const withApi =
        o && typeof o === "object" && o.apiVersion === undefined && item !== v
          ? { apiVersion: (v as { apiVersion?: unknown }).apiVersion, ...o }
          : item;
      out.push(validateResource(withApi, where));
    });
  });
  return out;
}
