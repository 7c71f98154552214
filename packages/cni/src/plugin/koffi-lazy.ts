// Stand-in for `koffi` in the executables' bundles (see bundle.ts): loading
// koffi's native module is a large part of a cold start, and a VERSION call
// or a call the shim hands to the helper never needs it. The real module is
// loaded on first use of any of its functions.

import { createRequire } from "node:module";

type Koffi = Record<PropertyKey, unknown>;
let real: Koffi | undefined;
const load = (): Koffi => {
  real ??= createRequire(import.meta.url)("koffi") as Koffi;
  return real;
};

/** A proxy that forwards every property to koffi, loading it on first use. */
const lazyKoffi: Koffi = new Proxy({} as Koffi, { get: (_t, k) => load()[k] });
export default lazyKoffi;
