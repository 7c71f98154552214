// The codec context two OPENs imply: 4-octet AS when both announce it
// (RFC 6793 §4), Extended Message when both do (RFC 8654 §3), and ADD-PATH
// per family where one side may send and the other receive (RFC 7911 §4).
import type { AddPathCapability } from "../capabilities/add-path.js";
import { AddPathMode } from "../constants.js";
import type { CodecContext, Family } from "../context.js";
import type { OpenMessage } from "./open.js";

function addPathModes(open: OpenMessage): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of open.capabilities) {
    if (c.type === "add-path") {
      for (const f of (c as AddPathCapability).families) m.set(`${f.afi}/${f.safi}`, f.mode);
    }
  }
  return m;
}

/** The context for a session where we sent `local` and received `remote`. */
export function negotiateContext(local: OpenMessage, remote: OpenMessage): CodecContext {
  const has = (o: OpenMessage, type: string) => o.capabilities.some((c) => c.type === type);
  const mine = addPathModes(local);
  const theirs = addPathModes(remote);
  const receive: Family[] = [];
  const send: Family[] = [];
  for (const [key, m] of mine) {
    const t = theirs.get(key);
    if (t === undefined) continue;
    const [afi, safi] = key.split("/").map(Number) as [number, number];
    if (m & AddPathMode.Receive && t & AddPathMode.Send) receive.push({ afi, safi });
    if (m & AddPathMode.Send && t & AddPathMode.Receive) send.push({ afi, safi });
  }
  return {
    fourOctetAs: has(local, "four-octet-as") && has(remote, "four-octet-as"),
    extendedMessage: has(local, "extended-message") && has(remote, "extended-message"),
    addPath: { receive, send },
  };
}
