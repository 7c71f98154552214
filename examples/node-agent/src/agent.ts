// The node agent: one watched snapshot of the datastore, and the rooms that
// turn it into a running node. Composition only: each room's pure half
// decides, its applier changes only the difference.
//
//   datastore ──watch──► SnapshotWatcher ──► recompute()
//                                              ├─ ipam/       Node registration, pools → IPAM config
//                                              ├─ bgp-config/ desiredBgp → BgpApplier → Speaker
//                                              ├─ routes/     staticRoutes + learned → RoutesApplier
//                                              └─ status/     record, metrics, health, control socket
//   Speaker (RIB: import filters, best path, ECMP) ──best-path──► RoutesApplier (per prefix)
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BestPathChange, Speaker } from "@tortie/bgp";
import { type Datastore, EtcdStore, SqliteStore } from "@tortie/datastore";
import type { DesiredRoute } from "@tortie/netlink";
import { Netlink, RouteProtocol } from "@tortie/netlink";
import pino, { type Logger } from "pino";
import type { AgentConfig } from "./config/agent-config.js";
import { BgpApplier } from "./rooms/bgp-config/applier.js";
import { type ConfigIssue, type DesiredBgp, desiredBgp } from "./rooms/bgp-config/desired.js";
import type { InterfaceAddress } from "./rooms/bgp-config/interfaces.js";
import { secretResolver } from "./rooms/bgp-config/secrets.js";
import { IpamRoom } from "./rooms/ipam/registration.js";
import { PolicyApplier } from "./rooms/policy/applier.js";
import { policyResources } from "./rooms/policy/desired.js";
import { RoutesApplier } from "./rooms/routes/applier.js";
import { PRIORITY, staticRoutes } from "./rooms/routes/desired.js";
import { startControlSocket } from "./rooms/status/control.js";
import { startHttp } from "./rooms/status/http.js";
import { AgentMetrics } from "./rooms/status/metrics.js";
import { type NodeStatus, nodeStatus } from "./rooms/status/record.js";
import { StatusWriter } from "./rooms/status/writer.js";
import type { ChangeSummary } from "./snapshot/snapshot.js";
import { SnapshotWatcher } from "./snapshot/watcher.js";

/** The status record is written again at least this often even when unchanged (a heartbeat). */
const STATUS_HEARTBEAT_MS = 30_000;

/** Options beyond the configuration: injected edges, for tests and labs. */
export interface AgentOptions {
  readonly config: AgentConfig;
  /** A datastore to use (default: opened from `config.datastore`, closed on stop). */
  readonly store?: Datastore;
  /** Network namespace path for the speaker's sockets and the routes (default: the agent's own). */
  readonly netns?: string;
  readonly logger?: Logger;
  /** Environment for secrets (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** BGP timers (tests shorten them). */
  readonly connectRetryTime?: number;
  readonly holdTime?: number;
  /** How long routes of a previous run are kept while peers come back (default 120 s, BIRD's GR restart time). */
  readonly staleRoutesMs?: number;
  /** How often the status record is written (default 10 s). */
  readonly statusIntervalMs?: number;
  /** Render policy into nftables (default true; needs `nft`). */
  readonly policy?: boolean;
  /** How often interface addresses are scanned (default 2 s, BIRD's `protocol device` scan time in Calico). */
  readonly interfaceScanMs?: number;
}

/** A running node agent. */
export class Agent {
  readonly log: Logger;
  readonly metrics = new AgentMetrics();
  readonly watcher: SnapshotWatcher;
  readonly bgp: BgpApplier;
  readonly routes: RoutesApplier;
  readonly ipam: IpamRoom;
  readonly policy: PolicyApplier | undefined;
  /** Port of the health/metrics server, when enabled. */
  httpPort: number | undefined;
  private readonly cfg: AgentConfig;
  private readonly ownStore: boolean;
  private readonly startedAt = new Date();
  private readonly secret;
  private configIssues: readonly ConfigIssue[] = [];
  private applied = false;
  private stopped = false;
  private queue: Promise<void> = Promise.resolve();
  private pending = false;
  private registered = false;
  private closers: (() => Promise<unknown> | unknown)[] = [];
  /** Status record writes, one at a time (see ./rooms/status/writer.ts for why). */
  private readonly statusWriter: StatusWriter;
  private policyIssue: ConfigIssue | undefined;
  /** The node's interface addresses (up interfaces, global scope), from the last scan. */
  private interfaces: readonly InterfaceAddress[] = [];
  private interfacesKey = "";

