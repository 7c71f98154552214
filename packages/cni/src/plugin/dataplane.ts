// The I/O edge that programs a pod's veth, addresses, routes and sysctls
// through @tortie/netlink (rtnetlink; no `ip` processes), and reads them
// back for CHECK.

import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { Iff, Netlink, NetlinkError, Netns, RouteProtocol, writeSysctl } from "@tortie/netlink";
import type { PodPlan } from "./plan.js";
import type { UnlinkReply, UnlinkRequest } from "./unlink-worker.js";

/** A pod's interfaces, addresses and routes as the kernel has them. */
export interface Observed {
  readonly host?: { readonly up: boolean; readonly mac?: string; readonly mtu?: number };
  /** Destinations of routes through the host end ("192.0.2.7/32"). */
  readonly hostRoutes: readonly string[];
  readonly pod?: {
    readonly up: boolean;
    readonly mac?: string;
    readonly mtu?: number;
    readonly addresses: readonly string[];
  };
  /** Routes through the pod's interface. */
  readonly podRoutes: readonly { readonly dst: string; readonly gateway?: string }[];
}

/** What the plugin needs from the kernel. */
export interface Dataplane {
  /** Whether the namespace file exists. */
  netnsExists(path: string): boolean;
  /** Creates the veth pair and everything in the plan; returns the pod interface's MAC. */
  create(plan: PodPlan): Promise<{ podMac?: string }>;
  /** Removes the pair (and so its routes); true when something was removed. Idempotent. */
  remove(hostVeth: string): Promise<boolean>;
  /** Reads back a pod's state. */
  inspect(hostVeth: string, netns: string, podIfname: string): Promise<Observed>;
}

const isNoDevice = (e: unknown) =>
  e instanceof NetlinkError && (e.code === "ENODEV" || e.code === "ENOENT");

/** The {@link Dataplane} on the kernel, through rtnetlink. */
export class NetlinkDataplane implements Dataplane {
  private hostNl: Promise<Netlink> | undefined;

  private host(): Promise<Netlink> {
    this.hostNl ??= Netlink.open();
    return this.hostNl;
  }

  netnsExists(path: string): boolean {
    return existsSync(path);
  }

  async create(plan: PodPlan): Promise<{ podMac?: string }> {
    const host = await this.host();
    const podNs = Netns.path(plan.netns);
    const veth = {
      name: plan.hostVeth,
      mtu: plan.mtu,
      address: plan.hostMac,
      peer: { name: plan.podIfname, netns: podNs, mtu: plan.mtu },
    };
    try {
      await host.links.addVeth(veth);
    } catch (e) {
      // A host end left by an attachment that was never deleted: replace it
      // (as Calico does) — unless the pod already has an interface of that
      // name: then it is a live attachment and nothing is touched.
      if (
        !(e instanceof NetlinkError && e.code === "EEXIST") ||
        !(await host.links.find(plan.hostVeth)) ||
        (await this.podHas(podNs, plan.podIfname))
      )
        throw e;
      await host.links.delete(plan.hostVeth);
      await host.links.addVeth(veth);
    }
    try {
      return await this.configure(host, podNs, plan);
    } catch (e) {
      // undo what this call made: the pair (and with it its routes)
      await host.links.delete(plan.hostVeth).catch(() => undefined);
      throw e;
    }
  }

  private async podHas(podNs: Netns, ifname: string): Promise<boolean> {
    const pod = await Netlink.open({ netns: podNs });
    try {
      return (await pod.links.find(ifname)) !== undefined;
    } finally {
      pod.close();
    }
  }

