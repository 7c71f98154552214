// Schema parts every kind shares: Kubernetes ObjectMeta, selectors checked by
// @tortie/selector (errors carry the position inside the selector), addresses,
// ports, protocols, AS numbers, durations and interface names, with the
// rules of Calico's validator (libcalico-go `lib/validator/v3`).
import {
  LabelSelectorError,
  labelSelectorAst,
  parseSelector,
  SelectorParseError,
} from "@tortie/selector";
import { z } from "zod";
import { PortError, parsePort } from "../values/ports.js";
import { protocolNumber } from "../values/protocol.js";
import { obj } from "./object.js";

/** A Kubernetes name (DNS-1123 subdomain: lower case, digits, '-', '.'; at most 253). */
export const name = z
  .string()
  .min(1, "must not be empty")
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    "must be a DNS-1123 subdomain (lower case letters, digits, '-', '.')",
  );

/** Labels or annotations. */
export const stringMap = z.record(z.string(), z.string());

/**
 * ObjectMeta. `name`, `namespace`, `labels` and `annotations` are what Tortie
 * reads; the fields the Kubernetes API server adds (`uid`, `resourceVersion`,
 * `creationTimestamp`, `generation`, `managedFields`, …) are kept as written
 * and not reported: they are bookkeeping, not configuration.
 */
export const objectMeta = obj({
  name,
  namespace: z
    .string()
    .max(63)
    .regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      "must be a DNS-1123 label (lower case letters, digits, '-')",
    )
    .optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  generation: z.number().int().optional(),
  generateName: z.string().optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  ownerReferences: z.array(z.unknown()).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(z.unknown()).optional(),
  selfLink: z.string().optional(),
});

/** A Calico selector; parse errors carry `params.position` (0-based, in the selector text). */
export const selector = z
  .string()
  .max(4096)
  .superRefine((text, ctx) => {
    try {
      parseSelector(text);
    } catch (e) {
      if (!(e instanceof SelectorParseError)) throw e;
      ctx.addIssue({
        code: "custom",
        message: `selector: expected ${e.expected.join(" or ")}, found ${e.found}`,
        params: { position: e.position },
      });
    }
  });

/** An IPv4 or IPv6 CIDR (host bits may be set; Calico masks them). */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], {
  error: "must be an IPv4 or IPv6 CIDR such as 192.0.2.0/24",
});

/** An IPv4 or IPv6 address. */
export const ip = z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" });

/** A CIDR or a bare address (Calico accepts both in `nets`). */
export const ipOrCidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], {
  error: "must be an IP address or CIDR",
});

/** The family of an address or CIDR text. */
export const familyOf = (text: string): 4 | 6 => (text.includes(":") ? 6 : 4);

/** A port: a number, a range "from:to", or a port name (Calico numorstring.Port). */
export const port = z.union([z.number(), z.string()]).superRefine((p, ctx) => {
  try {
    parsePort(p);
  } catch (e) {
    if (!(e instanceof PortError)) throw e;
    ctx.addIssue({ code: "custom", message: e.message });
  }
});

/** A protocol by name (any case: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite) or number 1–255. */
export const protocol = z.union([z.number(), z.string()]).superRefine((p, ctx) => {
  const n = protocolNumber(p);
  if (n === undefined || n === 0) {
    ctx.addIssue({
      code: "custom",
      message: `unknown protocol ${JSON.stringify(p)} (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)`,
    });
  }
});

/** An AS number: 0–4294967295, or "asplain.asdot" notation as a string. */
export const asNumber = z.union([
  z.number().int().min(0).max(4294967295),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, "must be an AS number such as 64512 or 1.10")
    .refine((s) => {
      const [hi, lo] = s.split(".").map(Number);
      return lo === undefined ? hi! <= 4294967295 : hi! <= 65535 && lo <= 65535;
    }, "AS number out of range"),
]);

/** A Go duration as Kubernetes writes them ("90s", "1m30s", "0"). */
export const duration = z
  .string()
  .regex(
    /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/,
    "must be a duration such as 90s or 1m30s",
  );

/**
 * A Linux interface name: 1–15 bytes (IFNAMSIZ is 16 with the NUL,
 * include/uapi/linux/if.h), no '/', no whitespace, not "." or ".." (the
 * kernel's dev_valid_name). A longer name would make every nftables
 * transaction that names it fail, so it is refused when loaded.
 */
const utf8 = new TextEncoder();
export const interfaceName = z.string().superRefine((s, ctx) => {
  const bytes = utf8.encode(s).length;
  if (bytes === 0 || bytes > 15) {
    ctx.addIssue({
      code: "custom",
      message: `interface name must be 1 to 15 bytes (Linux IFNAMSIZ), got ${bytes}: ${JSON.stringify(s)}`,
    });
  } else if (s === "." || s === ".." || /[/:\s]/.test(s)) {
    ctx.addIssue({
      code: "custom",
      message: `not a valid Linux interface name: ${JSON.stringify(s)}`,
    });
  }
});

/** A reference to a key of a Kubernetes secret (BGP passwords). */
export const secretKeyRef = obj({
  secretKeyRef: obj({
    name: z.string(),
    key: z.string(),
    optional: z.boolean().optional(),
  }),
});

/**
 * Kubernetes LabelSelector (metav1.LabelSelector), with Kubernetes' rules
 * checked by @tortie/selector's conversion: In/NotIn need values,
 * Exists/DoesNotExist take none.
 */
export const labelSelector = obj({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(
      obj({
        key: z.string().min(1),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
}).superRefine((ls, ctx) => {
  try {
    labelSelectorAst(ls);
  } catch (e) {
    if (!(e instanceof LabelSelectorError)) throw e;
    ctx.addIssue({
      code: "custom",
      path: e.path
        .split(/\.|\[|\]/)
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
      message: e.message.replace(/^[^:]*: /, ""),
    });
  }
});

/** A `status` block as the API server writes it: kept as written, not read, not reported. */
export const status = z.unknown().optional();
