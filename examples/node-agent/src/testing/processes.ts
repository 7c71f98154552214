// Test support (not exported): tortie-node as a real process inside a
// testbed host (`ip netns exec`), and etcd inside a host with its data kept
// across stop/start (the testbed's launcher removes data with the process).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ResourceClient, validateResource } from "@tortie/api";
import { Daemon, type Host } from "@tortie/testbed";
import { controlRequest } from "../rooms/status/control.js";
import type { NodeStatus } from "../rooms/status/record.js";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
/** tsx's loader, by absolute URL (the process runs in its own work folder). */
const TSX = new URL("../../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

/** A tortie-node process in a host. */
export class AgentProcess {
  daemon: Daemon | undefined;
  readonly socket: string;
  constructor(
    readonly host: Host,
    readonly dir: string,
    readonly env: Readonly<Record<string, string>>,
  ) {
    this.socket = join(dir, "node.sock");
  }
  get label(): string {
    return `tortie-node@${this.host.name}`;
  }
  /** Starts (or starts again) the process. */
  start(): void {
    mkdirSync(join(this.dir, "run"), { recursive: true });
    this.daemon = new Daemon({
      label: this.label,
      host: this.host,
      dir: join(this.dir, "run"),
      argv: [process.execPath, "--conditions=source", "--import", TSX, MAIN],
      env: { TORTIE_CONTROL_SOCKET: this.socket, TORTIE_LOG_LEVEL: "info", ...this.env },
    });
  }
  /** The agent's status over its control socket, or undefined while it does not answer. */
  async status(): Promise<NodeStatus | undefined> {
    try {
      const r = (await controlRequest(this.socket, { command: "status" }, 2000)) as {
        status?: NodeStatus;
      };
      return r.status;
    } catch {
      return undefined;
    }
  }
  /** kill -9. */
  async kill(): Promise<void> {
    this.daemon?.signal("SIGKILL");
    await this.daemon?.exited;
  }
  async stop(): Promise<void> {
    await this.daemon?.stop(5000);
  }
  logs(): string {
    return this.daemon?.logs() ?? "";
  }
}

/** etcd in a host, data in `dataDir` (kept across stop/start). */
export class EtcdInHost {
  daemon: Daemon | undefined;
  readonly label = "etcd";
  constructor(
    readonly host: Host,
    readonly ip: string,
    readonly dataDir: string,
  ) {}
  get endpoint(): string {
    return `http://${this.ip}:2379`;
  }
  async start(): Promise<void> {
    const peer = `http://${this.ip}:2380`;
    this.daemon = new Daemon({
      label: "etcd",
      host: this.host,
      argv: [
        "etcd",
        "--name=t",
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${this.endpoint}`,
        `--advertise-client-urls=${this.endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=t=${peer}`,
        "--log-level=warn",
        "--logger=zap",
      ],
    });
    await this.daemon.waitFor(() => this.ctl(["endpoint", "health"]).then(() => true), {
      what: "etcd healthy",
      timeoutMs: 20_000,
    });
  }
  async ctl(args: readonly string[]): Promise<string> {
    const { stdout } = await this.host.exec(["etcdctl", `--endpoints=${this.endpoint}`, ...args], {
      env: { ...process.env, ETCDCTL_API: "3" },
    });
    return stdout;
  }
  /** Validates a Calico resource and writes it where ResourceClient would (calicoctl apply). */
  async apply(kind: string, name: string, spec: object, metadata: object = {}): Promise<void> {
    const r = validateResource({
      apiVersion: "projectcalico.org/v3",
      kind,
      metadata: { name, ...metadata },
      spec,
    });
    const key = new ResourceClient(undefined as never).keyOf({
      apiVersion: r.apiVersion,
      kind,
      name,
    });
    await this.ctl([
      "put",
      key,
      JSON.stringify({ apiVersion: r.apiVersion, kind, metadata: { name, ...metadata }, spec }),
    ]);
  }
  async delete(kind: string, name: string): Promise<void> {
    const key = new ResourceClient(undefined as never).keyOf({
      apiVersion: "projectcalico.org/v3",
      kind,
      name,
    });
    await this.ctl(["del", key]);
  }
  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }
  logs(): string {
    return this.daemon?.logs() ?? "";
  }
}