  private constructor(
    private readonly opts: AgentOptions,
    readonly store: Datastore,
  ) {
    this.cfg = opts.config;
    this.ownStore = !opts.store;
    this.log = opts.logger ?? pino({ level: this.cfg.logLevel, base: { node: this.cfg.nodeName } });
    this.secret = secretResolver(this.cfg.secretsDir, opts.env ?? process.env);
    this.ipam = new IpamRoom(store);
    // Written when it changes, and at least every STATUS_HEARTBEAT_MS so that
    // readers (`tortiectl node status`: stale after 60 s) can tell a quiet
    // agent from a stopped one by the record's age.
    this.statusWriter = new StatusWriter({
      node: this.cfg.nodeName,
      store,
      record: () => this.status(),
      heartbeatMs: STATUS_HEARTBEAT_MS,
      onError: (e) => {
        this.metrics.errors.inc({ room: "status" });
        this.log.debug({ err: (e as Error).message }, "status record not written (retrying)");
      },
    });
    this.watcher = new SnapshotWatcher(store, {
      change: (s) => this.onChange(s),
      state: (synced, error) => {
        this.metrics.datastoreUp.set(synced ? 1 : 0);
        if (synced) this.log.info("datastore synced");
        else
          this.log.warn({ err: error?.message }, "datastore unreachable: keeping state, retrying");
      },
    });
    this.bgp = new BgpApplier({
      ...(opts.netns ? { netns: opts.netns } : {}),
      onSpeaker: (s) => this.wireSpeaker(s),
      // a new speaker starts with an empty RIB: forget what the old one chose
      onRestart: () =>
        this.routes.setLearned(new Map(this.routes.learnedPrefixes().map((p) => [p, []]))),
      // Routes of ours in the kernel at start: a restart with forwarding kept.
      restarting: () => this.foundOwnRoutes,
    });
    this.policy =
      opts.policy === false
        ? undefined
        : new PolicyApplier(
            opts.netns ? { netns: opts.netns.replace(/^\/(var\/)?run\/netns\//, "") } : {},
          );
    this.routes = new RoutesApplier({
      ...(opts.netns ? { netns: opts.netns } : {}),
      vethPrefix: this.cfg.vethPrefix,
      onError: (e) => {
        this.metrics.errors.inc({ room: "routes" });
        this.log.error({ err: (e as Error).message }, "route reconcile failed (retrying)");
      },
    });
  }

  /** Opens the datastore (unless given), starts every room; resolves when the first sync was attempted. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const c = opts.config;
    if (!opts.store && c.datastore.type === "sqlite")
      mkdirSync(dirname(c.datastore.path), { recursive: true });
    const store =
      opts.store ??
      (c.datastore.type === "sqlite"
        ? new SqliteStore({ path: c.datastore.path })
        : new EtcdStore({ hosts: [...c.datastore.endpoints] }));
    const a = new Agent(opts, store);
    try {
      await a.run();
    } catch (e) {
      await a.stop();
      throw e;
    }
    return a;
  }

  private async run(): Promise<void> {
    const c = this.cfg;
    this.log.info({ datastore: c.datastore.type, ip: c.ipv4 ?? c.ipv6 }, "tortie-node starting");
    if (c.healthListen) {
      const h = await startHttp(c.healthListen, {
        live: () => !this.stopped,
        ready: () => this.ready,
        metrics: async () => {
          this.refreshGauges();
          return {
            contentType: this.metrics.registry.contentType,
            body: await this.metrics.registry.metrics(),
          };
        },
        status: () => this.status(),
      });
      this.httpPort = h.port;
      this.closers.push(() => h.close());
    }
    if (c.controlSocket) {
      const cs = await startControlSocket(c.controlSocket, { status: () => this.status() });
      this.closers.push(() => cs.close());
    }
    await this.adoptStaleRoutes();
    await this.scanInterfaces();
    await this.watcher.start();
    void this.registerLoop();
    // The first recompute happens with whatever the first sync gave; routes start after it.
    await this.enqueue();
    await this.routes.start();
    const every = this.opts.statusIntervalMs ?? 10_000;
    const t = setInterval(() => void this.writeStatus(), every);
    t.unref();
    this.closers.push(() => clearInterval(t));
    void this.writeStatus();
  }

  /** Synced with the datastore and applied at least once. */
  get ready(): boolean {
    return !this.stopped && this.watcher.synced && this.applied && this.registered;
  }

  // ------------------------------------------------------------ recompute

  private onChange(s: ChangeSummary): void {
    for (const i of s.newIssues) {
      this.metrics.errors.inc({ room: "snapshot" });
      this.log.warn(
        { resource: i.resource, path: i.path, key: i.key },
        `invalid resource kept at last good value: ${i.message}`,
      );
    }
    if (s.kinds.size) this.schedule();
  }

  /** Coalesces bursts of changes into one recompute at a time. */
  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    void this.enqueue();
  }

  /** Runs a recompute after the ones queued (never two at once). */
  private enqueue(): Promise<void> {
    const p = this.queue.then(() => {
      this.pending = false;
      return this.recompute();
    });
    this.queue = p.catch((e) => {
      this.metrics.errors.inc({ room: "agent" });
      this.log.error({ err: (e as Error).message }, "recompute failed");
    });
    return p;
  }

  private async recompute(): Promise<void> {
    if (this.stopped) return;
    const snap = this.watcher.builder.snapshot();
    const t0 = performance.now();
    // ipam/: pools from the datastore into IPAM's configuration.
    try {
      if (await this.ipam.syncConfig(snap))
        this.log.info("IPAM configuration updated from IPPool resources");
    } catch (e) {
      this.metrics.errors.inc({ room: "ipam" });
      this.log.warn(
        { err: (e as Error).message },
        "IPAM configuration not updated (last good kept)",
      );
    }
    const t1 = performance.now();
    this.metrics.reconcile.observe({ room: "ipam" }, (t1 - t0) / 1000);
    // bgp-config/
    const ctx = {
      nodeName: this.cfg.nodeName,
      nodeIP: (this.cfg.ipv4 ?? this.cfg.ipv6 ?? "").split("/")[0]!,
      ...(this.cfg.asNumber !== undefined ? { asNumber: this.cfg.asNumber } : {}),
      secret: this.secret,
      ...(this.opts.connectRetryTime !== undefined
        ? { connectRetryTime: this.opts.connectRetryTime }
        : {}),
      ...(this.opts.holdTime !== undefined ? { holdTime: this.opts.holdTime } : {}),
      interfaces: this.interfaces,
      vethPrefix: this.cfg.vethPrefix,
    };
    let desired: DesiredBgp;
    try {
      desired = desiredBgp(snap, ctx);
    } catch (e) {
      this.metrics.errors.inc({ room: "bgp-config" });
      this.log.error(
        { err: (e as Error).message },
        "BGP configuration not computed (last good kept)",
      );
      return;
    }
    if (JSON.stringify(desired.issues) !== JSON.stringify(this.configIssues))
      for (const i of desired.issues) this.log.warn(i, "configuration problem");
    this.configIssues = desired.issues;
    try {
      const plan = await this.bgp.apply(desired);
      if (
        plan.restart ||
        plan.addPeers.length ||
        plan.removePeers.length ||
        plan.replacePeers.length
      )
        this.log.info(
          {
            restart: plan.restart,
            add: plan.addPeers.map((p) => p.config.address),
            remove: plan.removePeers,
            replace: plan.replacePeers.map((p) => p.config.address),
          },
          "BGP peers changed",
        );
      if (plan.originate.length || plan.withdraw.length)
        this.log.info(
          { originate: plan.originate.map((r) => r.prefix), withdraw: plan.withdraw },
          "originated prefixes changed",
        );
    } catch (e) {
      this.metrics.errors.inc({ room: "bgp-config" });
      this.log.error(
        { err: (e as Error).message },
        "BGP configuration not applied (will retry on next change)",
      );
    }
    const t2 = performance.now();
    this.metrics.reconcile.observe({ room: "bgp-config" }, (t2 - t1) / 1000);
    // routes/: static sources (learned routes come from the speaker's best paths).
    this.routes.setStatic(staticRoutes(snap, desired, this.cfg.nodeName));
    const t3 = performance.now();
    this.metrics.reconcile.observe({ room: "routes" }, (t3 - t2) / 1000);
    // policy/: local endpoints → nftables (a refused resource keeps the last good ruleset)
    if (this.policy) {
      try {
        const r = await this.policy.apply(policyResources(snap, this.cfg.nodeName));
        if (r.changed || r.removed)
          this.log.debug({ changed: r.changed, removed: r.removed }, "policy applied");
        const first = r.refused[0];
        this.policyIssue = first
          ? {
              resource: first.error.resource ?? first.key,
              path: first.error.issues?.[0]?.path ?? "",
              message: first.error.issues?.[0]?.message ?? first.error.message,
            }
          : undefined;
        for (const f of r.refused) {
          this.metrics.errors.inc({ room: "policy" });
          this.log.warn(
            { resource: f.key, err: f.error.message },
            "policy resource refused (last good kept)",
          );
        }
      } catch (e) {
        this.metrics.errors.inc({ room: "policy" });
        this.policyIssue = {
          resource: "nftables",
          path: "",
          message: (e as Error).message.slice(0, 500),
        };
        this.log.error(
          { err: (e as Error).message },
          "nftables not applied (retried on the next change)",
        );
      }
      this.metrics.reconcile.observe({ room: "policy" }, (performance.now() - t3) / 1000);
    }
    this.applied = true;
    this.scheduleStatus();
  }

  // ------------------------------------------------------------ learned routes

  private wireSpeaker(s: Speaker): void {
    s.subscribe((changes) => this.bestChanged(changes));
    s.on("peer-up", (e) => {
      this.log.info({ peer: e.peer, as: e.session.peerAs }, "BGP session established");
      this.scheduleStatus();
    });
    s.on("peer-down", (e) => {
      this.log.warn({ peer: e.peer, reason: e.error.reason ?? e.error.event }, "BGP session down");
      this.scheduleStatus();
    });
    s.on("end-of-rib", () => this.maybeDropStale());
    s.on("warning", (e) => this.log.warn({ peer: e.peer }, e.message));
  }

  /** The own addresses a learned next hop must not be (the route would point at us). */
  private ownAddresses = new Set<string>();

  /**
   * Best paths chosen by the speaker's RIB (import filters, allowAsIn,
   * RFC 4271 §9.1.2 ranking, every equal-cost next hop with `multipath`) →
   * kernel routes, one prefix at a time. Our own originations and paths
   * whose every next hop is ours stay out of the kernel (the blackholes and
   * workload routes are the static sources').
   */
  private bestChanged(changes: readonly BestPathChange[]): void {
    if (!this.ownAddresses.size)
      for (const x of [this.cfg.ipv4, this.cfg.ipv6])
        if (x) this.ownAddresses.add(x.split("/")[0]!);
    const out = new Map<string, readonly string[]>();
    for (const c of changes)
      out.set(
        c.prefix,
        c.best && c.best.peer !== "local"
          ? c.nextHops.filter((h) => h && !this.ownAddresses.has(h))
          : [],
      );
    this.routes.setLearned(out);
  }

  // ------------------------------------------------------------ interfaces

  /**
   * Scans the node's interface addresses now and then every
   * `interfaceScanMs` (Calico's BIRD scans devices every 2 s); a change
   * recomputes (connected prefixes in a pool are announced, except on
   * ignoredInterfaces). Host- and link-scope addresses and interfaces that
   * are down are left out, as BIRD's `protocol direct` does.
   */
  private async scanInterfaces(): Promise<void> {
    const nl = await Netlink.open(this.opts.netns ? { netns: this.opts.netns } : {});
    this.closers.push(() => nl.close());
    const scan = async () => {
      const up = new Map<number, string>();
      for (const l of await nl.links.list())
        if (l.name && ((l.flags ?? 0) & 1) === 1) up.set(l.index, l.name); // IFF_UP
      const out: InterfaceAddress[] = [];
      for (const a of await nl.addresses.list()) {
        const ifname = up.get(a.index);
        if (ifname && a.scope === 0) out.push({ ifname, cidr: a.cidr });
      }
      out.sort((x, y) => (x.ifname + x.cidr < y.ifname + y.cidr ? -1 : 1));
      const key = JSON.stringify(out);
      if (key === this.interfacesKey) return false;
      this.interfacesKey = key;
      this.interfaces = out;
      return true;
    };
    await scan();
    const every = this.opts.interfaceScanMs ?? 2000;
    const t = setInterval(() => {
      scan()
        .then((changed) => {
          if (changed) this.schedule();
        })
        .catch((e) => {
          this.metrics.errors.inc({ room: "interfaces" });
          this.log.warn({ err: (e as Error).message }, "interface scan failed (retrying)");
        });
    }, every);
    t.unref();
    this.closers.push(() => clearInterval(t));
  }

  // ------------------------------------------------------------ restarts

  /**
   * Routes of a previous run (our protocol, with a gateway) are kept as a
   * low-priority "stale" source until peers have sent End-of-RIB or the
   * stale timer ends, so a restart does not drop forwarding (BIRD/Felix
   * graceful restart behaviour on the node's own side).
   */
  /** The kernel held routes of ours when this process started (set before the first speaker). */
  private foundOwnRoutes = false;

  private async adoptStaleRoutes(): Promise<void> {
    const nl = await Netlink.open(this.opts.netns ? { netns: this.opts.netns } : {});
    try {
      const stale: DesiredRoute[] = [];
      const own = await nl.routes.list({ protocol: RouteProtocol.tortie });
      this.foundOwnRoutes = own.length > 0;
      for (const r of own) {
        if (r.type !== 1) continue; // unicast only
        if (r.gateway) stale.push({ dst: r.dst, gateway: r.gateway, priority: PRIORITY.bgp + 10 });
        else if (r.multipath?.length && r.multipath.every((n) => n.gateway))
          stale.push({
            dst: r.dst,
            nexthops: r.multipath.map((n) => ({ gateway: n.gateway! })),
            priority: PRIORITY.bgp + 10,
          });
      }
      this.routes.setStale(stale);
      if (stale.length) {
        this.log.info(
          { routes: stale.length },
          "keeping routes of the previous run while peers return",
        );
        const t = setTimeout(
          () => this.dropStale("stale timer"),
          this.opts.staleRoutesMs ?? 120_000,
        );
        t.unref();
        this.closers.push(() => clearTimeout(t));
      }
    } finally {
      nl.close();
    }
  }

  private maybeDropStale(): void {
    const s = this.bgp.speaker?.status();
    if (!s || !this.routes.hasStale) return;
    // every configured peer established and its End-of-RIB seen is approximated by: every peer up
    if (s.peers.length && s.peers.every((p) => p.state === "Established"))
      this.dropStale("End-of-RIB from every peer");
  }

  private dropStale(why: string): void {
    if (!this.routes.hasStale) return;
    this.log.info({ why }, "dropping routes of the previous run");
    this.routes.setStale([]);
  }

  // ------------------------------------------------------------ registration and status

  private async registerLoop(): Promise<void> {
    let wait = 100;
    while (!this.stopped) {
      try {
        const wrote = await this.ipam.register({
          nodeName: this.cfg.nodeName,
          ...(this.cfg.ipv4 ? { ipv4Address: this.cfg.ipv4 } : {}),
          ...(this.cfg.ipv6 ? { ipv6Address: this.cfg.ipv6 } : {}),
          ...(this.cfg.asNumber !== undefined ? { asNumber: this.cfg.asNumber } : {}),
          labels: this.cfg.labels,
        });
        this.registered = true;
        this.log.info({ wrote }, "node registered");
        return;
      } catch (e) {
        this.metrics.errors.inc({ room: "ipam" });
        this.log.warn({ err: (e as Error).message }, "node registration failed; retrying");
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 10_000);
      }
    }
  }

