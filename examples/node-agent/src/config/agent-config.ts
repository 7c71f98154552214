// The agent's configuration, as Calico's calico-node takes it: environment
// variables (DATASTORE_TYPE, ETCD_ENDPOINTS, NODENAME, IP, IP6, AS) plus
// Tortie's own TORTIE_* variables, and the same settings as command-line
// flags (flags win). Pure: the caller passes env, argv and the host name.
// Strict: an unknown flag or TORTIE_* variable is an error naming it and the
// closest valid name; a bad value names its variable/flag.
import { closest } from "@tortie/api";

/** The validated configuration. */
export interface AgentConfig {
  readonly nodeName: string;
  readonly datastore:
    | { readonly type: "sqlite"; readonly path: string }
    | { readonly type: "etcdv3"; readonly endpoints: readonly string[] };
  /** BGP address with prefix length, "192.0.2.11/24". */
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly asNumber?: number;
  /** Labels registered on the Node resource. */
  readonly labels: Readonly<Record<string, string>>;
  /** host:port of health, readiness and metrics HTTP ("" disables). */
  readonly healthListen: string;
  /** Unix socket of the control interface ("" disables). */
  readonly controlSocket: string;
  /** Folder of password secrets: <dir>/<secret name>/<key>. */
  readonly secretsDir: string;
  readonly logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  readonly vethPrefix: string;
}

