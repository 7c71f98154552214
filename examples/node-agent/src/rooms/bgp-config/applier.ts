// The bgp-config room's edge: applies plans to a @tortie/bgp Speaker. Only
// the difference is applied: a new peer is added, a removed one removed, a
// changed one replaced (its session alone restarts), one whose filters alone
// changed re-filtered in place (no reset), prefixes originated or
// withdrawn. A change of AS, router ID or listener restarts the speaker.
import { Speaker } from "@tortie/bgp";
import type { DesiredBgp, DesiredPeer, DesiredRoute } from "./desired.js";
import { type BgpPlan, isEmptyPlan, planBgp } from "./plan.js";

/** Options of {@link BgpApplier}. */
export interface BgpApplierOptions {
  /** Network namespace path to open the speaker's sockets in (tests, labs). */
  readonly netns?: string;
  /** Called with each new speaker (to subscribe to its events and best paths). */
  readonly onSpeaker: (s: Speaker) => void;
  /** Called before a speaker is closed for a restart (learned routes must be forgotten). */
  readonly onRestart?: (old: Speaker) => void;
  /** Called after a peer was removed or replaced (its learned routes are gone). */
  readonly onPeerRemoved?: (address: string) => void;
  /**
   * Graceful restart (RFC 4724) restart time, s: peers keep this node's
   * routes that long when the agent dies, and this node keeps a restarting
   * peer's routes (default 120, BIRD's and Calico's).
   */
  readonly restartTime?: number;
  /** True when this process restarts a node whose forwarding state survived (R bit on the first speaker). */
  readonly restarting?: () => boolean;
}

function originateInput(r: DesiredRoute) {
  return {
    prefix: r.prefix,
    ...(r.communities ? { communities: [...r.communities] } : {}),
    ...(r.largeCommunities ? { largeCommunities: [...r.largeCommunities] } : {}),
  };
}

/** A desired peer as the speaker's (mutable) input. */
function peerInput(p: DesiredPeer) {
  const { importFilters, exportFilters, ...rest } = p.config;
  return {
    ...rest,
    ...(importFilters ? { importFilters: [...importFilters] } : {}),
    ...(exportFilters ? { exportFilters: [...exportFilters] } : {}),
  };
}

/** Keeps a Speaker equal to the desired BGP state. */
export class BgpApplier {
  private applied: DesiredBgp | undefined;
  speaker: Speaker | undefined;

  constructor(private readonly opts: BgpApplierOptions) {}

  /** What is applied now. */
  get current(): DesiredBgp | undefined {
    return this.applied;
  }

  /** Applies `desired`; returns the plan that was carried out. */
  async apply(desired: DesiredBgp): Promise<BgpPlan> {
    const plan = planBgp(this.applied, desired);
    if (isEmptyPlan(plan)) return plan;
    if (plan.restart) {
      const old = this.speaker;
      if (old) {
        this.opts.onRestart?.(old);
        this.speaker = undefined;
        await old.close("configuration changed: AS, router ID or listener");
      }
      // Only the first speaker of a process announces a restart (RFC 4724 §3, R bit).
      const restarting = this.applied === undefined && !old && (this.opts.restarting?.() ?? false);
      const s = await Speaker.start({
        asn: desired.asn,
        routerId: desired.routerId,
        listen: desired.listen,
        ...(desired.clusterId ? { clusterId: desired.clusterId } : {}),
        // every equal-cost best path: ECMP kernel routes (Calico's BIRD `merge paths on`)
        multipath: true,
        gracefulRestart: { restartTime: this.opts.restartTime ?? 120, forwardingPreserved: true },
        ...(restarting ? { restarting: true } : {}),
        ...(this.opts.netns ? { netns: this.opts.netns } : {}),
        originate: [...desired.originate.values()].map(originateInput),
      });
      this.speaker = s;
      this.opts.onSpeaker(s);
      for (const p of desired.peers.values()) s.addPeer(peerInput(p));
      this.applied = desired;
      return plan;
    }
    const s = this.speaker!;
    for (const a of plan.removePeers) {
      s.removePeer(a, "peer de-configured");
      this.opts.onPeerRemoved?.(a);
    }
    for (const p of plan.replacePeers) {
      s.removePeer(p.config.address, "peer re-configured");
      this.opts.onPeerRemoved?.(p.config.address);
      s.addPeer(peerInput(p));
    }
    for (const p of plan.refilterPeers) {
      const { importFilters, exportFilters } = peerInput(p);
      s.setPeerFilters(p.config.address, {
        importFilters: importFilters ?? [],
        exportFilters: exportFilters ?? [],
      });
    }
    for (const p of plan.addPeers) s.addPeer(peerInput(p));
    if (plan.withdraw.length) s.withdraw(plan.withdraw);
    if (plan.originate.length) s.originate(plan.originate.map(originateInput));
    this.applied = desired;
    return plan;
  }

  /** Closes the speaker (Cease to every peer). */
  async close(message = "tortie-node stopping"): Promise<void> {
    const s = this.speaker;
    this.speaker = undefined;
    await s?.close(message);
  }
}
