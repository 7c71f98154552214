// The wire format between the `tortie` shim and the resident helper (pure).
//
// Node's start-up (~60 ms) is several times a whole ptp + host-local ADD, so
// the plugin executable is a bash shim that hands each call to a resident
// helper over loopback TCP (bash's /dev/tcp; no other tools), authenticated by
// a token in a root-only file. Request, then response, then close:
//
//   "TORTIE-CNI 1\n"            magic and version
//   token "\n"                  from <runDir>/token (0600)
//   byte length of stdin "\n"
//   "CNI_COMMAND=ADD\n"         every CNI_* variable, one per line
//   …
//   "\n"                        end of the environment
//   stdin bytes                 the configuration
//
//   exit code "\n" stdout bytes       (response)
//   "R\n"                              (response to a stale token: run in Node)

/** The first line of a request. */
export const HELPER_MAGIC = "TORTIE-CNI 1";

/** A decoded request. */
export interface HelperRequest {
  readonly token: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

/** A malformed request. */
export class HelperProtocolError extends Error {
  override readonly name = "HelperProtocolError";
}

const NL = 0x0a;

/**
 * Tries to decode a request from the bytes received so far: undefined while
 * incomplete, the request once whole; throws HelperProtocolError when the
 * bytes cannot be a request.
 */
export function decodeRequest(buf: Uint8Array): HelperRequest | undefined {
  const lines: string[] = [];
  let pos = 0;
  const dec = new TextDecoder();
  // header: magic, token, length, env lines…, empty line
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) {
      if (buf.length - pos > 65536) throw new HelperProtocolError("header too long");
      return undefined;
    }
    const line = dec.decode(buf.subarray(pos, nl));
    pos = nl + 1;
    if (lines.length === 0 && line !== HELPER_MAGIC) throw new HelperProtocolError("bad magic");
    if (lines.length >= 3 && line === "") break;
    lines.push(line);
    if (lines.length > 64) throw new HelperProtocolError("too many header lines");
  }
  const [, token = "", lenText = ""] = lines;
  if (!/^\d{1,9}$/.test(lenText)) throw new HelperProtocolError("bad length");
  const len = Number(lenText);
  if (buf.length - pos < len) return undefined;
  if (buf.length - pos > len) throw new HelperProtocolError("trailing bytes");
  const env: Record<string, string> = {};
  for (const l of lines.slice(3)) {
    const eq = l.indexOf("=");
    if (eq <= 0 || !l.startsWith("CNI_")) throw new HelperProtocolError(`bad variable line "${l}"`);
    env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return { token, env, stdin: dec.decode(buf.subarray(pos, pos + len)) };
}

/** Encodes a request (what the shim sends; used by tests and non-bash clients). */
export function encodeRequest(r: HelperRequest): Uint8Array {
  const body = new TextEncoder().encode(r.stdin);
  const env = Object.entries(r.env)
    .filter(([k, v]) => k.startsWith("CNI_") && !v.includes("\n"))
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
  const head = new TextEncoder().encode(`${HELPER_MAGIC}\n${r.token}\n${body.length}\n${env}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Encodes the response. */
export function encodeResponse(code: number, stdout: string): string {
  return `${code}\n${stdout}`;
}
