// Invoking one plugin executable (SPEC.md section 2 "Overview", "Errors"):
// the runtime hands it env and stdin, reads stdout; exit 0 is success (with a
// JSON result for ADD and VERSION), anything else a failure whose stdout
// should hold the error structure. How a process is started is injected, so
// this file and the list runtime are testable without processes.

import { CniError } from "../spec/errors.js";

/** One execution of a plugin binary. */
export interface ExecRequest {
  /** Absolute path of the executable. */
  readonly pluginPath: string;
  /** The CNI_* variables for this call (the executor adds the rest of the environment). */
  readonly env: Readonly<Record<string, string>>;
  /** The request configuration text. */
  readonly stdin: string;
}

/** What a plugin process produced. */
export interface ExecOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts a plugin and collects its output. */
export type PluginExecutor = (req: ExecRequest) => Promise<ExecOutput>;

/** Finds the executable for a plugin `type` in the CNI_PATH directories; throws when absent. */
export type PluginLocator = (type: string, path: readonly string[]) => Promise<string> | string;

/** Code the runtime uses for a plugin failure that printed no error structure (libcni's ErrInternal). */
export const INTERNAL_ERROR_CODE = 999;

/**
 * Runs a plugin and interprets its output: on exit 0 the parsed stdout JSON
 * (undefined when stdout is empty); otherwise throws the CniError the plugin
 * printed, or one with code 999 carrying its stderr.
 */
export async function invokePlugin(exec: PluginExecutor, req: ExecRequest): Promise<unknown> {
  const out = await exec(req);
  const text = out.stdout.trim();
  if (out.exitCode === 0) {
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CniError(
        INTERNAL_ERROR_CODE,
        `plugin ${req.pluginPath} printed invalid JSON`,
        (e as Error).message,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  let reported: CniError | undefined;
  try {
    reported = CniError.fromJSON(parsed);
  } catch {
    // stdout held no error structure
  }
  if (reported) throw reported;
  throw new CniError(
    INTERNAL_ERROR_CODE,
    `plugin ${req.pluginPath} failed with exit code ${out.exitCode}`,
    (out.stderr.trim() || text).slice(0, 4000),
  );
}
