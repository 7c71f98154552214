// rtnetlink multicast notifications as an async stream: a socket that joined
// groups (RTNLGRP_LINK, _IPV4_ROUTE, …) and yields every message the kernel
// broadcasts. Nothing blocks: an idle stream checks its socket on a timer
// backing off to `maxPollMs` (default 20 ms, the worst added latency of an
// event), and close() ends a pending iteration at the next check.
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
  private constructor(
    private readonly sock: NetlinkSocket,
    private readonly maxPollMs: number,
  ) {}

  /** Joins `groups` in `netns` (`ip monitor link address route neigh`). */
  static open(netns: Netns, groups: readonly RtnlGroupName[], maxPollMs = 20): EventStream {
    return new EventStream(
      NetlinkSocket.open({ netns, groups: groups.map((g) => RtnlGroup[g]) }),
      maxPollMs,
    );
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
        if (!(await this.sock.readable(-1, this.maxPollMs))) {
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
