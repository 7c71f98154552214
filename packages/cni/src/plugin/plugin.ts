// The Tortie CNI plugin (`type: tortie`): a veth per pod with host prefixes,
// a proxy-ARP gateway and host routes that the node agent announces — the
// shape of Calico's plugin — over injected edges (kernel, IPAM, records,
// workload endpoints), so that its ordering and roll-back are unit-tested.
//
//   Every ADD, DEL and CHECK holds the attachment's lock (locks.ts): calls
//   for one container id + interface run one at a time on a host, and a DEL
//   that waits makes an overlapping ADD give way (DEL wins).
//
//   ADD    already added (a record says so) → code 104, nothing touched
//          (SPEC.md section 2, ADD: "If an interface of the requested name
//          already exists in the container, the CNI plugin MUST return with
//          an error"; no well-known code fits, so the plugin's own).
//          Left by a crashed ADD of the same attachment → removed first.
//          record(adding) → IPAM ADD → veth + addresses + routes → endpoint
//          → DEL waiting or caller gone? undo and fail (105) → record(added)
//          → result. Any failure undoes only what this ADD did: its veth
//          only if it made it, IPAM DEL only after its own IPAM ADD.
//   DEL    remove veth (gone is fine) → IPAM DEL → endpoint → record.
//   CHECK  veth, addresses and routes against prevResult; IPAM CHECK.
//   GC     every recorded attachment not in cni.dev/valid-attachments is
//          deleted as DEL would; then IPAM GC.
//   STATUS the datastore answers; IPAM STATUS.

import { hostname } from "node:os";
import type { AttachmentRequest, CniPlugin, GcRequest, StatusRequest } from "../skel/skel.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import type { Result } from "../spec/result.js";
import { SUPPORTED_VERSIONS } from "../spec/versions.js";
import { parseTortieConfig, type TortieConfig, TortieErrorCode } from "./config.js";
import type { Dataplane, Observed } from "./dataplane.js";
import type { EndpointSink, WorkloadEndpoint } from "./endpoint.js";
import type { IpamCall, PodIpam } from "./ipam.js";
import type { AttachmentLock, AttachmentLocks } from "./locks.js";
import { hostVethName, workloadKey } from "./names.js";
import { planPod, podAddresses, resultFor } from "./plan.js";
import type { AttachmentRecord, AttachmentStore } from "./state.js";

/** The edges the plugin runs on. */
export interface TortieDeps {
  readonly dataplane: Dataplane;
  /** IPAM for a configuration. */
  ipam(cfg: TortieConfig): PodIpam;
  /** Attachment records under the configuration's dataDir. */
  records(cfg: TortieConfig): AttachmentStore;
  /** Workload endpoint records (undefined when no datastore is configured). */
  endpoints(cfg: TortieConfig): EndpointSink | undefined;
  /** This node's name (default: the host name). */
  readonly nodename?: () => string;
  /** Attachment locks (default: none, for single-call tests). */
  locks?(cfg: TortieConfig): AttachmentLocks;
  /** Appends a line to the configured log file. */
  log?(file: string, line: string): void;
}

const noLock: AttachmentLock = {
  delWaiting: () => false,
  deletedSince: () => false,
  release: () => undefined,
};

/** Labels passed as CNI_ARGS "K8S_POD_LABELS" (JSON object), if any. */
function podLabels(args: Readonly<Record<string, string>>): Record<string, string> {
  const raw = args.K8S_POD_LABELS;
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  } catch {
    // not JSON
  }
  throw new CniError(
    ErrorCode.InvalidEnvironmentVariables,
    "CNI_ARGS K8S_POD_LABELS is not a JSON object",
  );
}

