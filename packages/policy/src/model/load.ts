// Reading resources from YAML or JSON text through @tortie/api (documents,
// `List` kinds, server-set metadata), keeping the policy kinds and
// converting Kubernetes NetworkPolicy.
import { parseResources, ResourceValidationError } from "@tortie/api";
import { PolicyValidationError } from "./errors.js";
import { convertK8sNetworkPolicy } from "./k8s.js";
import type { Resource } from "./resources.js";
import { validateResource } from "./validate.js";

/**
 * Parses and validates every resource in YAML/JSON text. Kubernetes
 * NetworkPolicies are returned converted to Calico NetworkPolicies unless
 * `keepK8s` is set. Throws {@link PolicyValidationError} on the first bad one,
 * so a bad file changes nothing.
 */
export function loadResources(text: string, opts: { keepK8s?: boolean } = {}): Resource[] {
  let parsed: unknown[];
  try {
    parsed = parseResources(text).resources;
  } catch (e) {
    if (e instanceof ResourceValidationError) throw new PolicyValidationError(e.resource, e.issues);
    throw e;
  }
  return parsed.map((r) => toResource(r, opts.keepK8s ?? false));
}

/** Validates one object; converts a Kubernetes NetworkPolicy unless `keepK8s`. */
export function toResource(obj: unknown, keepK8s = false): Resource {
  const r = validateResource(obj);
  if (r.kind === "NetworkPolicy" && r.apiVersion === "networking.k8s.io/v1" && !keepK8s) {
    return validateResource(convertK8sNetworkPolicy(r));
  }
  return r;
}
