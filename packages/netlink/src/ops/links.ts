// Link operations — each the equivalent of an `ip link` command.

import { closeSync } from "node:fs";
import { NetlinkError } from "../errors.js";
import type { Connection } from "../socket/connection.js";
import { type Netns, openNetnsFd } from "../socket/netns.js";
import { AddressFamily, Iff, NlmFlags, Rtm } from "../wire/constants.js";
import type { Link, LinkInfo } from "../wire/link.js";
import type { LinkRef } from "./common.js";

/** Common settings of a new link. */
export interface NewLinkOptions {
  /** Interface name (at most 15 bytes). */
  readonly name: string;
  /** MTU in bytes (`mtu N`). */
  readonly mtu?: number;
  /** MAC address. */
  readonly address?: string;
  /** Bring it up at creation. */
  readonly up?: boolean;
}

/** A new veth pair (`ip link add NAME type veth peer name PEER netns NS`). */
export interface VethOptions extends NewLinkOptions {
  /** The other end. */
  readonly peer: {
    /** The peer's name (in its namespace). */
    readonly name: string;
    /** Create the peer directly in this namespace. */
    readonly netns?: Netns;
    /** The peer's MTU (default: the same as this end). */
    readonly mtu?: number;
    /** The peer's MAC address. */
    readonly address?: string;
  };
}

/** A new VXLAN device (`ip link add NAME type vxlan id VNI …`). */
export interface VxlanOptions extends NewLinkOptions {
  /** VXLAN network identifier (`id N`). */
  readonly vni: number;
  /** UDP port (default 4789). */
  readonly port?: number;
  /** Local source address (`local A`). */
  readonly local?: string;
  /** Remote: multicast group or unicast peer (`group A` / `remote A`). */
  readonly group?: string;
  /** Underlay device. */
  readonly dev?: LinkRef;
  /** MAC learning (`[no]learning`). */
  readonly learning?: boolean;
}

/** Changes to a link (`ip link set dev X …`). */
export interface LinkChanges {
  /** Up (true) or down (false). */
  readonly up?: boolean;
  /** New MTU. */
  readonly mtu?: number;
  /** MAC address. */
  readonly address?: string;
  /** Rename. */
  readonly name?: string;
  /** Enslave to a bridge (`master BR`), or release (`nomaster`) with null. */
  readonly master?: LinkRef | null;
}

const ref = (r: LinkRef): Link => (typeof r === "number" ? { index: r } : { index: 0, name: r });
const show = (r: LinkRef) => `dev ${r}`;

/** Links of one namespace. Get it from `Netlink.links`. */
export class Links {
  constructor(
    private readonly conn: Connection,
    private readonly closeFdLater: (fd: number) => void = closeSync,
  ) {}

  /** Every link (`ip link show`). */
  async list(): Promise<Link[]> {
    const { messages } = await this.conn.dump("ip link show", Rtm.getLink, {
      kind: "link",
      link: { index: 0 },
    });
    return messages.flatMap((m) => (m.kind === "link" ? [m.link] : []));
  }

  /** One link by name or index (`ip link show dev X`); throws NetlinkError ENODEV. */
  async get(r: LinkRef): Promise<Link> {
    const replies = await this.conn.request(`ip link show ${show(r)}`, Rtm.getLink, 0, {
      kind: "link",
      link: ref(r),
    });
    const m = replies.find((x) => x.kind === "link");
    if (m?.kind !== "link") throw new NetlinkError(`ip link show ${show(r)}`, 19);
    return m.link;
  }

