// FQDN capability, code 73 (draft-walton-bgp-hostname-capability §2):
//
//   +--------------------------------+
//   | Hostname Length (1 octet)      |
//   | Hostname (variable, UTF-8)     |
//   | Domain Name Length (1 octet)   |
//   | Domain Name (variable, UTF-8)  |
//   +--------------------------------+

import { CapabilityCode } from "../constants.js";
import { BgpEncodeError } from "../errors.js";
import { type CapabilityDescriptor, capabilityError } from "./descriptor.js";

const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();

/** The sender's host and domain name (as FRR announces them). */
export interface FqdnCapability {
  readonly type: "fqdn";
  /** Host name. */
  readonly hostname: string;
  /** Domain name (often empty). */
  readonly domain: string;
}

/** Codec of the FQDN capability. */
export const fqdn: CapabilityDescriptor<FqdnCapability> = {
  code: CapabilityCode.Fqdn,
  type: "fqdn",
  decode(b, start, end) {
    const hl = b[start];
    if (hl === undefined || start + 1 + hl + 1 > end)
      throw capabilityError("FQDN", "hostname overruns");
    const hostname = utf8.decode(b.subarray(start + 1, start + 1 + hl));
    const dAt = start + 1 + hl;
    const dl = b[dAt]!;
    if (dAt + 1 + dl !== end) throw capabilityError("FQDN", "domain length mismatch");
    const domain = utf8.decode(b.subarray(dAt + 1, end));
    return { type: "fqdn", hostname, domain };
  },
  encode(cap, w) {
    const h = toUtf8.encode(cap.hostname);
    const d = toUtf8.encode(cap.domain);
    if (h.length > 255 || d.length > 255)
      throw new BgpEncodeError("FQDN name longer than 255 octets");
    w.u8(h.length);
    w.bytes(h);
    w.u8(d.length);
    w.bytes(d);
  },
};
