// The Tortie CNI plugin (`type: tortie`): a veth per pod with host prefixes,
// a proxy-ARP gateway and host routes that the node agent announces — the
// shape of Calico's plugin — over injected edges (kernel, IPAM, records,
// workload endpoints), so that its ordering and roll-back are unit-tested.
//
//   ADD    record(adding) → IPAM ADD → veth + addresses + routes → endpoint
//          → record(added) → result.  Any failure after IPAM: remove the veth,
//          IPAM DEL, delete endpoint and record, then report the error.
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
}

const ipamCall = (req: {
  env: AttachmentRequest["env"];
  stdin: string;
  path: readonly string[];
}): IpamCall => ({
  env: req.env,
  stdin: req.stdin,
  path: req.path,
});

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
      const labels = podLabels(req.args);
      const hostVeth = hostVethName(
        workloadKey(req.args, req.containerId, req.ifname),
        cfg.vethPrefix,
      );
      const network = req.config.name;
      const records = deps.records(cfg);
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
      const call = ipamCall(req);
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
          ({ podMac } = await deps.dataplane.create(plan));
        } catch (e) {
          if (e instanceof CniError) throw e;
          const msg = (e as Error).message;
          if (/EEXIST/.test(msg) && !/route/.test(msg)) {
            throw new CniError(
              TortieErrorCode.InterfaceExists,
              `interface ${req.ifname} or ${hostVeth} already exists`,
              msg,
            );
          }
          throw new CniError(
            TortieErrorCode.Dataplane,
            "setting up the pod's interface failed",
            msg,
          );
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
        records.put({ ...base, phase: "added", ips });
        return resultFor(plan, podMac, req.config.cniVersion, req.config.dns ?? ipamResult.dns);
      } catch (e) {
        const errors: unknown[] = [];
        await teardown(cfg, network, base, call, errors);
        throw e;
      }
    },

    async del(req: AttachmentRequest): Promise<void> {
      const cfg = parseTortieConfig(req.config);
      const network = req.config.name;
      const rec = deps.records(cfg).get(network, req.containerId, req.ifname);
      const hostVeth =
        rec?.hostVeth ??
        hostVethName(workloadKey(req.args, req.containerId, req.ifname), cfg.vethPrefix);
      const errors: unknown[] = [];
      await teardown(
        cfg,
        network,
        { containerId: req.containerId, ifname: req.ifname, hostVeth, netns: req.netns },
        ipamCall(req),
        errors,
      );
      if (errors.length) throw errors[0];
    },

    async check(req: AttachmentRequest): Promise<void> {
      const cfg = parseTortieConfig(req.config);
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
    },

    async gc(req: GcRequest): Promise<void> {
      const cfg = parseTortieConfig(req.config);
      const network = req.config.name;
      const valid = new Set(req.validAttachments.map((a) => `${a.containerID}\u0000${a.ifname}`));
      const errors: unknown[] = [];
      for (const rec of deps.records(cfg).list(network)) {
        if (valid.has(`${rec.containerId}\u0000${rec.ifname}`)) continue;
        // replay DEL to IPAM with the ADD's own parameters
        await teardown(
          cfg,
          network,
          rec,
          { env: { ...rec.env, CNI_COMMAND: "DEL" }, stdin: rec.stdin, path: req.path },
          errors,
        );
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
    },

    async status(req: StatusRequest): Promise<void> {
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
    },
  };
}
