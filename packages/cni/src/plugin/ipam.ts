// The pod's addresses: through a delegated IPAM plugin (SPEC.md section 4),
// e.g. Debian's host-local, found in CNI_PATH and run with the request's own
// environment and configuration.
//
// Plugins of older spec versions (host-local 1.1.1 speaks up to 1.0.0) are
// met where they are: when a delegate refuses the configuration's version
// (code 1), its VERSION answer picks the highest version both sides know and
// the request is repeated in that version.

import { delegate } from "../runtime/delegate.js";
import { locatePlugin, spawnExecutor } from "../runtime/exec.js";
import { invokePlugin, type PluginExecutor, type PluginLocator } from "../runtime/invoke.js";
import type { Env } from "../spec/env.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { convertResult, type Result } from "../spec/result.js";
import { SUPPORTED_VERSIONS, selectVersion, versionSupportsCommand } from "../spec/versions.js";

/** What a call to the IPAM plugin carries: the request as the Tortie plugin got it. */
export interface IpamCall {
  readonly env: Env;
  readonly stdin: string;
  readonly path: readonly string[];
  /** Receives a delegated IPAM plugin's standard error (default: this process's). */
  readonly stderr?: (text: string) => void;
}

/** Address management for pods. */
export interface PodIpam {
  /** Allocates the pod's addresses. */
  add(call: IpamCall): Promise<Result>;
  /** Releases them; succeeds when nothing is allocated. */
  del(call: IpamCall): Promise<void>;
  /** Verifies the allocation. */
  check(call: IpamCall): Promise<void>;
  /** Forwards GC (when the delegate speaks 1.1.0). */
  gc(call: IpamCall): Promise<void>;
  /** Forwards STATUS (when the delegate speaks 1.1.0). */
  status(call: IpamCall): Promise<void>;
}

const stderrExec = spawnExecutor({
  onStderr: (t) => {
    process.stderr.write(t);
  },
});

/** IPAM through a delegated plugin of type `type`. */
export class DelegatedIpam implements PodIpam {
  private readonly versions = new Map<string, readonly string[]>();

  constructor(
    readonly type: string,
    private readonly customExec?: PluginExecutor,
    private readonly locate: PluginLocator = locatePlugin,
  ) {}

  private get exec(): PluginExecutor {
    return this.customExec ?? stderrExec;
  }

  /** The executor for one call: its stderr goes where the call says. */
  private execFor(call: IpamCall): PluginExecutor {
    if (this.customExec || !call.stderr) return this.exec;
    return spawnExecutor({ onStderr: call.stderr });
  }

  private async supported(path: readonly string[]): Promise<readonly string[]> {
    let v = this.versions.get(this.type);
    if (!v) {
      const out = (await invokePlugin(this.exec, {
        pluginPath: await this.locate(this.type, path),
        env: { CNI_COMMAND: "VERSION" },
        stdin: '{"cniVersion":"1.0.0"}',
      })) as { supportedVersions?: string[] } | undefined;
      v = out?.supportedVersions ?? [];
      this.versions.set(this.type, v);
    }
    return v;
  }

  /** Runs `command`, retrying once in an older version when the delegate refuses ours. */
  private async run(command: string, call: IpamCall): Promise<Result | undefined> {
    const req = { env: call.env, stdin: call.stdin, path: call.path };
    try {
      return await delegate(this.type, req, {
        command,
        exec: this.execFor(call),
        locate: this.locate,
      });
    } catch (e) {
      if (!(e instanceof CniError) || e.code !== ErrorCode.IncompatibleCniVersion) throw e;
      const cfg = JSON.parse(call.stdin) as Record<string, unknown>;
      const theirs = await this.supported(call.path);
      const v = selectVersion(
        theirs.filter((x) => (SUPPORTED_VERSIONS as readonly string[]).includes(x)),
      );
      if (!v || v === cfg.cniVersion || !versionSupportsCommand(v, command)) throw e;
      const down: Record<string, unknown> = { ...cfg, cniVersion: v };
      if (down.prevResult !== undefined)
        down.prevResult = convertResult(
          { cniVersion: cfg.cniVersion, ...(down.prevResult as object) },
          v,
        );
      const r = await delegate(
        this.type,
        { ...req, stdin: JSON.stringify(down) },
        { command, exec: this.execFor(call), locate: this.locate },
      );
      return r ? { ...r, cniVersion: String(cfg.cniVersion) } : r;
    }
  }

  async add(call: IpamCall): Promise<Result> {
    const r = await this.run("ADD", call);
    if (!r)
      throw new CniError(ErrorCode.DecodingFailure, `IPAM plugin ${this.type} gave no result`);
    return r;
  }

  async del(call: IpamCall): Promise<void> {
    await this.run("DEL", call);
  }

  async check(call: IpamCall): Promise<void> {
    await this.run("CHECK", call);
  }

  /** GC and STATUS exist from 1.1.0; a delegate that does not know them has nothing to report. */
  private async onlyIfKnown(command: "GC" | "STATUS", call: IpamCall): Promise<void> {
    const theirs = await this.supported(call.path);
    if (!theirs.some((v) => versionSupportsCommand(v, command))) return;
    await delegate(this.type, call, { command, exec: this.execFor(call), locate: this.locate });
  }

  async gc(call: IpamCall): Promise<void> {
    await this.onlyIfKnown("GC", call);
  }

  async status(call: IpamCall): Promise<void> {
    await this.onlyIfKnown("STATUS", call);
  }
}
