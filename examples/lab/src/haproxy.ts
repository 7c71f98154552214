// The virtual server: HAProxy in the BIG-IP namespace standing in for a BIG-IP
// virtual server that F5's Container Ingress Services manages in cluster mode
// — the pool members are pod IPs, reached directly over the BGP routes that
// BIG-IP learned from the nodes. The pool follows the WorkloadEndpoints in
// the datastore, as CIS follows the Endpoints of a Service.

/** A pool member: a pod's address and name. */
export interface PoolMember {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
}

/** HAProxy's configuration for the virtual server and its pool (pure). */
export function haproxyConfig(opts: {
  readonly vip: string;
  readonly port: number;
  readonly members: readonly PoolMember[];
  readonly statsSocket: string;
}): string {
  const members = [...opts.members].sort((a, b) => a.name.localeCompare(b.name));
  return [
    "global",
    `  stats socket ${opts.statsSocket} mode 600 level admin`,
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    // A refused connection is retried on another member, as BIG-IP's
    // "reselect tries" does, so a pod going away never fails a request.
    "  retries 3",
    "  option redispatch 1",
    `frontend vs_web`,
    `  bind ${opts.vip}:${opts.port}`,
    "  default_backend pool_web",
    "backend pool_web",
    "  balance roundrobin",
    ...(members.length === 0
      ? ['  http-request return status 503 content-type text/plain string "no pool members"']
      : members.map(
          (m) => `  server ${safeName(m.name)} ${m.ip}:${m.port} check inter 500 fall 2 rise 1`,
        )),
    "",
  ].join("\n");
}

// HAProxy server names: letters, digits, '-', '_', '.', ':'.
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.:-]/g, "_");
}
