// etcd 3.4 on loopback (or inside a host), on ports no other run uses, with a
// throw-away data directory.
import { createServer } from "node:net";
import { join } from "node:path";
import { exec } from "../exec.js";
import type { Host } from "../topology.js";
import { Daemon, makeWorkDir } from "./daemon.js";

/** A running etcd; `endpoint` is its client URL. */
export class Etcd extends Daemon {
  constructor(
    host: Host | undefined,
    dir: string,
    readonly endpoint: string,
    readonly peerUrl: string,
  ) {
    super({
      label: `etcd${host ? `@${host.name}` : ""}`,
      host,
      dir,
      argv: [
        "etcd",
        "--name=t",
        `--data-dir=${join(dir, "data")}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=t=${peerUrl}`,
        "--log-level=warn",
        "--logger=zap",
      ],
    });
  }

  /**
   * Stops this etcd, keeping its data, and after `downMs` starts a new one on
   * the same data, address and ports; resolves with it once healthy.
   */
  async restart(downMs = 0): Promise<Etcd> {
    await this.stop(3000, { keepDir: true });
    await new Promise((r) => setTimeout(r, downMs));
    const next = new Etcd(this.host, this.dir, this.endpoint, this.peerUrl);
    await next.waitFor(() => next.etcdctl(["endpoint", "health"]).then(() => true), {
      what: "healthy after restart",
      timeoutMs: 20_000,
    });
    return next;
  }

  /** `etcdctl` (API v3) against this endpoint. */
  async etcdctl(args: readonly string[]): Promise<string> {
    const argv = ["etcdctl", `--endpoints=${this.endpoint}`, ...args];
    const env = { ...process.env, ETCDCTL_API: "3" };
    const { stdout } = this.host ? await this.host.exec(argv, { env }) : await exec(argv, { env });
    return stdout;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** Starts etcd on 127.0.0.1 (or on `opts.ip` inside `opts.host`) and waits until healthy. */
export async function startEtcd(opts: { host?: Host; ip?: string } = {}): Promise<Etcd> {
  const ip = opts.ip ?? "127.0.0.1";
  const [cp, pp] = opts.host ? [2379, 2380] : [await freePort(), await freePort()];
  const dir = makeWorkDir("etcd");
  const etcd = new Etcd(opts.host, dir, `http://${ip}:${cp}`, `http://${ip}:${pp}`);
  try {
    await etcd.waitFor(() => etcd.etcdctl(["endpoint", "health"]).then(() => true), {
      what: "healthy",
      timeoutMs: 20_000,
    });
  } catch (e) {
    await etcd.stop();
    throw e;
  }
  return etcd;
}
