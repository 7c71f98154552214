// A worker thread that deletes links (`ip link del`) for the resident helper.
// The kernel handles RTM_DELLINK inside sendto(2), and removing a veth waits
// for the network stack to let go of it (~30 ms); on the helper's main thread
// those waits would queue one behind the other, so concurrent DELs are spread
// over a few of these workers, each with its own rtnetlink socket.

import { parentPort } from "node:worker_threads";
import { Netlink, NetlinkError } from "@tortie/netlink";

/** A deletion request. */
export interface UnlinkRequest {
  readonly id: number;
  readonly name: string;
}

/** Its answer: removed, absent, or an error message. */
export interface UnlinkReply {
  readonly id: number;
  readonly removed: boolean;
  readonly error?: string;
}

const port = parentPort;
if (port) {
  const nl = Netlink.open();
  port.on("message", async (m: UnlinkRequest) => {
    let reply: UnlinkReply;
    try {
      await (await nl).links.delete(m.name);
      reply = { id: m.id, removed: true };
    } catch (e) {
      const absent = e instanceof NetlinkError && (e.code === "ENODEV" || e.code === "ENOENT");
      reply = absent
        ? { id: m.id, removed: false }
        : { id: m.id, removed: false, error: String(e) };
    }
    port.postMessage(reply);
  });
}
