// Ports as Calico writes them (api/pkg/lib/numorstring Port): a number, a
// range "min:max", or a named port that resolves per endpoint.

/** A numeric range (a single port has min === max) or a named port. */
export type PortSpec =
  | { readonly kind: "range"; readonly min: number; readonly max: number }
  | { readonly kind: "named"; readonly name: string };

/** Why a port did not parse. */
export class PortError extends Error {
  override readonly name = "PortError";
}

// Kubernetes IANA_SVC_NAME: at most 15 of [a-z0-9-], a letter, no "--", no leading/trailing "-".
const NAMED = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

/** Parses 80, "80", "80:90" or "http". */
export function parsePort(p: number | string): PortSpec {
  if (typeof p === "number") {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new PortError(`port out of range: ${p}`);
    return { kind: "range", min: p, max: p };
  }
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(p);
  if (m) {
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : Number(m[2]);
    if (min > 65535 || max > 65535) throw new PortError(`port out of range: ${p}`);
    if (min > max) throw new PortError(`port range min over max: ${p}`);
    return { kind: "range", min, max };
  }
  if (NAMED.test(p) && !p.includes("--")) return { kind: "named", name: p };
  throw new PortError(`not a port, range or port name: ${JSON.stringify(p)}`);
}

/** Text of a port spec as Calico writes it. */
export function formatPort(p: PortSpec): string {
  if (p.kind === "named") return p.name;
  return p.min === p.max ? String(p.min) : `${p.min}:${p.max}`;
}
