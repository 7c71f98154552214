// Validation for the policy engine: the one model in @tortie/api checks shape,
// Calico's cross-field rules, selectors (with positions) and kernel limits;
// here only what the engine itself cannot act on is refused:
//   - kinds that are not policy resources;
//   - rules matching Kubernetes Services (`services`), which Tortie does not
//     resolve — ignoring the field would silently widen an Allow.
import {
  checkResource,
  describeResource as describe,
  ResourceValidationError,
  rule as ruleSchema,
} from "@tortie/api";
import { formatPath, PolicyValidationError, type ValidationIssue } from "./errors.js";
import { type Resource, type Rule, SCHEMAS } from "./resources.js";

/** `Kind ns/name` of a resource-like object, for messages. */
export function describeResource(obj: unknown, fallback = "resource"): string {
  return describe(obj, fallback);
}

/** Checks one rule as written; issues are pushed with paths under `path`. */
export function checkRule(rule: unknown, path: string, issues: ValidationIssue[]): void {
  const r = ruleSchema.safeParse(rule);
  if (!r.success) {
    for (const i of r.error.issues) {
      const position = (i as { params?: { position?: unknown } }).params?.position;
      const sub = formatPath(i.path);
      issues.push({
        path: sub ? (sub.startsWith("[") ? `${path}${sub}` : `${path}.${sub}`) : path,
        message: i.message,
        ...(typeof position === "number" ? { position } : {}),
      });
    }
    return;
  }
  for (const side of ["source", "destination"] as const) {
    if ((r.data as Rule)[side]?.services) {
      issues.push({
        path: `${path}.${side}.services`,
        message:
          "Tortie's policy engine does not resolve Kubernetes Services; refusing the rule rather than ignoring the match",
      });
    }
  }
}

/**
 * Validates one resource object. Returns it typed (with Calico's defaults),
 * or throws {@link PolicyValidationError} listing every problem with its
 * field path (and, for selectors, the position inside the selector).
 */
export function validateResource(obj: unknown): Resource {
  const what = describeResource(obj);
  const o = obj as { apiVersion?: unknown; kind?: unknown } | null;
  const key = o && typeof o === "object" ? `${String(o.apiVersion)} ${String(o.kind)}` : "";
  if (!Object.hasOwn(SCHEMAS, key)) {
    throw new PolicyValidationError(what, [
      {
        path: "kind",
        message: `not a policy resource: ${String(o?.apiVersion)} ${String(o?.kind)}`,
      },
    ]);
  }
  let r: Resource;
  try {
    r = checkResource(obj).resource as Resource;
  } catch (e) {
    if (e instanceof ResourceValidationError) throw new PolicyValidationError(e.resource, e.issues);
    throw e;
  }
  const issues: ValidationIssue[] = [];
  const spec = (r as { spec?: { ingress?: unknown[]; egress?: unknown[] } }).spec;
  if (r.apiVersion === "projectcalico.org/v3" && spec) {
    spec.ingress?.forEach((x, i) => {
      checkRule(x, `spec.ingress[${i}]`, issues);
    });
    spec.egress?.forEach((x, i) => {
      checkRule(x, `spec.egress[${i}]`, issues);
    });
  }
  if (issues.length) throw new PolicyValidationError(what, issues);
  return r;
}
