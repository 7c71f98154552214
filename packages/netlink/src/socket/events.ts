// rtnetlink multicast notifications as an async stream: a socket that joined
// groups (RTNLGRP_LINK, _IPV4_ROUTE, …) and yields every message the kernel
// broadcasts. Waiting happens in poll(2) on a koffi worker thread, so the
// event loop never blocks; close() wakes the wait through an eventfd.
//
// When the receive buffer overflowed the kernel drops notifications and recv
// fails with ENOBUFS: the stream then yields `{ kind: "overrun" }` — the
// consumer's view is stale and it must resync by dumping.
import { NetlinkSocketError } from "../errors.js";
import { RtnlGroup, type RtnlGroupName } from "../wire/constants.js";
import { decodeMessages, type Message } from "../wire/message.js";
import type { Netns } from "./netns.js";
import { NetlinkSocket } from "./socket.js";

/** What an event stream yields. */
export type NetlinkEvent = Message | { readonly kind: "overrun" };

const ENOBUFS = 105;

/** A subscription to rtnetlink notifications. Iterate it; close it when done. */
export class EventStream implements AsyncIterable<NetlinkEvent> {
  private constructor(private readonly sock: NetlinkSocket) {}

  /** Joins `groups` in `netns` (`ip monitor link address route neigh`). */
  static open(netns: Netns, groups: readonly RtnlGroupName[]): EventStream {
    return new EventStream(NetlinkSocket.open({ netns, groups: groups.map((g) => RtnlGroup[g]) }));
  }

  /** Yields notifications until {@link EventStream.close}. */
  async *[Symbol.asyncIterator](): AsyncIterator<NetlinkEvent> {
    while (!this.sock.isClosed) {
      let d: Uint8Array | undefined;
      try {
        d = this.sock.recv();
      } catch (e) {
        if (this.sock.isClosed) return;
        if (e instanceof NetlinkSocketError && e.errno === ENOBUFS) {
          yield { kind: "overrun" };
          continue;
        }
        throw e;
      }
      if (d === undefined) {
        if (!(await this.sock.readable())) {
          if (this.sock.isClosed) return;
        }
        continue;
      }
      for (const m of decodeMessages(d)) yield m;
    }
  }

  /** Stops the stream: a pending iteration ends. */
  close(): void {
    this.sock.close();
  }
}
