// Reading resources from YAML or JSON text (one or many documents, or a
// `kind: List`), validating each, converting Kubernetes NetworkPolicy.
import { parseAllDocuments } from "yaml";
import { PolicyValidationError } from "./errors.js";
import { convertK8sNetworkPolicy } from "./k8s.js";
import type { Resource } from "./resources.js";
import { validateResource } from "./validate.js";

/**
 * Parses and validates every resource in YAML/JSON text. Kubernetes
 * NetworkPolicies are returned converted to Calico NetworkPolicies unless
 * `keepK8s` is set. Throws {@link PolicyValidationError} on the first bad one
 * (path prefixed by its document index), so a bad file changes nothing.
 */
export function loadResources(text: string, opts: { keepK8s?: boolean } = {}): Resource[] {
  const out: Resource[] = [];
  parseAllDocuments(text).forEach((doc, d) => {
    if (!("errors" in doc) || doc.errors.length) {
      const errs = "errors" in doc ? doc.errors : [];
      throw new PolicyValidationError(
        `document ${d}`,
        errs.map((e) => ({ path: "", message: e.message })),
      );
    }
    let value: unknown;
    try {
      // Unresolved aliases and alias bombs (yaml's maxAliasCount) throw here.
      value = doc.toJS();
    } catch (e) {
      throw new PolicyValidationError(`document ${d}`, [
        { path: "", message: (e as Error).message },
      ]);
    }
    if (value === null || value === undefined) return;
    const list = value as { kind?: string; items?: unknown[] };
    const items = list.kind?.endsWith("List") && Array.isArray(list.items) ? list.items : [value];
    for (const item of items) out.push(toResource(item, opts.keepK8s ?? false));
  });
  return out;
}

/** Validates one object; converts a Kubernetes NetworkPolicy unless `keepK8s`. */
export function toResource(obj: unknown, keepK8s = false): Resource {
  const r = validateResource(obj);
  if (r.kind === "NetworkPolicy" && r.apiVersion === "networking.k8s.io/v1" && !keepK8s) {
    return validateResource(convertK8sNetworkPolicy(r));
  }
  return r;
}
