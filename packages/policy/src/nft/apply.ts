// The I/O edge: hands scripts to `nft -f -` (optionally inside a network
// namespace) and remembers what the kernel holds, so the next apply sends
// only the difference. nft applies a file as one transaction: if any command
// fails, nothing changes, so a bad ruleset never replaces a working one.
import { execFile } from "node:child_process";
import { deleteScript, diffScript, fullScript, type NftScript, type Ruleset } from "./ruleset.js";

/** Runs an nft script; rejects with the nft error text on failure. */
export type NftRunner = (script: string) => Promise<void>;

/** nft rejected a script; the kernel is unchanged. */
export class NftApplyError extends Error {
  override readonly name = "NftApplyError";
  constructor(
    readonly stderr: string,
    readonly script: string,
  ) {
    super(`nft -f failed: ${stderr.trim().split("\n").slice(0, 6).join("\n")}`);
  }
}

/** A runner that executes `nft -f -`, inside `netns` (via `ip netns exec`) when given. */
export function nftRunner(
  opts: { netns?: string; nft?: string; timeoutMs?: number } = {},
): NftRunner {
  const nft = opts.nft ?? "nft";
  const [cmd, ...pre] = opts.netns ? ["ip", "netns", "exec", opts.netns, nft] : [nft];
  return (script) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        cmd!,
        [...pre, "-f", "-"],
        { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
        (err, _stdout, stderr) =>
          err ? reject(new NftApplyError(String(stderr || err.message), script)) : resolve(),
      );
      // nft may exit before reading everything (a syntax error): its exit status tells.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(script);
    });
}

/** What one apply did. */
export interface ApplyResult extends NftScript {
  /** `resync`: the incremental script failed (the kernel had drifted), a full apply replaced it. */
  readonly mode: "full" | "incremental" | "resync" | "none";
}

/**
 * Applies rulesets: the first time (or with `full`) the whole table
 * atomically, afterwards only the difference from the last applied one.
 */
export class NftApplier {
  private current: Ruleset | undefined;

  constructor(private readonly run: NftRunner) {}

  /** The ruleset last applied successfully. */
  get applied(): Ruleset | undefined {
    return this.current;
  }

  /**
   * Applies `next`. If an incremental script fails (someone changed the
   * table behind our back), resynchronises with one full apply, as Felix
   * does. If that fails too, the kernel and `applied` stay as they were.
   */
  async apply(next: Ruleset, opts: { full?: boolean } = {}): Promise<ApplyResult> {
    const full = opts.full || !this.current || this.current.table !== next.table;
    if (!full) {
      const script = diffScript(this.current!, next);
      if (script.commands === 0) return { ...script, mode: "none" };
      try {
        await this.run(script.text);
        this.current = next;
        return { ...script, mode: "incremental" };
      } catch (e) {
        if (!(e instanceof NftApplyError)) throw e;
      }
    }
    const script = fullScript(next);
    await this.run(script.text);
    this.current = next;
    return { ...script, mode: full ? "full" : "resync" };
  }

  /** Deletes the table. */
  async remove(table = this.current?.table ?? "inet tortie"): Promise<void> {
    await this.run(deleteScript(table));
    this.current = undefined;
  }
}