  /** The status record now. */
  status(): NodeStatus {
    const snap = this.watcher.builder.snapshot();
    const d = this.bgp.current;
    return nodeStatus({
      node: this.cfg.nodeName,
      now: new Date(),
      startedAt: this.startedAt,
      ready: this.ready,
      datastoreConnected: this.watcher.synced,
      ...(this.watcher.lastError ? { lastDatastoreError: this.watcher.lastError.message } : {}),
      ...(this.bgp.speaker ? { speaker: this.bgp.speaker.status() } : {}),
      peerSources: new Map([...(d?.peers ?? [])].map(([a, p]) => [a, p.source])),
      blocks: d?.blocks ?? [],
      workloads: [...snap.workloadEndpoints.values()].filter((w) => w.node === this.cfg.nodeName)
        .length,
      learned: this.routes.learnedCount,
      snapshotIssues: snap.issues,
      configIssues: this.policyIssue ? [...this.configIssues, this.policyIssue] : this.configIssues,
    });
  }

  private refreshGauges(): void {
    const s = this.bgp.speaker?.status();
    this.metrics.sessions.reset();
    this.metrics.prefixesIn.reset();
    this.metrics.prefixesOut.reset();
    for (const p of s?.peers ?? []) {
      this.metrics.sessions.inc({ state: p.state });
      this.metrics.prefixesIn.set({ peer: p.address }, p.prefixes.received);
      this.metrics.prefixesOut.set({ peer: p.address }, p.prefixes.advertised);
    }
    const st = this.status();
    this.metrics.routes.set({ source: "blocks" }, st.routes.blocks.length);
    this.metrics.routes.set({ source: "workloads" }, st.routes.workloads);
    this.metrics.routes.set({ source: "bgp" }, st.routes.learned);
    this.metrics.workloads.set(st.routes.workloads);
    this.metrics.blocks.set(st.routes.blocks.length);
    this.metrics.invalid.set(st.issues.length);
    this.metrics.datastoreUp.set(this.watcher.synced ? 1 : 0);
  }

  private statusTimer: NodeJS.Timeout | undefined;
  private scheduleStatus(): void {
    if (this.statusTimer || this.stopped) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.writeStatus();
    }, 200);
    this.statusTimer.unref();
  }

  /**
   * Writes the status record to the datastore when it changed (timestamps
   * aside), after any write under way: the heartbeat and the change timer
   * overlap, and an older record must never land after a newer one.
   */
  private writeStatus(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.statusWriter.write();
  }

  /**
   * Stops the agent. Kernel routes stay (forwarding continues through a
   * restart); BGP sessions are closed with a Cease unless `abrupt`.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    // no status write starts now; one under way lands before the store closes
    const statusWritten = this.statusWriter.close();
    await this.watcher.stop();
    for (const c of this.closers.reverse()) await c();
    this.routes.stop();
    await this.bgp.close();
    await this.queue.catch(() => undefined);
    await statusWritten;
    if (this.ownStore) await this.store.close();
    this.log.info("tortie-node stopped");
  }
}
