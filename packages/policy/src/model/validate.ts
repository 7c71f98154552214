// Validation for the policy engine: the one model in @tortie/api checks shape,
// Calico's cross-field rules, selectors (with positions) and kernel limits;
// here only what the engine itself cannot act on is refused:
//   - kinds that are not policy resources;
//   - rules matching Kubernetes Services (`services`), which Tortie does not
//     resolve — ignoring the field would silently widen an Allow.
import {
  describeResource as describe,
  ResourceValidationError,
  rule as ruleSchema,
  validateResource as validate,
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
  servicesIssues(r.data as Rule, path, issues);
}

function servicesIssues(rule: Rule, path: string, issues: ValidationIssue[]): void {
  for (const side of ["source", "destination"] as const) {
    if (rule[side]?.services) {
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
    r = validate(obj) as Resource;
  } catch (e) {
    if (e instanceof ResourceValidationError) throw new PolicyValidationError(e.resource, e.issues);
    throw e;
  }
  // The rules are valid (the schema checked them); refuse only what the engine cannot act on.
  const issues: ValidationIssue[] = [];
  const spec = (r as { spec?: { ingress?: Rule[]; egress?: Rule[] } }).spec;
  if (r.apiVersion === "projectcalico.org/v3" && spec) {
    for (const dir of ["ingress", "egress"] as const) {
      spec[dir]?.forEach((x, i) => {
        servicesIssues(x, `spec.${dir}[${i}]`, issues);
      });
    }
  }
  if (issues.length) throw new PolicyValidationError(what, issues);
  return r;
}
