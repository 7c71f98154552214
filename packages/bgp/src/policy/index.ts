/**
 * Routing policy: Calico BGPFilter resources validated and compiled into
 * `RoutePolicy` functions for the RIB (`../rib/policy-hook.ts`).
 *
 * Files:
 * - `types.ts`    the BGPFilter resource shape (projectcalico.org/v3).
 * - `parse.ts`    `parseBgpFilter`: strict validation with field paths and
 *                 "did you mean"; community and AS number parsing.
 * - `compile.ts`  `compileFilters`: first-match-wins evaluation with the
 *                 semantics of the BIRD config Calico generates; `explain`.
 * - `errors.ts`   `BgpFilterError`.
 */
export {
  asPathStartsWith,
  type CompileOptions,
  compileFilters,
  type Direction,
  type FilterMatch,
  patternMatch,
} from "./compile.js";
export { BgpFilterError } from "./errors.js";
export { type CommunityValue, parseAsNumber, parseBgpFilter, parseCommunity } from "./parse.js";
export type {
  BgpFilter,
  BgpFilterSpec,
  FilterAction,
  FilterOperation,
  FilterRule,
  MatchOperator,
} from "./types.js";