/** What CHECK finds wrong, compared with what ADD created (pure). */
export function checkProblems(
  expected: { hostVeth: string; ips: readonly string[]; mtu: number },
  seen: Observed,
): string[] {
  const p: string[] = [];
  if (!seen.host) p.push(`host interface ${expected.hostVeth} is missing`);
  else if (!seen.host.up) p.push(`host interface ${expected.hostVeth} is down`);
  if (!seen.pod) {
    p.push("container interface is missing");
    return p;
  }
  if (!seen.pod.up) p.push("container interface is down");
  if (seen.pod.mtu !== undefined && seen.pod.mtu !== expected.mtu)
    p.push(`container interface MTU ${seen.pod.mtu}, want ${expected.mtu}`);
  for (const ip of expected.ips) {
    if (!seen.pod.addresses.includes(ip)) p.push(`address ${ip} is missing in the container`);
    if (seen.host && !seen.hostRoutes.includes(ip)) p.push(`host route to ${ip} is missing`);
  }
  const has = (dst: string) => seen.podRoutes.some((r) => r.dst === dst && r.gateway);
  if (expected.ips.some((i) => !i.includes(":")) && !has("0.0.0.0/0"))
    p.push("default route (IPv4) is missing in the container");
  if (expected.ips.some((i) => i.includes(":")) && !has("::/0"))
    p.push("default route (IPv6) is missing in the container");
  return p;
}

