// Running commands: a promise-returning wrapper over child_process.execFile
// that captures output and turns a non-zero exit into a typed error carrying it.
import { execFile, execFileSync } from "node:child_process";

/** What a finished command printed. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command exited non-zero (or could not start); its output is kept for the test log. */
export class ExecError extends Error {
  override readonly name = "ExecError";
  constructor(
    readonly argv: readonly string[],
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(" ")} failed (${code}): ${stderr.trim() || stdout.trim()}`);
  }
}

export interface ExecOptions {
  /** Kill the command after this many milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** Text written to the command's stdin. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Runs argv[0] with the rest as arguments; resolves with its output or rejects with ExecError. */
export function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new TypeError("exec: empty argv");
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 256 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code ?? null;
          reject(
            new ExecError(
              argv,
              typeof code === "number" || typeof code === "string" ? code : null,
              stdout,
              stderr,
            ),
          );
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Synchronous variant for exit handlers and set-up that must not interleave. */
export function execSync(argv: readonly string[], opts: ExecOptions = {}): ExecResult {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new TypeError("execSync: empty argv");
  try {
    const stdout = execFileSync(cmd, args, {
      timeout: opts.timeoutMs ?? 30_000,
      input: opts.input,
      env: opts.env ?? process.env,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return { stdout, stderr: "" };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string };
    throw new ExecError(argv, err.status ?? null, err.stdout ?? "", err.stderr ?? "");
  }
}
