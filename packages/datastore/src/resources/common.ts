// Schema pieces shared by the resource kinds: object metadata, addresses,
// ports, selectors, Kubernetes label selectors.
import { z } from "zod";

/** Kubernetes ObjectMeta: name required; other server-set fields kept as they are. */
export const objectMeta = z.looseObject({
  name: z
    .string()
    .min(1)
    .max(253)
    .regex(
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      "must be a DNS-1123 subdomain (lower case, digits, '-', '.')",
    ),
  namespace: z.string().min(1).max(63).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
});

/** An IPv4 or IPv6 CIDR. */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], {
  error: "must be an IPv4 or IPv6 CIDR such as 192.0.2.0/24",
});

/** An IPv4 or IPv6 address. */
export const ip = z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" });

/** A CIDR or a bare address (Calico accepts both in `nets`). */
export const ipOrCidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], {
  error: "must be an IP address or CIDR",
});

/** A Calico selector expression (parsed by @tortie/selector; kept as text here). */
export const selector = z.string().max(4096);

/** A port: a number, a "from:to" range, or a named port. */
export const port = z.union([
  z.number().int().min(0).max(65535),
  z
    .string()
    .regex(
      /^(\d{1,5}:\d{1,5}|[a-zA-Z][-a-zA-Z0-9]{0,14}|\d{1,5})$/,
      "must be a port, a range such as 8000:8080, or a port name",
    ),
]);

/** A protocol by name or number. */
export const protocol = z.union([
  z.enum(["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"]),
  z.number().int().min(1).max(255),
]);

/** An AS number (plain or dotted notation). */
export const asNumber = z.union([
  z.number().int().min(0).max(4294967295),
  z.string().regex(/^\d+(\.\d+)?$/, "must be an AS number such as 64512 or 1.10"),
]);

/** A reference to a Kubernetes secret key. */
export const secretKeyRef = z.strictObject({
  secretKeyRef: z.strictObject({
    name: z.string(),
    key: z.string(),
    optional: z.boolean().optional(),
  }),
});

/** Kubernetes LabelSelector. */
export const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
