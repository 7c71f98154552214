// The wire format between the `tortie` shim (bash) and the resident helper
// (pure: bytes in, values out).
//
// Node's start-up (~60 ms) is several times a whole ptp + host-local ADD, so
// the plugin executable is a bash shim that hands each call to a resident
// helper over loopback TCP (bash's /dev/tcp: bash cannot open AF_UNIX
// sockets, and socat, nc or python are not on every node). One round trip
// and no process but bash, because under load every extra wake-up and every
// fork costs milliseconds:
//
//   shim → helper  "TORTIE-CNI 3 <build> <scope> <secret> <bodyLength>\n" <body>
//   helper → shim  "A\n"                                             (accepted: it will run)
//                  "<code> <stdoutLength> <stderrLength>\n" <stdout> <stderr>
//                | "V\n"  another build: run the call in Node
//                | "S\n"  another node scope: run the call in Node
//                | closed  wrong secret, too large, too slow
//
// Who listens is checked before anything is sent (cli/tortie.sh): the helper
// publishes, in a root-only folder, its pid and start time, the fd of its
// listening socket, that socket's inode and the port. After connecting, the
// shim requires /proc/<pid>/fdinfo/<fd> to show the same inode: while that
// listening socket exists it holds 127.0.0.1:<port> (no SO_REUSEPORT), so
// the connection can only have been accepted by it. An impostor that took
// the port after the helper died gets a connection and not one byte. The
// helper reads no body before the secret matched (cap {@link MAX_BODY}).
//
// The body is unambiguous whatever the values hold (newlines included):
// a sequence of records "<NAME> <byteLength>\n<bytes>\n", names from
// {@link REQUEST_VARIABLES} and "T0" (the shim's start, seconds with
// decimals) at most once each, the last record "STDIN".
// "A" is sent before the call starts: a shim that lost the helper before
// "A" may run the call in Node (it never ran), after "A" it must not (it
// reports code 11 instead), so no call runs twice.

/** The hello's first word and version. */
export const HELPER_MAGIC = "TORTIE-CNI 3";
/** Longest hello line (bytes, newline included). */
export const MAX_HELLO = 256;
/** Largest request body: a CNI request is a few kilobytes. */
export const MAX_BODY = 1 << 20;
/** The environment variables a request carries (SPEC.md section 2, parameters). */
export const REQUEST_VARIABLES = [
  "CNI_COMMAND",
  "CNI_CONTAINERID",
  "CNI_NETNS",
  "CNI_IFNAME",
  "CNI_ARGS",
  "CNI_PATH",
] as const;

/** A malformed or unauthenticated message. */
export class HelperProtocolError extends Error {
  override readonly name = "HelperProtocolError";
}

/** The shim's first line. */
export interface Hello {
  readonly build: string;
  readonly scope: string;
  readonly secret: string;
  /** Byte length of the body that follows. */
  readonly length: number;
}

/** A decoded request body. */
export interface HelperRequest {
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
  /** When the shim started (epoch ms), from the optional record "T0" (bash's $EPOCHREALTIME). */
  readonly t0?: number;
}

const WORD = /^[A-Za-z0-9._-]{1,64}$/;

/** Decodes the hello line (without its newline). */
export function decodeHello(line: string): Hello {
  const parts = line.split(" ");
  if (parts.length !== 6 || `${parts[0]} ${parts[1]}` !== HELPER_MAGIC)
    throw new HelperProtocolError("bad hello");
  const [, , build = "", scope = "", secret = "", len = ""] = parts;
  if (!WORD.test(build) || !WORD.test(scope) || !/^[0-9a-f]{64}$/.test(secret))
    throw new HelperProtocolError("bad hello");
  if (!/^\d{1,8}$/.test(len)) throw new HelperProtocolError("bad body length");
  const length = Number(len);
  if (length > MAX_BODY) throw new HelperProtocolError(`request larger than ${MAX_BODY} bytes`);
  return { build, scope, secret, length };
}

/** Encodes the hello (tests and Node clients; the shim prints the same). */
export function encodeHello(h: Hello): string {
  return `${HELPER_MAGIC} ${h.build} ${h.scope} ${h.secret} ${h.length}\n`;
}

