// The client: one rtnetlink connection bound to a network namespace, with
// the operation groups (links, addresses, routes, neighbours), sysctls and
// notification streams of that namespace.
import { Addresses } from "./ops/addresses.js";
import type { LinkRef } from "./ops/common.js";
import { Links } from "./ops/links.js";
import { Neighbours } from "./ops/neighbours.js";
import { Routes } from "./ops/routes.js";
import { Connection, type ConnectionStats } from "./socket/connection.js";
import { EventStream } from "./socket/events.js";
import { Netns, readSysctl, writeSysctl } from "./socket/netns.js";
import { NetlinkSocket } from "./socket/socket.js";
import type { RtnlGroupName } from "./wire/constants.js";

/** Options of {@link Netlink.open}. */
export interface OpenOptions {
  /** The namespace: a handle, a name under /var/run/netns, or a path (default: current). */
  readonly netns?: Netns | string;
  /** Receive buffer in bytes (default 8 MiB). */
  readonly rcvbuf?: number;
  /** Longest synchronous slice before yielding to the event loop, ms (default 4). */
  readonly sliceMs?: number;
}

/** Sysctls of one namespace. */
export interface Sysctls {
  /** `sysctl -n KEY` inside the namespace. */
  get(key: string): string;
  /** `sysctl -w KEY=VALUE` inside the namespace. */
  set(key: string, value: string | number): void;
}

/**
 * An rtnetlink client for one network namespace:
 *
 * ```ts
 * const nl = await Netlink.open({ netns: "pod1" });
 * await nl.links.addVeth({ name: "cali1", peer: { name: "eth0", netns: Netns.named("pod1") } });
 * await nl.routes.replace({ dst: "198.51.100.7/32", dev: "cali1" });
 * nl.close();
 * ```
 */
export class Netlink {
  /** `ip link`. */
  readonly links: Links;
  /** `ip address`. */
  readonly addresses: Addresses;
  /** `ip route`. */
  readonly routes: Routes;
  /** `ip neighbour`. */
  readonly neighbours: Neighbours;
  /** `sysctl` inside the namespace. */
  readonly sysctl: Sysctls;

  private constructor(
    /** The namespace every operation runs in. */
    readonly netns: Netns,
    private readonly conn: Connection,
  ) {
    this.links = new Links(conn);
    const resolve = (r: LinkRef) => this.links.index(r);
    this.addresses = new Addresses(conn, resolve);
    // Names are resolved per operation (a batch resolves each name once):
    // an interface may be deleted and re-created with another ifindex.
    this.routes = new Routes(conn, resolve);
    this.neighbours = new Neighbours(conn, resolve);
    this.sysctl = {
      get: (key) => readSysctl(netns, key),
      set: (key, value) => writeSysctl(netns, key, value),
    };
  }

  /** Opens a client; its socket is created inside the namespace and stays bound to it. */
  static async open(opts: OpenOptions = {}): Promise<Netlink> {
    const netns = Netns.from(opts.netns);
    const sock = NetlinkSocket.open({
      netns,
      ...(opts.rcvbuf !== undefined ? { rcvbuf: opts.rcvbuf } : {}),
    });
    return new Netlink(netns, new Connection(sock, opts.sliceMs ?? 4));
  }

  /**
   * Subscribes to notifications (`ip monitor`): e.g. `["link", "ipv4Route",
   * "ipv6Route"]`. An idle stream checks its socket at most every
   * `maxPollMs` (default 20 ms: the worst added latency). Close it when done.
   */
  events(groups: readonly RtnlGroupName[], opts: { maxPollMs?: number } = {}): EventStream {
    return EventStream.open(this.netns, groups, opts.maxPollMs);
  }

  /** How long this client held the event loop at most, and how much it sent. */
  get stats(): ConnectionStats {
    return this.conn.stats;
  }

  /** The underlying connection, for raw requests and batches. */
  get connection(): Connection {
    return this.conn;
  }

  /** Closes the socket. */
  close(): void {
    this.conn.close();
  }

  /** Closes the socket (`using nl = await Netlink.open()`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
