// Kubernetes LabelSelector → Calico selector, as Calico's k8s conversion does
// (libcalico-go `lib/backend/k8s/conversion`): matchLabels become `k == "v"`,
// matchExpressions In/NotIn/Exists/DoesNotExist become `in`, `not in`, `has`
// and `!has`, all joined with `&&`; an empty or absent selector is `all()`.
// Keys are sorted so equal selectors give equal text.
import { and, normaliseValues, type SelectorNode } from "./ast.js";
import { Selector } from "./selector.js";

/** A `matchExpressions` entry (k8s.io/apimachinery `LabelSelectorRequirement`). */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[];
}

/** A Kubernetes `LabelSelector` (metav1.LabelSelector). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A LabelSelector that cannot be converted (e.g. `In` with no values). */
export class LabelSelectorError extends Error {
  override readonly name = "LabelSelectorError";
  constructor(
    message: string,
    /** Path inside the LabelSelector, e.g. `matchExpressions[1].values`. */
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** The AST of a Kubernetes LabelSelector, following Kubernetes' validation rules. */
export function labelSelectorAst(ls: LabelSelector | null | undefined): SelectorNode {
  if (!ls) return { kind: "all" };
  const parts: SelectorNode[] = [];
  for (const key of Object.keys(ls.matchLabels ?? {}).sort()) {
    parts.push({ kind: "eq", key, value: ls.matchLabels![key]! });
  }
  (ls.matchExpressions ?? []).forEach((r, i) => {
    const values = r.values ?? [];
    switch (r.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          throw new LabelSelectorError(
            `operator ${r.operator} needs at least one value`,
            `matchExpressions[${i}].values`,
          );
        }
        parts.push({
          kind: r.operator === "In" ? "in" : "notin",
          key: r.key,
          values: normaliseValues(values),
        });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          throw new LabelSelectorError(
            `operator ${r.operator} takes no values`,
            `matchExpressions[${i}].values`,
          );
        }
        parts.push(
          r.operator === "Exists"
            ? { kind: "has", key: r.key }
            : { kind: "not", operand: { kind: "has", key: r.key } },
        );
        break;
      default:
        throw new LabelSelectorError(
          `unknown operator ${JSON.stringify((r as { operator: unknown }).operator)}`,
          `matchExpressions[${i}].operator`,
        );
    }
  });
  return and(...parts);
}

/** Converts a Kubernetes LabelSelector to a {@link Selector}. */
export function fromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  return Selector.fromAst(labelSelectorAst(ls));
}
