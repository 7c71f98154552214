// The node status record: what a node agent reports about itself (agent,
// BGP sessions, routes, configuration problems) and keeps in the datastore
// under NODE_STATUS_PREFIX + node name, shaped after Calico's
// CalicoNodeStatus (api/pkg/apis/projectcalico/v3 caliconodestatus.go:
// agent, bgp, routes). Not a resource users write, so not a registry kind:
// the agent writes it, tools read it. Readers ignore fields they do not know
// (a newer agent may add some), unlike the strict objects of users' YAML.
import { z } from "zod";
import { formatPath, ResourceValidationError } from "../errors.js";

/** Where node status records are kept in the datastore (the node's name follows). */
export const NODE_STATUS_PREFIX = "/tortie/nodestatus/v1/";

const count = z.number().int().min(0);

/** One BGP session as the agent reports it. */
export const nodeStatusPeer = z.object({
  /** The peer's address. */
  address: z.string(),
  /** Why the session exists: "mesh", "BGPPeer/<name>", or "dynamic". */
  source: z.string(),
  /** The session's FSM state (RFC 4271 §8), e.g. "Established". */
  state: z.string(),
  /** When the session entered `state`, ms since the epoch. */
  since: z.number(),
  /** Prefixes received from the peer. */
  received: count,
  /** Prefixes advertised to the peer. */
  advertised: count,
  /** The last error, when there was one. */
  lastError: z.string().optional(),
});

/** The node status record (in the order the agent writes its fields). */
export const nodeStatusRecord = z.object({
  /** The node's name. */
  node: z.string(),
  /** Wall-clock time of this record (ISO 8601). */
  updated: z.iso.datetime(),
  agent: z.object({
    ready: z.boolean(),
    datastore: z.enum(["connected", "disconnected"]),
    lastDatastoreError: z.string().optional(),
    /** When the agent started (ISO 8601). */
    startedAt: z.iso.datetime(),
  }),
  bgp: z.object({
    asn: z.number().int().min(0).max(4294967295).optional(),
    routerId: z.string().optional(),
    peers: z.array(nodeStatusPeer),
    /** Prefixes this node originates. */
    originated: z.array(z.string()),
  }),
  routes: z.object({
    /** The node's IPAM blocks (blackhole routes). */
    blocks: z.array(z.string()),
    /** Routes to local workloads. */
    workloads: count,
    /** Learned routes installed in the kernel. */
    learned: count,
  }),
  /** Invalid resources (kept at their last good value) and configuration problems. */
  issues: z.array(z.object({ resource: z.string(), path: z.string(), message: z.string() })),
});

/** The node status record: see {@link nodeStatusRecord}. */
export type NodeStatusRecord = z.output<typeof nodeStatusRecord>;

/** One BGP session in a {@link NodeStatusRecord}. */
export type NodeStatusPeer = z.output<typeof nodeStatusPeer>;

/**
 * Checks a record read from the datastore (parsed JSON).
 * @param where names the record in errors, e.g. its key.
 * @throws ResourceValidationError naming each field that is wrong.
 */
export function parseNodeStatusRecord(value: unknown, where: string): NodeStatusRecord {
  const r = nodeStatusRecord.safeParse(value);
  if (r.success) return r.data;
  throw new ResourceValidationError(
    where,
    r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  );
}
