// Address operations — each the equivalent of an `ip address` command.
import type { Connection } from "../socket/connection.js";
import type { Address } from "../wire/address.js";
import { AddressFamily, IfaFlags, NlmFlags, Rtm, Scope } from "../wire/constants.js";
import { NetlinkInputError } from "../wire/errors.js";
import { formatIP, parsePrefix } from "../wire/ip.js";
import type { IndexResolver, LinkRef, ScopeRef } from "./common.js";
import { scopeNumber } from "./common.js";

/** An address to add or delete. */
export interface AddressSpec {
  /** The interface. */
  readonly dev: LinkRef;
  /** "192.0.2.1/24" or "2001:db8::1/64" (a bare address is a host prefix). */
  readonly address: string;
  /** IPv6: skip duplicate address detection (`nodad`). */
  readonly nodad?: boolean;
  /** Do not add the prefix route (`noprefixroute`). */
  readonly noprefixroute?: boolean;
  /** Point-to-point peer (`peer ADDR`). */
  readonly peer?: string;
  /** IPv4 broadcast (`broadcast ADDR`). */
  readonly broadcast?: string;
  /** Scope (default universe; `scope link`…). */
  readonly scope?: ScopeRef;
  /** Label (`label eth0:1`). */
  readonly label?: string;
  /** Metric of the prefix route (`metric N`). */
  readonly metric?: number;
}

/** Filter of {@link Addresses.list}. */
export interface AddressFilter {
  /** Only this interface's addresses. */
  readonly dev?: LinkRef;
  /** 4 or 6. */
  readonly family?: 4 | 6;
}

/** An address in text form, with its interface. */
export interface AddressEntry extends Address {
  /** "192.0.2.1/24": IFA_LOCAL (or IFA_ADDRESS) with the prefix length. */
  readonly cidr: string;
}

/** Addresses of one namespace. Get it from `Netlink.addresses`. */
export class Addresses {
  constructor(
    private readonly conn: Connection,
    private readonly resolve: IndexResolver,
  ) {}

  /** Addresses (`ip address show [dev X]`, `ip -4|-6 address show`). */
  async list(f: AddressFilter = {}): Promise<AddressEntry[]> {
    const index = f.dev !== undefined ? await this.resolve(f.dev) : 0;
    const family =
      f.family === 4
        ? AddressFamily.inet
        : f.family === 6
          ? AddressFamily.inet6
          : AddressFamily.unspec;
    const { messages } = await this.conn.dump("ip address show", Rtm.getAddr, {
      kind: "address",
      address: { family, prefixlen: 0, flags: 0, scope: 0, index },
    });
    const out: AddressEntry[] = [];
    for (const m of messages) {
      if (m.kind !== "address") continue;
      const a = m.address;
      if (index && a.index !== index) continue;
      const ip = a.local ?? a.address;
      out.push({ ...a, cidr: `${ip}/${a.prefixlen}` });
    }
    return out;
  }

  private async body(s: AddressSpec): Promise<Address> {
    const p = parsePrefix(s.address);
    const index = await this.resolve(s.dev);
    let flags = 0;
    if (s.nodad) {
      if (p.family !== AddressFamily.inet6) {
        throw new NetlinkInputError(`nodad applies to IPv6 addresses, not ${s.address}`);
      }
      flags |= IfaFlags.nodad;
    }
    if (s.noprefixroute) flags |= IfaFlags.noprefixroute;
    const local = formatIP(p.addr);
    return {
      family: p.family,
      prefixlen: p.len,
      flags,
      scope: s.scope !== undefined ? scopeNumber(s.scope) : Scope.universe,
      index,
      local,
      address: s.peer ?? local,
      ...(s.broadcast !== undefined ? { broadcast: s.broadcast } : {}),
      ...(s.label !== undefined ? { label: s.label } : {}),
      ...(s.metric !== undefined ? { metric: s.metric } : {}),
    };
  }

  /** Adds an address (`ip address add ADDR/LEN dev X [nodad]`); EEXIST if present. */
  async add(s: AddressSpec): Promise<void> {
    await this.conn.request(
      `ip address add ${s.address} dev ${s.dev}${s.nodad ? " nodad" : ""}`,
      Rtm.newAddr,
      NlmFlags.create | NlmFlags.excl,
      { kind: "address", address: await this.body(s) },
    );
  }

  /** Adds or updates an address (`ip address replace ADDR/LEN dev X`). */
  async replace(s: AddressSpec): Promise<void> {
    await this.conn.request(
      `ip address replace ${s.address} dev ${s.dev}`,
      Rtm.newAddr,
      NlmFlags.create | NlmFlags.replace,
      { kind: "address", address: await this.body(s) },
    );
  }

  /** Deletes an address (`ip address del ADDR/LEN dev X`). */
  async delete(s: AddressSpec): Promise<void> {
    await this.conn.request(`ip address del ${s.address} dev ${s.dev}`, Rtm.delAddr, 0, {
      kind: "address",
      address: await this.body(s),
    });
  }
}