  /** Like {@link Links.get} but undefined when there is no such link. */
  async find(r: LinkRef): Promise<Link | undefined> {
    try {
      return await this.get(r);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === "ENODEV") return undefined;
      throw e;
    }
  }

  /** The ifindex of a link (`ip -o link show dev X`). */
  async index(r: LinkRef): Promise<number> {
    return typeof r === "number" ? r : (await this.get(r)).index;
  }

  private async create(op: string, o: NewLinkOptions, info: LinkInfo): Promise<void> {
    await this.conn.request(op, Rtm.newLink, NlmFlags.create | NlmFlags.excl, {
      kind: "link",
      link: {
        index: 0,
        name: o.name,
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
        ...(o.address !== undefined ? { address: o.address } : {}),
        ...(o.up ? { flags: Iff.up, change: Iff.up } : {}),
        info,
      },
    });
  }

  /**
   * Creates a veth pair, the peer placed straight into another namespace when
   * asked (`ip link add NAME type veth peer name PEER netns NS`). One request:
   * either both ends exist afterwards or neither.
   */
  async addVeth(o: VethOptions): Promise<void> {
    const fd =
      o.peer.netns && o.peer.netns.kind !== "current" ? openNetnsFd(o.peer.netns) : undefined;
    try {
      const peer: Link = {
        index: 0,
        name: o.peer.name,
        ...(o.peer.mtu !== undefined || o.mtu !== undefined ? { mtu: o.peer.mtu ?? o.mtu } : {}),
        ...(o.peer.address !== undefined ? { address: o.peer.address } : {}),
        ...(fd !== undefined ? { netnsFd: fd } : {}),
      };
      await this.create(
        `ip link add ${o.name} type veth peer name ${o.peer.name}${fd !== undefined ? " netns …" : ""}`,
        o,
        { kind: "veth", peer },
      );
    } finally {
      if (fd !== undefined) this.closeFdLater(fd);
    }
  }

  /** Creates a dummy interface (`ip link add NAME type dummy`). */
  addDummy(o: NewLinkOptions): Promise<void> {
    return this.create(`ip link add ${o.name} type dummy`, o, { kind: "dummy" });
  }

  /** Creates a bridge (`ip link add NAME type bridge`). */
  addBridge(o: NewLinkOptions): Promise<void> {
    return this.create(`ip link add ${o.name} type bridge`, o, { kind: "bridge" });
  }

  /** Creates a VXLAN device (`ip link add NAME type vxlan id VNI dstport PORT [local A] [dev D]`). */
  async addVxlan(o: VxlanOptions): Promise<void> {
    const link = o.dev !== undefined ? await this.index(o.dev) : undefined;
    await this.create(`ip link add ${o.name} type vxlan id ${o.vni}`, o, {
      kind: "vxlan",
      vxlan: {
        id: o.vni,
        port: o.port ?? 4789,
        ...(o.local !== undefined ? { local: o.local } : {}),
        ...(o.group !== undefined ? { group: o.group } : {}),
        ...(link !== undefined ? { link } : {}),
        ...(o.learning !== undefined ? { learning: o.learning } : {}),
      },
    });
  }

  /**
   * Changes a link in one request (`ip link set dev X [up|down] [mtu N]
   * [address MAC] [name NEW] [master BR|nomaster]`). Not atomic: the kernel
   * (do_setlink) applies the changes one after another and does not undo the
   * earlier ones when a later one fails — change one thing per call when that
   * matters.
   */
  async set(r: LinkRef, c: LinkChanges): Promise<void> {
    const index = c.name !== undefined ? await this.index(r) : undefined;
    const master =
      c.master === null ? 0 : c.master !== undefined ? await this.index(c.master) : undefined;
    const base = index !== undefined ? { index } : ref(r);
    const words = [
      c.up === undefined ? "" : c.up ? " up" : " down",
      c.mtu !== undefined ? ` mtu ${c.mtu}` : "",
      c.address !== undefined ? ` address ${c.address}` : "",
      c.name !== undefined ? ` name ${c.name}` : "",
      c.master === null ? " nomaster" : c.master !== undefined ? ` master ${c.master}` : "",
    ].join("");
    await this.conn.request(`ip link set ${show(r)}${words}`, Rtm.newLink, 0, {
      kind: "link",
      link: {
        ...base,
        family: AddressFamily.unspec,
        ...(c.up !== undefined ? { flags: c.up ? Iff.up : 0, change: Iff.up } : {}),
        ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
        ...(c.address !== undefined ? { address: c.address } : {}),
        ...(c.name !== undefined ? { name: c.name } : {}),
        ...(master !== undefined ? { master } : {}),
      },
    });
  }

  /** `ip link set dev X up`. */
  setUp(r: LinkRef): Promise<void> {
    return this.set(r, { up: true });
  }

  /** `ip link set dev X down`. */
  setDown(r: LinkRef): Promise<void> {
    return this.set(r, { up: false });
  }

  /** Moves a link into another namespace (`ip link set dev X netns NS`). */
  async moveTo(r: LinkRef, ns: Netns): Promise<void> {
    const fd = openNetnsFd(ns);
    try {
      await this.conn.request(`ip link set ${show(r)} netns …`, Rtm.newLink, 0, {
        kind: "link",
        link: { ...ref(r), netnsFd: fd },
      });
    } finally {
      this.closeFdLater(fd);
    }
  }

  /** Deletes a link (`ip link del dev X`); a veth's peer goes with it. */
  async delete(r: LinkRef): Promise<void> {
    await this.conn.request(`ip link del ${show(r)}`, Rtm.delLink, 0, {
      kind: "link",
      link: ref(r),
    });
  }
}
