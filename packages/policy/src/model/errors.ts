// Typed errors of the policy model: the API model's validation error, named
// for this package (so `instanceof ResourceValidationError` holds as well).
import { ResourceValidationError } from "@tortie/api";

export { formatPath, type ResourceIssue as ValidationIssue } from "@tortie/api";

/** A resource failed validation, or the engine cannot act on it; nothing was changed. */
export class PolicyValidationError extends ResourceValidationError {
  override readonly name: string = "PolicyValidationError";
}