/** A configuration error: where (variable or flag) and what. */
export class AgentConfigError extends Error {
  override readonly name = "AgentConfigError";
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/** Each setting: its environment variable(s) and flag. */
const SETTINGS = {
  nodeName: { env: ["NODENAME"], flag: "--nodename" },
  datastoreType: { env: ["DATASTORE_TYPE"], flag: "--datastore-type" },
  datastorePath: { env: ["TORTIE_DATASTORE_PATH"], flag: "--datastore-path" },
  etcdEndpoints: { env: ["ETCD_ENDPOINTS"], flag: "--etcd-endpoints" },
  ip: { env: ["IP"], flag: "--ip" },
  ip6: { env: ["IP6"], flag: "--ip6" },
  as: { env: ["AS"], flag: "--as" },
  labels: { env: ["TORTIE_NODE_LABELS"], flag: "--labels" },
  healthListen: { env: ["TORTIE_HEALTH_LISTEN"], flag: "--health-listen" },
  controlSocket: { env: ["TORTIE_CONTROL_SOCKET"], flag: "--control-socket" },
  secretsDir: { env: ["TORTIE_SECRETS_DIR"], flag: "--secrets-dir" },
  logLevel: { env: ["TORTIE_LOG_LEVEL"], flag: "--log-level" },
  vethPrefix: { env: ["TORTIE_VETH_PREFIX"], flag: "--veth-prefix" },
} as const;
type Setting = keyof typeof SETTINGS;

const FLAGS = Object.values(SETTINGS).map((s) => s.flag);
const TORTIE_ENV: readonly string[] = Object.values(SETTINGS)
  .flatMap((s) => s.env)
  .filter((e) => e.startsWith("TORTIE_"));
/** TORTIE_* variables that belong to other Tortie programs on the same host (not ours to reject). */
const FOREIGN_TORTIE_ENV = /^TORTIE_(CNI_|BGP_|TEST_|SECRET_)/;

/** Parses `--flag value` / `--flag=value` pairs; throws on unknown flags. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--"))
      throw new AgentConfigError(a, "unexpected argument (flags are --name value)");
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!FLAGS.includes(name as never)) {
      const near = closest(name, FLAGS);
      throw new AgentConfigError(name, `unknown flag${near ? `; did you mean ${near}?` : ""}`);
    }
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined) throw new AgentConfigError(name, "needs a value");
    }
    out.set(name, value);
  }
  return out;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function withPrefix(v: string, where: string, family: 4 | 6): string {
  const [addr, len] = v.split("/") as [string, string | undefined];
  const max = family === 4 ? 32 : 128;
  const ok = family === 4 ? IPV4.test(addr) : /^[0-9a-fA-F:]+$/.test(addr) && addr.includes(":");
  if (!ok) throw new AgentConfigError(where, `"${v}" is not an IPv${family} address`);
  if (len !== undefined && (!/^\d+$/.test(len) || Number(len) > max))
    throw new AgentConfigError(where, `bad prefix length in "${v}"`);
  return `${addr}/${len ?? max}`;
}

/** Builds the configuration from environment, flags and the host name. */
export function loadAgentConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  hostname: string,
): AgentConfig {
  for (const k of Object.keys(env)) {
    if (!k.startsWith("TORTIE_") || TORTIE_ENV.includes(k) || FOREIGN_TORTIE_ENV.test(k)) continue;
    const near = closest(k, TORTIE_ENV);
    throw new AgentConfigError(k, `unknown variable${near ? `; did you mean ${near}?` : ""}`);
  }
  const flags = parseFlags(argv);
  const get = (s: Setting): { value: string; where: string } | undefined => {
    const f = flags.get(SETTINGS[s].flag);
    if (f !== undefined) return { value: f, where: SETTINGS[s].flag };
    for (const e of SETTINGS[s].env) {
      const v = env[e];
      if (v !== undefined && v !== "") return { value: v, where: e };
    }
    return undefined;
  };
  const nodeName = (get("nodeName")?.value ?? hostname).trim().toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName))
    throw new AgentConfigError(
      get("nodeName")?.where ?? "hostname",
      `"${nodeName}" is not a valid node name`,
    );

  const dt = get("datastoreType");
  let datastore: AgentConfig["datastore"];
  const type = dt?.value ?? "sqlite";
  if (type === "sqlite") {
    datastore = { type: "sqlite", path: get("datastorePath")?.value ?? "/var/lib/tortie/store.db" };
  } else if (type === "etcdv3") {
    const ep = get("etcdEndpoints");
    if (!ep) throw new AgentConfigError("ETCD_ENDPOINTS", "required with DATASTORE_TYPE=etcdv3");
    const endpoints = ep.value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const e of endpoints)
      if (!/^https?:\/\/[^/\s]+\/?$/.test(e))
        throw new AgentConfigError(ep.where, `"${e}" is not an http(s)://host:port endpoint`);
    datastore = { type: "etcdv3", endpoints };
  } else {
    const near = closest(type, ["sqlite", "etcdv3"]);
    throw new AgentConfigError(
      dt!.where,
      `"${type}" is not a datastore type (sqlite, etcdv3)${near ? `; did you mean ${near}?` : ""}`,
    );
  }

  const ip = get("ip");
  const ip6 = get("ip6");
  const ipv4 = ip && ip.value !== "none" ? withPrefix(ip.value, ip.where, 4) : undefined;
  const ipv6 = ip6 && ip6.value !== "none" ? withPrefix(ip6.value, ip6.where, 6) : undefined;
  if (!ipv4 && !ipv6) throw new AgentConfigError("IP", "a BGP address is required (IP or IP6)");

  const as = get("as");
  let asNumber: number | undefined;
  if (as) {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(as.value);
    asNumber = m ? (m[2] !== undefined ? Number(m[1]) * 65536 + Number(m[2]) : Number(m[1])) : NaN;
    if (!Number.isInteger(asNumber) || asNumber < 1 || asNumber > 4294967295)
      throw new AgentConfigError(as.where, `"${as.value}" is not an AS number`);
  }

  const labels: Record<string, string> = {};
  const lv = get("labels");
  for (const pair of (lv?.value ?? "").split(",").filter(Boolean)) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(pair.trim());
    if (!m) throw new AgentConfigError(lv!.where, `"${pair}" is not key=value`);
    labels[m[1]!] = m[2]!;
  }

  const health = get("healthListen")?.value ?? "127.0.0.1:9099";
  if (health !== "" && !/^[^\s]+:\d{1,5}$/.test(health))
    throw new AgentConfigError(get("healthListen")!.where, `"${health}" is not host:port`);
  const controlSocket = get("controlSocket")?.value ?? "/var/run/tortie/node.sock";
  if (controlSocket !== "" && !controlSocket.startsWith("/"))
    throw new AgentConfigError(get("controlSocket")!.where, "must be an absolute path");
  const secretsDir = get("secretsDir")?.value ?? "/etc/tortie/secrets";
  const levels = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
  const lvl = get("logLevel");
  const logLevel = (lvl?.value ?? "info").toLowerCase();
  if (!levels.includes(logLevel as never)) {
    const near = closest(logLevel, levels);
    throw new AgentConfigError(
      lvl!.where,
      `"${lvl!.value}" is not a log level${near ? `; did you mean ${near}?` : ""}`,
    );
  }
  const vethPrefix = get("vethPrefix")?.value ?? "cali";
  if (!/^[a-z][a-z0-9]{0,10}$/.test(vethPrefix))
    throw new AgentConfigError(get("vethPrefix")!.where, "1 to 11 lower-case letters and digits");

  return {
    nodeName,
    datastore,
    ...(ipv4 ? { ipv4 } : {}),
    ...(ipv6 ? { ipv6 } : {}),
    ...(asNumber !== undefined ? { asNumber } : {}),
    labels,
    healthListen: health,
    controlSocket,
    secretsDir,
    logLevel: logLevel as AgentConfig["logLevel"],
    vethPrefix,
  };
}

/** Every flag, for help text. */
export const AGENT_FLAGS = Object.entries(SETTINGS).map(([k, s]) => ({ setting: k, ...s }));
