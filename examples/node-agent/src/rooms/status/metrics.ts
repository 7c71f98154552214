// Prometheus metrics of one agent (prom-client, its own registry so that
// several agents can live in one process, as they do in tests).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The agent's metrics. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({
    name: "tortie_node_bgp_sessions",
    help: "BGP sessions by state",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  readonly prefixesIn = new Gauge({
    name: "tortie_node_bgp_prefixes_received",
    help: "Prefixes received per peer",
    labelNames: ["peer"] as const,
    registers: [this.registry],
  });
  readonly prefixesOut = new Gauge({
    name: "tortie_node_bgp_prefixes_advertised",
    help: "Prefixes advertised per peer",
    labelNames: ["peer"] as const,
    registers: [this.registry],
  });
  readonly routes = new Gauge({
    name: "tortie_node_routes_programmed",
    help: "Routes the agent wants in the kernel, by source",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly reconcile = new Histogram({
    name: "tortie_node_reconcile_duration_seconds",
    help: "Time to recompute and apply a room",
    labelNames: ["room"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly workloads = new Gauge({
    name: "tortie_node_workload_endpoints",
    help: "Local workload endpoints (allocations on this node)",
    registers: [this.registry],
  });
  readonly blocks = new Gauge({
    name: "tortie_node_affine_blocks",
    help: "IPAM blocks affine to this node",
    registers: [this.registry],
  });
  readonly invalid = new Gauge({
    name: "tortie_node_invalid_resources",
    help: "Resources refused (last good value kept) and configuration problems",
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "tortie_node_errors_total",
    help: "Errors by room",
    labelNames: ["room"] as const,
    registers: [this.registry],
  });
  readonly datastoreUp = new Gauge({
    name: "tortie_node_datastore_connected",
    help: "1 when every watched prefix is listed and watched",
    registers: [this.registry],
  });
  readonly resyncs = new Counter({
    name: "tortie_node_datastore_resyncs_total",
    help: "Listings of a watched prefix (start, reconnects, compactions)",
    registers: [this.registry],
  });
}