const NL = 0x0a;
const isVariable = (k: string): k is (typeof REQUEST_VARIABLES)[number] =>
  (REQUEST_VARIABLES as readonly string[]).includes(k);

/** Decodes a whole body; throws HelperProtocolError for anything but a well-formed one. */
export function decodeBody(buf: Uint8Array): HelperRequest {
  const dec = new TextDecoder("utf-8", { fatal: true });
  const env: Record<string, string> = {};
  let t0: number | undefined;
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0 || nl - pos > 40) throw new HelperProtocolError("bad record header");
    const m = /^([A-Z][A-Z0-9_]{0,19}) (\d{1,8})$/.exec(
      new TextDecoder().decode(buf.subarray(pos, nl)),
    );
    if (!m) throw new HelperProtocolError("bad record header");
    const name = m[1]!;
    const len = Number(m[2]);
    const start = nl + 1;
    const end = start + len;
    if (end + (name === "STDIN" ? 0 : 1) > buf.length)
      throw new HelperProtocolError(`record ${name} is cut short`);
    let value: string;
    try {
      value = dec.decode(buf.subarray(start, end));
    } catch {
      throw new HelperProtocolError(`record ${name} is not UTF-8`);
    }
    if (name === "STDIN") {
      if (end !== buf.length) throw new HelperProtocolError("bytes after STDIN");
      return t0 === undefined ? { env, stdin: value } : { env, stdin: value, t0 };
    }
    if (name === "T0") {
      if (t0 !== undefined || !/^\d{1,12}(\.\d{1,9})?$/.test(value) || buf[end] !== NL)
        throw new HelperProtocolError("bad T0 record");
      t0 = Number(value) * 1000;
      pos = end + 1;
      continue;
    }
    if (!isVariable(name)) throw new HelperProtocolError(`unknown variable ${name}`);
    if (name in env) throw new HelperProtocolError(`variable ${name} given twice`);
    if (value.includes("\0")) throw new HelperProtocolError(`variable ${name} holds a NUL`);
    if (buf[end] !== NL) throw new HelperProtocolError(`record ${name} not ended by a newline`);
    env[name] = value;
    pos = end + 1;
  }
}

/** Encodes a body (what the shim sends; for tests and Node clients). */
export function encodeBody(r: HelperRequest): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const k of REQUEST_VARIABLES) {
    const v = r.env[k];
    if (v === undefined) continue;
    const b = enc.encode(v);
    parts.push(enc.encode(`${k} ${b.length}\n`), b, enc.encode("\n"));
  }
  if (r.t0 !== undefined) {
    const t = (r.t0 / 1000).toFixed(6);
    parts.push(enc.encode(`T0 ${t.length}\n${t}\n`));
  }
  const s = enc.encode(r.stdin);
  parts.push(enc.encode(`STDIN ${s.length}\n`), s);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The line that says the call was accepted and will run. */
export const ACCEPTED = "A\n";

/** Encodes the result: exit code, stdout and stderr with byte lengths. */
export function encodeResponse(code: number, stdout: string, stderr = ""): Buffer {
  const o = Buffer.from(stdout);
  const e = Buffer.from(stderr);
  return Buffer.concat([Buffer.from(`${code} ${o.length} ${e.length}\n`), o, e]);
}

/** Decodes a whole response after "A\n" (tests and Node clients). */
export function decodeResponse(buf: Uint8Array): {
  code: number;
  stdout: string;
  stderr: string;
} {
  const nl = buf.indexOf(NL);
  const m = nl < 0 ? null : /^(\d+) (\d+) (\d+)$/.exec(Buffer.from(buf.subarray(0, nl)).toString());
  if (!m) throw new HelperProtocolError("bad response");
  const o = Number(m[2]);
  const e = Number(m[3]);
  if (buf.length !== nl + 1 + o + e) throw new HelperProtocolError("bad response length");
  const b = Buffer.from(buf);
  return {
    code: Number(m[1]),
    stdout: b.subarray(nl + 1, nl + 1 + o).toString(),
    stderr: b.subarray(nl + 1 + o).toString(),
  };
}
