/**
 * @tortie/netlink — rtnetlink in TypeScript: links, addresses, routes,
 * neighbours, network namespaces, and a route reconciler.
 *
 * Files:
 * - `wire/`        the pure codec (no I/O), host byte order, 4-byte alignment:
 *   - `constants.ts` code points (NLM_F_*, RTM_*, IFLA_*, RTA_*, RTN_*, …)
 *   - `bytes.ts`     Writer and attribute iterator (struct nlattr)
 *   - `header.ts`    nlmsghdr framing, NLMSG_DONE, NLMSG_ERROR + extended ACK
 *   - `link.ts`      ifinfomsg + IFLA_* (veth peer, bridge, dummy, vxlan)
 *   - `address.ts`   ifaddrmsg + IFA_*
 *   - `route.ts`     rtmsg + RTA_* (multipath, via)
 *   - `neighbour.ts` ndmsg + NDA_*
 *   - `message.ts`   the Message union, decodeMessages / encodeMessage
 *   - `ip.ts`        address, prefix and MAC text forms
 *   - `errors.ts`    NetlinkDecodeError, NetlinkInputError
 * - `socket/`      the edge: AF_NETLINK through koffi
 *   - `libc.ts`       the bound syscalls
 *   - `socket.ts`     NetlinkSocket: non-blocking recv, poll off the main thread
 *   - `connection.ts` requests, dumps, batches, sequence numbers, typed errors
 *   - `events.ts`     multicast notifications as an async stream
 *   - `netns.ts`      namespace handles, setns, create/delete, sysctls
 * - `ops/`         operations, each documented as its `ip` equivalent
 * - `netlink.ts`   `Netlink.open({ netns })`: the client
 * - `reconcile/`   route reconciler
 *   - `desired.ts`    desired routes by source, conflicts resolved by priority (pure)
 *   - `plan.ts`       the diff: desired vs kernel, grace period (pure)
 *   - `cache.ts`      the reconciler's picture of the kernel (pure)
 *   - `reconciler.ts` RouteReconciler: dumps, notifications, timers, retries
 * - `errors.ts`    NetlinkError (errno name + kernel text), NetlinkSocketError
 */

export * from "./errors.js";
export * from "./netlink.js";
export * from "./ops/addresses.js";
export * from "./ops/common.js";
export * from "./ops/links.js";
export * from "./ops/neighbours.js";
export * from "./ops/routes.js";
export * from "./reconcile/cache.js";
export * from "./reconcile/desired.js";
export * from "./reconcile/plan.js";
export * from "./reconcile/reconciler.js";
export * from "./socket/connection.js";
export * from "./socket/events.js";
export * from "./socket/netns.js";
export * from "./socket/socket.js";
export * from "./wire/address.js";
export * from "./wire/bytes.js";
export * from "./wire/constants.js";
export * from "./wire/errors.js";
export * from "./wire/header.js";
export * from "./wire/ip.js";
export * from "./wire/link.js";
export * from "./wire/message.js";
export * from "./wire/neighbour.js";
export * from "./wire/route.js";
