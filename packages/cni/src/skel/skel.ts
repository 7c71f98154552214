// The plugin side of the execution protocol (SPEC.md section 2), as a
// function over injected environment, stdin and stdout that returns the exit
// code: a plugin written against `CniPlugin` is testable without a process.
//
//   env ──► parseEnv ──► VERSION? ──► print supported versions
//                           │
//   stdin ─► parsePluginConfig ─► version check ─► add/del/check/status/gc
//                                                      │
//   stdout ◄── result in the config's version  ◄───────┤ (ADD)
//   stdout ◄── error JSON, exit 1              ◄───────┘ (any failure)

import type { Attachment, PluginConfig } from "../spec/config.js";
import { parseJsonText, parsePluginConfig } from "../spec/config.js";
import { type Command, type Env, parseEnv } from "../spec/env.js";
import { CniError, ErrorCode, toCniError } from "../spec/errors.js";
import { encodeResult, type Result } from "../spec/result.js";
import {
  compareVersions,
  isSupportedVersion,
  LATEST_VERSION,
  SUPPORTED_VERSIONS,
  versionSupportsCommand,
} from "../spec/versions.js";

/** What the skel reads from and writes to. */
export interface SkelIO {
  /** The environment (CNI_COMMAND, CNI_CONTAINERID, …). */
  readonly env: Env;
  /** The configuration text, or a function that reads it. */
  readonly stdin: string | (() => Promise<string>);
  /** Receives everything printed to standard output. */
  readonly stdout: (text: string) => void;
  /** Receives log lines (standard error). */
  readonly stderr?: (text: string) => void;
  /** Aborted when the caller has gone away (the resident helper's client closed). */
  readonly signal?: AbortSignal;
  /** When the invocation started (epoch ms; the plugin process's start by default). */
  readonly startedAt?: number;
}

/** Fields every request to a plugin carries. */
interface RequestBase {
  /** The parsed configuration. */
  readonly config: PluginConfig;
  /** CNI_PATH entries. */
  readonly path: readonly string[];
  /** The environment as received (delegated plugins get it unchanged). */
  readonly env: Env;
  /** The configuration text as received (delegated plugins get it unchanged). */
  readonly stdin: string;
}

/** An ADD, DEL or CHECK request: one attachment. */
export interface AttachmentRequest extends RequestBase {
  readonly command: "ADD" | "DEL" | "CHECK";
  readonly containerId: string;
  /** CNI_NETNS; may be "" for DEL. */
  readonly netns: string;
  readonly ifname: string;
  /** CNI_ARGS as a record (last value wins for repeated keys). */
  readonly args: Readonly<Record<string, string>>;
  /** Aborted when the caller has gone away: an ADD then undoes its work. */
  readonly signal?: AbortSignal;
  /** When the invocation started (epoch ms): a DEL begun after it supersedes an ADD. */
  readonly startedAt?: number;
}

/** A STATUS request. */
export interface StatusRequest extends RequestBase {
  readonly command: "STATUS";
}

/** A GC request with the attachments that are still valid. */
export interface GcRequest extends RequestBase {
  readonly command: "GC";
  readonly validAttachments: readonly Attachment[];
}

/** A plugin: what it does for each verb. Throw {@link CniError} to report a spec error. */
export interface CniPlugin {
  /** Versions the plugin accepts (default: all this library supports). */
  readonly supportedVersions?: readonly string[];
  /** ADD: returns the result (canonical form; the skel writes it in the config's version). */
  add(req: AttachmentRequest): Promise<Result> | Result;
  /** DEL: must succeed when the attachment is already gone. */
  del(req: AttachmentRequest): Promise<void> | void;
  /** CHECK: throws when the attachment is not as `config.prevResult` says. */
  check(req: AttachmentRequest): Promise<void> | void;
  /** STATUS: throws code 50/51 when the plugin cannot serve ADD (default: ready). */
  status?(req: StatusRequest): Promise<void> | void;
  /** GC: releases resources of attachments not in `validAttachments` (default: nothing to do). */
  gc?(req: GcRequest): Promise<void> | void;
}

/** Exit code of a failed invocation (the reference skel's). */
export const EXIT_FAILURE = 1;

/**
 * Runs one plugin invocation: reads env and stdin, calls the plugin, writes
 * the result or the error JSON to stdout, and returns the exit code (0 on
 * success).
 */
export async function skel(plugin: CniPlugin, io: SkelIO): Promise<number> {
  let errVersion: string = LATEST_VERSION;
  try {
    const inv = parseEnv(io.env);
    let text: string;
    try {
      text = typeof io.stdin === "string" ? io.stdin : await io.stdin();
    } catch (e) {
      throw new CniError(ErrorCode.IoFailure, "error reading from stdin", (e as Error).message);
    }
    const supported = plugin.supportedVersions ?? SUPPORTED_VERSIONS;
    if (inv.command === "VERSION") {
      io.stdout(JSON.stringify(versionInfo(text, supported)));
      return 0;
    }
    const config = parsePluginConfig(text);
    if (isSupportedVersion(config.cniVersion)) errVersion = config.cniVersion;
    if (!supported.includes(config.cniVersion)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        "incompatible CNI versions",
        `config is "${config.cniVersion}", plugin supports [${supported.join(", ")}]`,
      );
    }
    if (!versionSupportsCommand(config.cniVersion, inv.command)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `config version "${config.cniVersion}" does not allow ${inv.command}`,
      );
    }
    const base: RequestBase = { config, path: inv.path, env: io.env, stdin: text };
    switch (inv.command as Exclude<Command, "VERSION">) {
      case "ADD":
      case "DEL":
      case "CHECK": {
        const req: AttachmentRequest = {
          ...base,
          command: inv.command as "ADD" | "DEL" | "CHECK",
          containerId: inv.containerId,
          netns: inv.netns,
          ifname: inv.ifname,
          args: Object.fromEntries(inv.args),
          ...(io.signal ? { signal: io.signal } : {}),
          startedAt: io.startedAt ?? performance.timeOrigin,
        };
        if (req.command === "ADD") {
          const result = await plugin.add(req);
          io.stdout(JSON.stringify(encodeResult(result, config.cniVersion)));
        } else if (req.command === "DEL") {
          await plugin.del(req);
        } else {
          await plugin.check(req);
        }
        return 0;
      }
      case "STATUS":
        await plugin.status?.({ ...base, command: "STATUS" });
        return 0;
      case "GC":
        await plugin.gc?.({
          ...base,
          command: "GC",
          validAttachments: config.validAttachments ?? [],
        });
        return 0;
    }
  } catch (e) {
    const err = toCniError(e);
    io.stderr?.(`${err.message}${err.details ? `: ${err.details}` : ""}\n`);
    io.stdout(JSON.stringify(err.toJSON(errVersion)));
    return EXIT_FAILURE;
  }
}

/**
 * The VERSION answer: `cniVersion` echoes the input's when given (stdin may
 * be empty), `supportedVersions` lists the plugin's. Code 6 for bad JSON.
 */
export function versionInfo(
  stdinText: string,
  supported: readonly string[],
): { cniVersion: string; supportedVersions: string[] } {
  let cniVersion: string = LATEST_VERSION;
  if (stdinText.trim() !== "") {
    const v = (parseJsonText(stdinText) as { cniVersion?: unknown } | null)?.cniVersion;
    if (typeof v === "string" && v !== "") cniVersion = v;
  }
  const supportedVersions = [...supported].sort(compareVersions);
  return { cniVersion, supportedVersions };
}
