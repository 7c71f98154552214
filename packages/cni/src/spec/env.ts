// The execution protocol's parameters (SPEC.md section 2 "Parameters" and the
// per-verb "Required environment parameters").
//
//   verb     CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
//   ADD      required    required        required  required   optional
//   DEL      required    required        optional  required   optional
//   CHECK    required    required        required  required   optional
//   STATUS   required    -               -         -          optional
//   VERSION  required    -               -         -          -
//   GC       required    -               -         -          required
//
// CNI_ARGS is optional everywhere: "FOO=BAR;ABC=123".

import { CniError, ErrorCode } from "./errors.js";

/** The verbs of the CNI protocol. */
export const COMMANDS = ["ADD", "DEL", "CHECK", "STATUS", "VERSION", "GC"] as const;

/** A CNI verb. */
export type Command = (typeof COMMANDS)[number];

/** An environment as a plain record (process.env or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The parameters of one invocation, read from the environment. */
export interface Invocation {
  readonly command: Command;
  /** CNI_CONTAINERID; "" for STATUS, VERSION and GC. */
  readonly containerId: string;
  /** CNI_NETNS; "" when not given (allowed for DEL). */
  readonly netns: string;
  /** CNI_IFNAME; "" for STATUS, VERSION and GC. */
  readonly ifname: string;
  /** CNI_ARGS as ordered key/value pairs. */
  readonly args: readonly (readonly [string, string])[];
  /** CNI_PATH split on ":". */
  readonly path: readonly string[];
}

type Need = "required" | "optional" | "unused";
const NEEDS: Readonly<
  Record<Command, { containerId: Need; netns: Need; ifname: Need; path: Need }>
> = {
  ADD: { containerId: "required", netns: "required", ifname: "required", path: "optional" },
  DEL: { containerId: "required", netns: "optional", ifname: "required", path: "optional" },
  CHECK: { containerId: "required", netns: "required", ifname: "required", path: "optional" },
  STATUS: { containerId: "unused", netns: "unused", ifname: "unused", path: "optional" },
  VERSION: { containerId: "unused", netns: "unused", ifname: "unused", path: "unused" },
  GC: { containerId: "unused", netns: "unused", ifname: "unused", path: "required" },
};

/** True when `v` names a CNI verb. */
export function isCommand(v: unknown): v is Command {
  return typeof v === "string" && (COMMANDS as readonly string[]).includes(v);
}

const CONTAINER_ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Checks a container ID (SPEC.md "Attachment Parameters": starts with an
 * alphanumeric, then alphanumerics, `_`, `.`, `-`). Returns why it is bad, or
 * undefined.
 */
export function containerIdProblem(id: string): string | undefined {
  if (id === "") return "is empty";
  if (!CONTAINER_ID_RE.test(id)) return "has invalid characters";
  return undefined;
}

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_IFNAME_LENGTH = 15;

/**
 * Checks an interface name against Linux's rules (dev_valid_name(): not
 * empty, not "." or "..", at most 15 bytes, no "/", ":" or whitespace).
 * Returns why it is bad, or undefined.
 */
export function ifnameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name === "." || name === "..") return `"${name}" is not allowed`;
  if (new TextEncoder().encode(name).length > MAX_IFNAME_LENGTH)
    return `"${name}" is longer than ${MAX_IFNAME_LENGTH} characters`;
  if (/[/:\s]/.test(name)) return `"${name}" contains "/", ":" or whitespace`;
  return undefined;
}

/**
 * Parses CNI_ARGS ("FOO=BAR;ABC=123"). An empty string gives no pairs; a
 * pair without "=" or with an empty key is an error (code 4).
 */
export function parseCniArgs(s: string): [string, string][] {
  if (s === "") return [];
  const out: [string, string][] = [];
  for (const part of s.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) {
      throw new CniError(
        ErrorCode.InvalidEnvironmentVariables,
        `invalid CNI_ARGS: pair "${part}" is not KEY=VALUE`,
      );
    }
    out.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

/** Formats pairs as CNI_ARGS. */
export function formatCniArgs(args: Iterable<readonly [string, string]>): string {
  return [...args].map(([k, v]) => `${k}=${v}`).join(";");
}

/**
 * Reads and validates the invocation parameters for the verb in CNI_COMMAND.
 * Throws CniError code 4 naming the missing or invalid variables.
 */
export function parseEnv(env: Env): Invocation {
  const raw = env.CNI_COMMAND;
  if (raw === undefined || raw === "") {
    throw new CniError(
      ErrorCode.InvalidEnvironmentVariables,
      "required env variables [CNI_COMMAND] missing",
    );
  }
  if (!isCommand(raw)) {
    throw new CniError(ErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${raw}`);
  }
  const need = NEEDS[raw];
  const missing: string[] = [];
  const get = (name: string, n: Need): string => {
    if (n === "unused") return "";
    const v = env[name] ?? "";
    if (n === "required" && v === "") missing.push(name);
    return v;
  };
  const containerId = get("CNI_CONTAINERID", need.containerId);
  const netns = get("CNI_NETNS", need.netns);
  const ifname = get("CNI_IFNAME", need.ifname);
  const pathVar = get("CNI_PATH", need.path);
  if (missing.length) {
    throw new CniError(
      ErrorCode.InvalidEnvironmentVariables,
      `required env variables [${missing.join(",")}] missing`,
    );
  }
  if (need.containerId !== "unused") {
    const p = containerIdProblem(containerId);
    if (p)
      throw new CniError(
        ErrorCode.InvalidEnvironmentVariables,
        `CNI_CONTAINERID ${p}`,
        containerId,
      );
  }
  if (need.ifname !== "unused") {
    const p = ifnameProblem(ifname);
    if (p) throw new CniError(ErrorCode.InvalidEnvironmentVariables, `CNI_IFNAME ${p}`);
  }
  // SPEC.md section 2: CNI_ARGS is "alphanumeric key-value pairs separated by
  // semicolons", CNI_NETNS and CNI_PATH are paths: none holds a control
  // character (a newline there could only be an attempt to forge a request)
  for (const k of ["CNI_ARGS", "CNI_NETNS", "CNI_PATH"] as const) {
    const v = env[k];
    if (v && /[\u0000-\u001f\u007f]/.test(v))
      throw new CniError(ErrorCode.InvalidEnvironmentVariables, `${k} holds a control character`);
  }
  const args = raw === "VERSION" ? [] : parseCniArgs(env.CNI_ARGS ?? "");
  const path = pathVar.split(":").filter((p) => p !== "");
  return { command: raw, containerId, netns, ifname, args, path };
}

/** The invocation as environment variables (the runtime side of {@link parseEnv}). */
export function invocationEnv(
  inv: Partial<Invocation> & { command: Command },
): Record<string, string> {
  const env: Record<string, string> = { CNI_COMMAND: inv.command };
  if (inv.containerId) env.CNI_CONTAINERID = inv.containerId;
  if (inv.netns) env.CNI_NETNS = inv.netns;
  if (inv.ifname) env.CNI_IFNAME = inv.ifname;
  if (inv.args?.length) env.CNI_ARGS = formatCniArgs(inv.args);
  if (inv.path?.length) env.CNI_PATH = inv.path.join(":");
  return env;
}
