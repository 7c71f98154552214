// IPAM kinds: IPPool, IPReservation, IPAMConfiguration, BlockAffinity
// (api/pkg/apis/projectcalico/v3 ippool.go, ipreservation.go, ipamconfig.go,
// blockaffinity.go), with the defaults Calico's client applies
// (libcalico-go `lib/clientv3/ippool.go`): blockSize 26 / 122, nodeSelector
// all(), allowedUses [Workload, Tunnel], modes Never, assignmentMode Automatic.
import { z } from "zod";
import { cidr, familyOf, ipOrCidr, selector } from "../schema/common.js";
import { obj } from "../schema/object.js";

const encapMode = z.enum(["Never", "Always", "CrossSubnet"]);

/** IPPool spec. Tortie does no encapsulation or NAT, so those fields are kept but unused. */
export const ipPoolSpec = obj(
  {
    cidr,
    blockSize: z.number().int().optional(),
    disabled: z.boolean().default(false),
    disableBGPExport: z.boolean().default(false),
    nodeSelector: selector.default("all()"),
    allowedUses: z
      .array(z.enum(["Workload", "Tunnel", "LoadBalancer"]))
      .default(["Workload", "Tunnel"]),
    assignmentMode: z.enum(["Automatic", "Manual"]).default("Automatic"),
  },
  {
    ipipMode: encapMode.default("Never"),
    vxlanMode: encapMode.default("Never"),
    natOutgoing: z.boolean().default(false),
    namespaceSelector: selector.optional(),
    // v1-era fields that old manifests still carry.
    ipip: obj({ enabled: z.boolean().optional(), mode: z.string().optional() }).optional(),
    "nat-outgoing": z.boolean().optional(),
  },
)
  .transform((s) => ({ ...s, blockSize: s.blockSize ?? (familyOf(s.cidr) === 6 ? 122 : 26) }))
  .superRefine((s, ctx) => {
    const v6 = familyOf(s.cidr) === 6;
    const [lo, hi] = v6 ? [116, 128] : [20, 32];
    if (s.blockSize < lo || s.blockSize > hi) {
      ctx.addIssue({
        code: "custom",
        path: ["blockSize"],
        message: `must be between ${lo} and ${hi} for this pool's family, got ${s.blockSize}`,
      });
    }
    const prefix = Number(s.cidr.split("/")[1]);
    if (s.blockSize < prefix) {
      ctx.addIssue({
        code: "custom",
        path: ["blockSize"],
        message: `a /${s.blockSize} block is larger than the pool ${s.cidr}`,
      });
    }
    if (s.ipipMode !== "Never" && v6) {
      ctx.addIssue({
        code: "custom",
        path: ["ipipMode"],
        message: "IPIP is not supported on IPv6 pools",
      });
    }
    if (s.ipipMode !== "Never" && s.vxlanMode !== "Never") {
      ctx.addIssue({
        code: "custom",
        path: ["vxlanMode"],
        message: "cannot enable both IPIP and VXLAN",
      });
    }
  });

/** IPReservation spec: addresses IPAM never hands out. */
export const ipReservationSpec = obj({ reservedCIDRs: z.array(ipOrCidr).default([]) });

/** IPAMConfiguration spec (one object, named "default"). */
export const ipamConfigurationSpec = obj(
  {
    strictAffinity: z.boolean().default(false),
    maxBlocksPerHost: z.number().int().min(0).default(0),
    autoAllocateBlocks: z.boolean().default(true),
  },
  {
    kubeVirtVMAddressPersistence: z.enum(["Enabled", "Disabled"]).optional(),
    ipCooldownSeconds: z.number().int().min(0).optional(),
  },
);

/** BlockAffinity spec: a block claimed by a node (written by IPAM). */
export const blockAffinitySpec = obj({
  state: z.enum(["confirmed", "pending", "pendingDeletion"]),
  node: z.string().min(1),
  type: z.string().optional(),
  cidr,
  deleted: z.union([z.boolean(), z.string()]).default(false),
});
