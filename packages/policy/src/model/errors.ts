// Typed errors of the policy model.

/** One problem in a resource, located by its field path. */
export interface ValidationIssue {
  /** Field path, e.g. `spec.ingress[0].source.selector`. */
  readonly path: string;
  readonly message: string;
  /** For selector errors: 0-based offset inside the selector text. */
  readonly position?: number;
}

/** A resource failed validation; nothing was changed. */
export class PolicyValidationError extends Error {
  override readonly name = "PolicyValidationError";
  constructor(
    /** Which resource (`kind namespace/name`, or its index in a document). */
    readonly resource: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(
      `${resource}: ${issues
        .map(
          (i) =>
            `${i.path}: ${i.message}${i.position === undefined ? "" : ` (position ${i.position})`}`,
        )
        .join("; ")}`,
    );
  }
}

/** Formats a path from zod-style segments: ["spec","ingress",0] → "spec.ingress[0]". */
export function formatPath(segments: readonly PropertyKey[]): string {
  let s = "";
  for (const p of segments) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s;
}
