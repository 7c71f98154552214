// CNI errors (SPEC.md section 5 "Error", "Well-known Error Codes").
//
// A plugin that fails exits non-zero and prints, on standard output:
//
//   { "cniVersion": "1.1.0", "code": 7, "msg": "Invalid Configuration",
//     "details": "Network 192.168.0.0/31 too small to allocate from." }
//
// Codes 0–99 are reserved for the spec; 100 and above belong to plugins.

import { LATEST_VERSION } from "./versions.js";

/** The spec's well-known error codes. */
export const ErrorCode = {
  /** Incompatible CNI version. */
  IncompatibleCniVersion: 1,
  /** Unsupported field in network configuration (the message names key and value). */
  UnsupportedField: 2,
  /** Container unknown or does not exist: the runtime need not clean up. */
  UnknownContainer: 3,
  /** Invalid necessary environment variables (the message names them). */
  InvalidEnvironmentVariables: 4,
  /** I/O failure, e.g. reading the configuration from stdin. */
  IoFailure: 5,
  /** Failed to decode content, e.g. JSON. */
  DecodingFailure: 6,
  /** Invalid network configuration. */
  InvalidNetworkConfig: 7,
  /** Try again later: a transient condition. */
  TryAgainLater: 11,
  /** STATUS: the plugin cannot service ADD requests. */
  PluginNotAvailable: 50,
  /** STATUS: not available, and existing containers may have limited connectivity. */
  PluginNotAvailableLimitedConnectivity: 51,
} as const;

/** One of the spec's well-known codes. */
export type WellKnownErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The smallest code a plugin may use for its own errors. */
export const FIRST_PLUGIN_ERROR_CODE = 100;

/** The short description the spec gives each well-known code. */
export const ERROR_DESCRIPTIONS: Readonly<Record<WellKnownErrorCode, string>> = {
  1: "Incompatible CNI version",
  2: "Unsupported field in network configuration",
  3: "Container unknown or does not exist",
  4: "Invalid necessary environment variables",
  5: "I/O failure",
  6: "Failed to decode content",
  7: "Invalid network config",
  11: "Try again later",
  50: "The plugin is not available",
  51: "The plugin is not available, and existing containers in the network may have limited connectivity",
};

/** The error structure as JSON (SPEC.md section 5 "Error"). */
export interface ErrorJson {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/**
 * An error with a CNI code: thrown by plugins (the skel prints it as the
 * spec's JSON) and by the runtime when a plugin reports one.
 */
export class CniError extends Error {
  override readonly name = "CniError";
  constructor(
    /** The spec's code (1–99) or a plugin's own (100 and above). */
    readonly code: number,
    /** The short message (`msg`). */
    msg: string,
    /** The longer description (`details`), if any. */
    readonly details?: string,
  ) {
    super(msg);
  }

  /** The spec's JSON structure for this error, in protocol version `cniVersion`. */
  toJSON(cniVersion: string = LATEST_VERSION): ErrorJson {
    return errorJson(this.code, this.message, this.details, cniVersion);
  }

  /** Reads an error structure; throws a decoding CniError when `v` is not one. */
  static fromJSON(v: unknown): CniError {
    if (
      typeof v !== "object" ||
      v === null ||
      typeof (v as { code?: unknown }).code !== "number" ||
      typeof (v as { msg?: unknown }).msg !== "string"
    ) {
      throw new CniError(ErrorCode.DecodingFailure, "not a CNI error structure", JSON.stringify(v));
    }
    const e = v as { code: number; msg: string; details?: unknown };
    return new CniError(
      e.code,
      e.msg,
      typeof e.details === "string" && e.details !== "" ? e.details : undefined,
    );
  }
}

/** Builds the error JSON object; `details` is left out when empty. */
export function errorJson(
  code: number,
  msg: string,
  details?: string,
  cniVersion: string = LATEST_VERSION,
): ErrorJson {
  return details ? { cniVersion, code, msg, details } : { cniVersion, code, msg };
}

/** Wraps anything thrown into a CniError (unknown errors get code `fallbackCode`). */
export function toCniError(e: unknown, fallbackCode = 999): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof Error) return new CniError(fallbackCode, e.message);
  return new CniError(fallbackCode, String(e));
}
