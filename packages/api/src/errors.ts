// Typed errors of the API model.

/** One problem in a resource, located by its field path. */
export interface ResourceIssue {
  /** Field path, e.g. `spec.ingress[0].source.selector` ("" for the whole document). */
  readonly path: string;
  readonly message: string;
  /** For selector errors: 0-based offset inside the selector text. */
  readonly position?: number;
}

/** A resource failed validation; nothing was loaded or written. */
export class ResourceValidationError extends Error {
  override readonly name: string = "ResourceValidationError";
  constructor(
    /** Which resource: `IPPool pool-1`, `NetworkPolicy ns/name`, or `document 2`. */
    readonly resource: string,
    readonly issues: readonly ResourceIssue[],
  ) {
    super(`${resource}: ${issues.map(formatIssue).join("; ")}`);
  }
}

/** `path: message (position n)`. */
export function formatIssue(i: ResourceIssue): string {
  const pos = i.position === undefined ? "" : ` (position ${i.position})`;
  return i.path ? `${i.path}: ${i.message}${pos}` : `${i.message}${pos}`;
}

/** Formats a path from segments: ["spec","ingress",0] → "spec.ingress[0]". */
export function formatPath(segments: readonly PropertyKey[]): string {
  let s = "";
  for (const p of segments) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s;
}