/** Creates the Tortie plugin on the given edges. */
export function createTortiePlugin(deps: TortieDeps): CniPlugin {
  const node = (cfg: TortieConfig) => cfg.nodename ?? deps.nodename?.() ?? hostname();

  async function teardown(
    cfg: TortieConfig,
    network: string,
    rec: Pick<AttachmentRecord, "containerId" | "ifname" | "hostVeth"> & { netns: string },
    call: IpamCall,
    errors: unknown[],
  ): Promise<void> {
    const step = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    await step(() => deps.dataplane.remove(rec.hostVeth));
    await step(() => deps.ipam(cfg).del(call));
    await step(() => deps.endpoints(cfg)?.delete(node(cfg), network, rec.containerId, rec.ifname));
    if (errors.length === 0) deps.records(cfg).delete(network, rec.containerId, rec.ifname);
  }

  /** The IPAM call for a request; a delegated plugin's stderr goes to the log file too. */
  const ipamCall = (
    req: { env: AttachmentRequest["env"]; stdin: string; path: readonly string[] },
    cfg?: TortieConfig,
  ): IpamCall => {
    const file = cfg?.logFile;
    const log = deps.log;
    return {
      env: req.env,
      stdin: req.stdin,
      path: req.path,
      ...(file && log
        ? {
            stderr: (t: string) => {
              process.stderr.write(t);
              log(file, `ipam ${cfg.ipamType}: ${t.trimEnd()}`);
            },
          }
        : {}),
    };
  };

  const lockFor = (
    cfg: TortieConfig,
    req: AttachmentRequest,
    kind: "add" | "del" | "other",
  ): Promise<AttachmentLock> =>
    deps.locks
      ? deps.locks(cfg).lock(req.config.name, req.containerId, req.ifname, kind)
      : Promise.resolve(noLock);

  async function addLocked(
    cfg: TortieConfig,
    req: AttachmentRequest,
    lock: AttachmentLock,
  ): Promise<Result> {
    const superseded = () =>
      new CniError(
        TortieErrorCode.Superseded,
        req.signal?.aborted
          ? "the ADD was cancelled: its caller went away"
          : "a DEL of this attachment arrived after the ADD was invoked",
      );
    const gone = () =>
      lock.delWaiting() ||
      req.signal?.aborted === true ||
      (req.startedAt !== undefined && lock.deletedSince(req.startedAt));
    if (gone()) throw superseded();
    const labels = podLabels(req.args);
    const network = req.config.name;
    const records = deps.records(cfg);
    const earlier = records.get(network, req.containerId, req.ifname);
    if (earlier?.phase === "added") {
      throw new CniError(
        TortieErrorCode.InterfaceExists,
        `container ${req.containerId} already has ${req.ifname} on network ${network}`,
        "ADD twice without DEL; nothing was changed",
      );
    }
    if (earlier) {
      // an ADD of this attachment that died half-way: finish it off as DEL would
      const errors: unknown[] = [];
      await teardown(
        cfg,
        network,
        earlier,
        { env: { ...earlier.env, CNI_COMMAND: "DEL" }, stdin: earlier.stdin, path: req.path },
        errors,
      );
      if (errors.length) throw errors[0];
    }
    const hostVeth = hostVethName(
      workloadKey(req.args, req.containerId, req.ifname),
      cfg.vethPrefix,
    );
    const base: AttachmentRecord = {
      network,
      containerId: req.containerId,
      ifname: req.ifname,
      netns: req.netns,
      hostVeth,
      phase: "adding",
      ips: [],
      env: Object.fromEntries(
        Object.entries(req.env).filter(
          (e): e is [string, string] => e[0].startsWith("CNI_") && e[1] !== undefined,
        ),
      ),
      stdin: req.stdin,
    };
    records.put(base);
    const call = ipamCall(req, cfg);
    let ipamResult: Result;
    try {
      ipamResult = await deps.ipam(cfg).add(call);
    } catch (e) {
      // SPEC.md section 4: a failed delegated ADD is followed by DEL
      await deps
        .ipam(cfg)
        .del(call)
        .catch(() => undefined);
      records.delete(network, req.containerId, req.ifname);
      throw e;
    }
    let vethMine = false;
    try {
      if (!ipamResult.ips?.length) {
        throw new CniError(TortieErrorCode.Ipam, `IPAM (${cfg.ipamType}) returned no address`);
      }
      const plan = planPod({
        hostVeth,
        podIfname: req.ifname,
        netns: req.netns,
        mtu: cfg.mtu,
        addresses: podAddresses(ipamResult.ips),
      });
      let podMac: string | undefined;
      try {
        // create() removes what it made itself when it fails
        ({ podMac } = await deps.dataplane.create(plan));
        vethMine = true;
      } catch (e) {
        if (e instanceof CniError) throw e;
        const msg = (e as Error).message;
        if (/EEXIST/.test(msg) && !/route/.test(msg)) {
          throw new CniError(
            TortieErrorCode.InterfaceExists,
            `interface ${req.ifname} already exists in ${req.netns}`,
            msg,
          );
        }
        throw new CniError(TortieErrorCode.Dataplane, "setting up the pod's interface failed", msg);
      }
      const ips = plan.addresses.map((a) => a.cidr);
      const ep: WorkloadEndpoint = {
        node: node(cfg),
        network,
        containerId: req.containerId,
        ifname: req.ifname,
        hostInterface: hostVeth,
        mac: podMac ?? "",
        ipNetworks: ips,
        ...(req.args.K8S_POD_NAMESPACE ? { namespace: req.args.K8S_POD_NAMESPACE } : {}),
        ...(req.args.K8S_POD_NAME ? { pod: req.args.K8S_POD_NAME } : {}),
        labels,
      };
      try {
        await deps.endpoints(cfg)?.put(ep);
      } catch (e) {
        throw new CniError(
          TortieErrorCode.Datastore,
          "writing the workload endpoint failed",
          (e as Error).message,
        );
      }
      if (gone()) throw superseded();
      records.put({ ...base, phase: "added", ips });
      return resultFor(plan, podMac, req.config.cniVersion, req.config.dns ?? ipamResult.dns);
    } catch (e) {
      const errors: unknown[] = [];
      const step = async (f: () => unknown) => {
        try {
          await f();
        } catch (x) {
          errors.push(x);
        }
      };
      if (vethMine) await step(() => deps.dataplane.remove(hostVeth));
      await step(() => deps.ipam(cfg).del(call));
      await step(() =>
        deps.endpoints(cfg)?.delete(node(cfg), network, req.containerId, req.ifname),
      );
      // a record stays (phase "adding") when undoing failed: DEL or GC finish the job
      if (errors.length === 0) records.delete(network, req.containerId, req.ifname);
      throw e;
    }
  }

  return {
    supportedVersions: SUPPORTED_VERSIONS,

    async add(req: AttachmentRequest): Promise<Result> {
      const cfg = parseTortieConfig(req.config);
      if (!deps.dataplane.netnsExists(req.netns)) {
        throw new CniError(
          ErrorCode.UnknownContainer,
          `network namespace ${req.netns} does not exist`,
        );
      }
      const lock = await lockFor(cfg, req, "add");
      try {
        return await addLocked(cfg, req, lock);
      } finally {
        lock.release();
      }
    },

    async del(req: AttachmentRequest): Promise<void> {
      const cfg = parseTortieConfig(req.config);
      {
        const network = req.config.name;
        const lock = await lockFor(cfg, req, "del");
        try {
          const rec = deps.records(cfg).get(network, req.containerId, req.ifname);
          const hostVeth =
            rec?.hostVeth ??
            hostVethName(workloadKey(req.args, req.containerId, req.ifname), cfg.vethPrefix);
          const errors: unknown[] = [];
          await teardown(
            cfg,
            network,
            { containerId: req.containerId, ifname: req.ifname, hostVeth, netns: req.netns },
            ipamCall(req, cfg),
            errors,
          );
          if (errors.length) throw errors[0];
        } finally {
          lock.release();
        }
      }
    },

    async check(req: AttachmentRequest): Promise<void> {
      const cfg = parseTortieConfig(req.config);
      const lock = await lockFor(cfg, req, "other");
      try {
        await checkLocked(cfg, req);
      } finally {
        lock.release();
      }
    },

    async gc(req: GcRequest): Promise<void> {
      await gcAll(req);
    },

    async status(req: StatusRequest): Promise<void> {
      await statusOf(req);
    },
  };

  async function checkLocked(cfg: TortieConfig, req: AttachmentRequest): Promise<void> {
    {
      const prev = req.config.prevResult;
      if (!prev) throw new CniError(ErrorCode.InvalidNetworkConfig, "CHECK needs prevResult");
      const ifaces = prev.interfaces ?? [];
      const podIdx = ifaces.findIndex((i) => i.name === req.ifname && i.sandbox === req.netns);
      const host = ifaces.find((i) => !i.sandbox);
      if (podIdx < 0 || !host) {
        throw new CniError(
          TortieErrorCode.CheckFailed,
          `prevResult has no interface ${req.ifname} in ${req.netns} and no host interface`,
        );
      }
      const ips = (prev.ips ?? []).filter((i) => i.interface === podIdx).map((i) => i.address);
      const seen = await deps.dataplane.inspect(host.name, req.netns, req.ifname);
      const problems = checkProblems({ hostVeth: host.name, ips, mtu: cfg.mtu }, seen);
      if (problems.length) {
        throw new CniError(TortieErrorCode.CheckFailed, problems[0]!, problems.join("; "));
      }
      await deps.ipam(cfg).check(ipamCall(req));
    }
  }

  async function gcAll(req: GcRequest): Promise<void> {
    {
      const cfg = parseTortieConfig(req.config);
      const network = req.config.name;
      const valid = new Set(req.validAttachments.map((a) => `${a.containerID}\u0000${a.ifname}`));
      const errors: unknown[] = [];
      for (const rec of deps.records(cfg).list(network)) {
        if (valid.has(`${rec.containerId}\u0000${rec.ifname}`)) continue;
        const lock = deps.locks
          ? await deps.locks(cfg).lock(network, rec.containerId, rec.ifname, "del")
          : noLock;
        try {
          // re-read under the lock; replay DEL to IPAM with the ADD's own parameters
          const now = deps.records(cfg).get(network, rec.containerId, rec.ifname);
          if (!now) continue;
          await teardown(
            cfg,
            network,
            now,
            { env: { ...now.env, CNI_COMMAND: "DEL" }, stdin: now.stdin, path: req.path },
            errors,
          );
        } finally {
          lock.release();
        }
      }
      try {
        await deps.ipam(cfg).gc(ipamCall(req));
      } catch (e) {
        errors.push(e);
      }
      if (errors.length) {
        const first = errors[0];
        throw first instanceof CniError
          ? first
          : new CniError(
              TortieErrorCode.Dataplane,
              "GC failed",
              errors.map((e) => String(e)).join("; "),
            );
      }
    }
  }

  async function statusOf(req: StatusRequest): Promise<void> {
    {
      const cfg = parseTortieConfig(req.config);
      const ep = deps.endpoints(cfg);
      if (ep) {
        try {
          await ep.ping();
        } catch (e) {
          throw new CniError(
            ErrorCode.PluginNotAvailable,
            "the datastore is not reachable",
            (e as Error).message,
          );
        }
      }
      try {
        await deps.ipam(cfg).status(ipamCall(req));
      } catch (e) {
        if (e instanceof CniError && (e.code === 50 || e.code === 51)) throw e;
        throw new CniError(
          ErrorCode.PluginNotAvailable,
          "IPAM is not available",
          (e as Error).message,
        );
      }
    }
  }
}
