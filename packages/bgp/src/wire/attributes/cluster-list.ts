// CLUSTER_LIST, type 10, optional non-transitive (RFC 4456 §8): the
// CLUSTER_IDs of the reflection path, 4 octets each. Malformed →
// treat-as-withdraw (RFC 7606 §7.10).
import { formatIpv4, parseIpv4 } from "../address.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectMultiple } from "./descriptor.js";

/** CLUSTER_LIST path attribute. */
export interface ClusterListAttribute extends AttributeBase {
  readonly type: "cluster-list";
  /** CLUSTER_IDs as IPv4 text, most recent first. */
  readonly clusterIds: readonly string[];
}

/** Codec of CLUSTER_LIST. */
export const clusterList: AttributeDescriptor<ClusterListAttribute> = {
  code: AttrType.ClusterList,
  type: "cluster-list",
  flags: 0x80,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectMultiple("CLUSTER_LIST", start, end, 4);
    const ids: string[] = [];
    for (let i = start; i < end; i += 4) ids.push(formatIpv4(b, i));
    return { type: "cluster-list", clusterIds: ids };
  },
  encode(attr, w) {
    for (const id of attr.clusterIds) w.bytes(parseIpv4(id));
  },
};
