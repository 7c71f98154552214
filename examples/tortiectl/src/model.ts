// The resource model tortiectl works on, in one room: how kinds are named on
// the command line, how users' files are read, and the typed client over the
// datastore. Everything else in tortiectl goes through this file.
import {
  describeResource,
  kindInfo,
  parseResources,
  type Resource,
  ResourceClient,
  ResourceValidationError,
  type UnusedFieldNotice,
} from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { parseAllDocuments } from "yaml";
import { CommandError, UsageError } from "./errors.js";
import { closest } from "./suggest.js";

export type { Resource };

/** A kind as the command line knows it. */
export interface KindMeta {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Other names calicoctl users type (lower case). */
  readonly aliases: readonly string[];
}

const V3 = "projectcalico.org/v3";

// The kinds tortiectl handles, with calicoctl's and kubectl's usual short names.
const TABLE: readonly [string, string, readonly string[]][] = [
  [V3, "IPPool", ["ippool", "ippools", "ipp", "pool", "pools"]],
  [V3, "IPReservation", ["ipreservation", "ipreservations"]],
  [V3, "IPAMConfiguration", ["ipamconfiguration", "ipamconfigurations", "ipamconfig"]],
  [V3, "BGPConfiguration", ["bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"]],
  [V3, "BGPPeer", ["bgppeer", "bgppeers", "bgpp", "peer", "peers"]],
  [V3, "BGPFilter", ["bgpfilter", "bgpfilters"]],
  [V3, "Node", ["node", "nodes", "no"]],
  [V3, "GlobalNetworkPolicy", ["globalnetworkpolicy", "globalnetworkpolicies", "gnp"]],
  [V3, "NetworkPolicy", ["networkpolicy", "networkpolicies", "np", "policy", "policies"]],
  [V3, "Tier", ["tier", "tiers"]],
  [V3, "GlobalNetworkSet", ["globalnetworkset", "globalnetworksets", "gns"]],
  [V3, "NetworkSet", ["networkset", "networksets", "ns"]],
  [V3, "HostEndpoint", ["hostendpoint", "hostendpoints", "hep", "heps"]],
  [V3, "WorkloadEndpoint", ["workloadendpoint", "workloadendpoints", "wep", "weps"]],
  [V3, "Profile", ["profile", "profiles", "pro"]],
  [V3, "FelixConfiguration", ["felixconfiguration", "felixconfigurations", "felixconfig"]],
  [V3, "KubeControllersConfiguration", ["kubecontrollersconfiguration", "kubecontrollersconfig"]],
  [V3, "ClusterInformation", ["clusterinformation", "clusterinfo"]],
  ["networking.k8s.io/v1", "NetworkPolicy", ["k8snetworkpolicy", "netpol", "k8snetpol"]],
];

/** The kinds this build of tortiectl can store (those the model validates). */
export function knownKinds(): KindMeta[] {
  const out: KindMeta[] = [];
  for (const [apiVersion, kind, aliases] of TABLE) {
    const info = kindInfo(apiVersion, kind);
    if (info)
      out.push({ apiVersion, kind, plural: info.plural, namespaced: info.namespaced, aliases });
  }
  return out;
}

/** Resolves a kind typed on the command line (`ippool`, `IPPools`, `gnp`). */
export function resolveKind(word: string): KindMeta {
  const w = word.toLowerCase();
  const kinds = knownKinds();
  const hit = kinds.find((k) => k.kind.toLowerCase() === w || k.aliases.includes(w));
  if (hit) return hit;
  const c = closest(
    w,
    kinds.flatMap((k) => [k.kind, ...k.aliases]),
  );
  throw new UsageError(`unknown resource kind "${word}"${c ? ` (did you mean "${c}"?)` : ""}`);
}

/** A resource read from a user's file, with where it came from. */
export interface LoadedResource {
  readonly resource: Resource;
  /** `pool.yaml#2` — the file and document number (1-based). */
  readonly where: string;
  /** Fields Calico accepts that Tortie keeps but does not act on. */
  readonly unused: readonly UnusedFieldNotice[];
}

/** Reads every resource of a file's text; errors name the file and document. */
export function loadFile(text: string, source: string): LoadedResource[] {
  // One parse of the whole file; only when it fails is the file read again
  // document by document, so that the error names its place in the file.
  let whole: ReturnType<typeof parseResources> | undefined;
  try {
    whole = parseResources(text);
  } catch {
    whole = undefined;
  }
  if (whole) {
    const unusedOf = new Map<string, UnusedFieldNotice[]>();
    for (const u of whole.unused) {
      const list = unusedOf.get(u.resource);
      if (list) list.push(u);
      else unusedOf.set(u.resource, [u]);
    }
    return whole.resources.map((resource, i) => ({
      resource,
      where: `${source}#${whole.documents[i]}`,
      unused: unusedOf.get(describeResource(resource)) ?? [],
    }));
  }
  return loadByDocument(text, source);
}

function loadByDocument(text: string, source: string): LoadedResource[] {
  const docs = parseAllDocuments(text);
  const out: LoadedResource[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new CommandError(
        `${source}, document ${i + 1}: YAML: ${doc.errors[0]!.message.split("\n")[0]}`,
      );
    }
    if (doc.contents === null) return; // an empty document (only comments)
    let rs: ReturnType<typeof parseResources>;
    try {
      rs = parseResources(doc.toString());
    } catch (e) {
      if (e instanceof ResourceValidationError) {
        throw new CommandError(`${source}, document ${i + 1}: ${withSuggestions(e)}`);
      }
      throw new CommandError(
        `${source}, document ${i + 1}: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    for (const r of rs.resources) {
      const name = (r.metadata as { name?: string }).name;
      const unused = rs.unused.filter(
        (u) => u.resource.endsWith(` ${name}`) && u.resource.startsWith(r.kind),
      );
      out.push({ resource: r, where: `${source}#${i + 1}`, unused });
    }
  });
  return out;
}

function withSuggestions(e: ResourceValidationError): string {
  return e.issues
    .map((i) => `${e.resource}: ${i.path ? `${i.path}: ` : ""}${i.message}`)
    .join("; ");
}

/** The typed client tortiectl uses. */
export function clientOf(store: Datastore): ResourceClient {
  return new ResourceClient(store);
}

/** `metadata` of any resource. */
export function metaOf(r: Resource): {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
} {
  return r.metadata as never;
}
