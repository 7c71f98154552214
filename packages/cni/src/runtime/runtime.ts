// Executing network configurations (SPEC.md section 3): the runtime side.
//
//   ADD    plugins in order; each gets the previous plugin's result as
//          prevResult (none for the first); the last result is the answer.
//   DEL    plugins in reverse; each gets the final ADD result.
//   CHECK  plugins in order with the final ADD result; skipped when
//          disableCheck; needs version ≥ 0.4.0.
//   GC     every plugin, continuing past errors, with
//          cni.dev/valid-attachments; skipped when disableGC; ≥ 1.1.0.
//   STATUS every plugin; ≥ 1.1.0.
//
// Processes are started through an injected executor (see invoke.ts), so the
// ordering and threading here are unit-tested with fakes.

import {
  type Attachment,
  deriveRequestConfig,
  type JsonObject,
  listVersion,
  type NetworkConfigList,
  type PluginEntry,
} from "../spec/config.js";
import { type Command, invocationEnv } from "../spec/env.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { convertResult, parseResult, type Result } from "../spec/result.js";
import { compareVersions, SUPPORTED_VERSIONS } from "../spec/versions.js";
import { invokePlugin, type PluginExecutor, type PluginLocator } from "./invoke.js";

/** How the runtime finds and starts plugins. */
export interface RuntimeOptions {
  /** CNI_PATH: directories holding plugin executables. */
  readonly path: readonly string[];
  readonly exec: PluginExecutor;
  readonly locate: PluginLocator;
  /** Versions the runtime accepts (default: all this library supports). */
  readonly supportedVersions?: readonly string[];
}

/** The per-attachment parameters (SPEC.md section 3 "Attachment Parameters"). */
export interface AttachmentParams {
  readonly containerId: string;
  /** Path of the network namespace. */
  readonly netns: string;
  readonly ifname: string;
  /** Generic arguments (CNI_ARGS). */
  readonly args?: readonly (readonly [string, string])[];
  /** Capability arguments, offered to plugins that declare the capability. */
  readonly capabilityArgs?: Readonly<JsonObject>;
}

/** The outcome of ADD: the final result, parsed and as the plugin printed it. */
export interface AddOutcome {
  readonly result: Result;
  /** The JSON the last plugin printed (store it for CHECK and DEL). */
  readonly json: unknown;
  /** The protocol version used. */
  readonly cniVersion: string;
}

/** A runtime: executes network configuration lists against attachments. */
export class CniRuntime {
  constructor(private readonly opts: RuntimeOptions) {}

  /** The version this runtime uses for `list` (code 1 when it supports none offered). */
  versionFor(list: NetworkConfigList): string {
    return listVersion(list, this.opts.supportedVersions ?? SUPPORTED_VERSIONS);
  }

  private async run(
    command: Command,
    plugin: PluginEntry,
    list: NetworkConfigList,
    cniVersion: string,
    att: AttachmentParams | undefined,
    extra: { prevResult?: unknown; validAttachments?: readonly Attachment[] },
  ): Promise<unknown> {
    const pluginPath = await this.opts.locate(plugin.type, this.opts.path);
    const config = deriveRequestConfig(list, plugin, {
      cniVersion,
      ...(att?.capabilityArgs ? { capabilityArgs: att.capabilityArgs } : {}),
      ...extra,
    });
    const env = invocationEnv({
      command,
      path: this.opts.path,
      ...(att
        ? {
            containerId: att.containerId,
            netns: att.netns,
            ifname: att.ifname,
            args: att.args ?? [],
          }
        : {}),
    });
    return invokePlugin(this.opts.exec, { pluginPath, env, stdin: JSON.stringify(config) });
  }

  /** ADD: runs the plugins in order, threading each result into the next as prevResult. */
  async add(list: NetworkConfigList, att: AttachmentParams): Promise<AddOutcome> {
    const cniVersion = this.versionFor(list);
    let prev: unknown;
    for (const plugin of list.plugins) {
      const out = await this.run("ADD", plugin, list, cniVersion, att, {
        ...(prev !== undefined ? { prevResult: prev } : {}),
      });
      if (out === undefined) {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `plugin "${plugin.type}" printed no result for ADD`,
        );
      }
      parseResult(out);
      prev = out;
    }
    return { result: parseResult(prev), json: prev, cniVersion };
  }

  /** The stored ADD result in the list's version, or undefined (needs version ≥ 0.4.0 for DEL). */
  private prevFor(cniVersion: string, prevResult: unknown): unknown {
    if (prevResult === undefined || prevResult === null) return undefined;
    return convertResult(prevResult, cniVersion);
  }

  /** DEL: runs the plugins in reverse, each with the final ADD result when known. */
  async del(list: NetworkConfigList, att: AttachmentParams, prevResult?: unknown): Promise<void> {
    const cniVersion = this.versionFor(list);
    const prev =
      compareVersions(cniVersion, "0.4.0") >= 0 ? this.prevFor(cniVersion, prevResult) : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      await this.run("DEL", plugin, list, cniVersion, att, {
        ...(prev !== undefined ? { prevResult: prev } : {}),
      });
    }
  }

  /** CHECK: runs the plugins in order with the final ADD result; a no-op when disableCheck. */
  async check(list: NetworkConfigList, att: AttachmentParams, prevResult: unknown): Promise<void> {
    const cniVersion = this.versionFor(list);
    if (compareVersions(cniVersion, "0.4.0") < 0) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `configuration version "${cniVersion}" does not support CHECK`,
      );
    }
    if (list.disableCheck) return;
    const prev = this.prevFor(cniVersion, prevResult);
    if (prev === undefined) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, "CHECK needs the result of ADD");
    }
    for (const plugin of list.plugins) {
      await this.run("CHECK", plugin, list, cniVersion, att, { prevResult: prev });
    }
  }

  /**
   * GC: asks every plugin to release what belongs to attachments not in
   * `valid`, continuing past failures; throws one CniError listing them all.
   * A no-op when disableGC or for versions before 1.1.0.
   */
  async gc(list: NetworkConfigList, valid: readonly Attachment[]): Promise<void> {
    const cniVersion = this.versionFor(list);
    if (list.disableGC || compareVersions(cniVersion, "1.1.0") < 0) return;
    const errors: CniError[] = [];
    for (const plugin of list.plugins) {
      try {
        await this.run("GC", plugin, list, cniVersion, undefined, { validAttachments: valid });
      } catch (e) {
        errors.push(e instanceof CniError ? e : new CniError(999, String(e)));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new CniError(
        errors[0]!.code,
        `GC failed in ${errors.length} plugins`,
        errors
          .map((e) => `${e.code}: ${e.message}${e.details ? ` (${e.details})` : ""}`)
          .join("; "),
      );
    }
  }

  /** STATUS: every plugin must report ready; the first error is thrown. ≥ 1.1.0 only. */
  async status(list: NetworkConfigList): Promise<void> {
    const cniVersion = this.versionFor(list);
    if (compareVersions(cniVersion, "1.1.0") < 0) return;
    for (const plugin of list.plugins) {
      await this.run("STATUS", plugin, list, cniVersion, undefined, {});
    }
  }

  /** VERSION of one plugin type. */
  async version(type: string): Promise<{ cniVersion: string; supportedVersions: string[] }> {
    const pluginPath = await this.opts.locate(type, this.opts.path);
    const out = (await invokePlugin(this.opts.exec, {
      pluginPath,
      env: invocationEnv({ command: "VERSION" }),
      stdin: JSON.stringify({ cniVersion: "1.1.0" }),
    })) as { cniVersion: string; supportedVersions: string[] };
    return out;
  }
}