  private async configure(
    host: Netlink,
    podNs: Netns,
    plan: PodPlan,
  ): Promise<{ podMac?: string }> {
    for (const [k, v] of plan.hostSysctls) host.sysctl.set(k, v);
    await host.links.set((await host.links.get(plan.hostVeth)).index, { up: true });
    const pod = await Netlink.open({ netns: podNs });
    try {
      for (const [k, v] of plan.podSysctls) writeSysctl(podNs, k, v);
      await pod.links.set(plan.podIfname, { up: true });
      for (const a of plan.addresses) {
        await pod.addresses.add({
          dev: plan.podIfname,
          address: a.cidr,
          ...(a.family === "6" ? { nodad: true } : {}),
        });
      }
      for (const r of plan.podRoutes) {
        await pod.routes.add({
          dst: r.dst,
          family: r.family,
          dev: plan.podIfname,
          ...(r.gateway ? { gateway: r.gateway } : {}),
          ...(r.scope ? { scope: r.scope } : {}),
        });
      }
      const link = await pod.links.get(plan.podIfname);
      // by ifindex: a long-lived client's name cache would still hold the index
      // of an earlier link of the same name
      const hostIndex = (await host.links.get(plan.hostVeth)).index;
      for (const a of plan.addresses) {
        await host.routes.replace({
          dst: a.cidr,
          dev: hostIndex,
          protocol: RouteProtocol.tortie,
          ...(a.family === "4" ? { scope: "link" as const } : {}),
        });
      }
      return link.address ? { podMac: link.address } : {};
    } finally {
      pod.close();
    }
  }

  private workers: Worker[] | undefined;
  private nextWorker = 0;
  private nextId = 0;
  private readonly waiting = new Map<number, (r: UnlinkReply) => void>();

  /**
   * Deletes links on `count` worker threads from now on (the resident helper
   * does, so that concurrent DELs overlap); `file` is the bundled worker.
   */
  useUnlinkWorkers(file: URL, count = 4): void {
    if (this.workers || !existsSync(file)) return;
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(file);
      w.unref();
      w.on("message", (r: UnlinkReply) => {
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      });
      return w;
    });
  }

  async remove(hostVeth: string): Promise<boolean> {
    // deleting one end of a veth pair deletes the other, wherever it is
    if (this.workers) {
      const id = this.nextId++;
      const w = this.workers[this.nextWorker++ % this.workers.length]!;
      const r = await new Promise<UnlinkReply>((resolve) => {
        this.waiting.set(id, resolve);
        w.postMessage({ id, name: hostVeth } satisfies UnlinkRequest);
      });
      if (r.error) throw new Error(r.error);
      return r.removed;
    }
    const host = await this.host();
    try {
      await host.links.delete(hostVeth);
      return true;
    } catch (e) {
      if (isNoDevice(e)) return false;
      throw e;
    }
  }

  async inspect(hostVeth: string, netns: string, podIfname: string): Promise<Observed> {
    const host = await this.host();
    const h = await host.links.find(hostVeth);
    const hostRoutes = h
      ? [
          ...(await host.routes.list({ dev: h.index, family: 4 })),
          ...(await host.routes.list({ dev: h.index, family: 6 })),
        ].map((r) => r.dst)
      : [];
    let pod: Observed["pod"];
    let podRoutes: Observed["podRoutes"] = [];
    if (existsSync(netns)) {
      const nl = await Netlink.open({ netns: Netns.path(netns) });
      try {
        const l = await nl.links.find(podIfname);
        if (l) {
          const addrs = await nl.addresses.list({ dev: l.index });
          pod = {
            up: ((l.flags ?? 0) & Iff.up) !== 0,
            ...(l.address ? { mac: l.address } : {}),
            ...(l.mtu ? { mtu: l.mtu } : {}),
            addresses: addrs.map((a) => a.cidr),
          };
          podRoutes = [
            ...(await nl.routes.list({ dev: l.index, family: 4 })),
            ...(await nl.routes.list({ dev: l.index, family: 6 })),
          ].map((r) => ({
            dst: r.dst,
            ...(r.gateway ? { gateway: r.gateway } : {}),
          }));
        }
      } finally {
        nl.close();
      }
    }
    return {
      ...(h
        ? {
            host: {
              up: ((h.flags ?? 0) & Iff.up) !== 0,
              ...(h.address ? { mac: h.address } : {}),
              ...(h.mtu ? { mtu: h.mtu } : {}),
            },
          }
        : {}),
      hostRoutes,
      ...(pod ? { pod } : {}),
      podRoutes,
    };
  }

  /** Closes the host connection and stops the workers. */
  close(): void {
    void this.hostNl?.then((n) => n.close());
    this.hostNl = undefined;
    for (const w of this.workers ?? []) void w.terminate();
    this.workers = undefined;
  }
}
