// The policy room's edge: a @tortie/policy PolicyEngine fed only the
// resources that changed, rendered to one nftables table and applied with
// `nft -f` (the applier sends only the differences after the first apply).
import { NftApplier, nftRunner, PolicyEngine, renderRuleset } from "@tortie/policy";

/** Options of {@link PolicyApplier}. */
export interface PolicyApplierOptions {
  /** Network namespace name (for `ip netns exec`); default the agent's own. */
  readonly netns?: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Keeps nftables equal to the policy of this node's endpoints. */
export class PolicyApplier {
  readonly engine = new PolicyEngine();
  private readonly nft: NftApplier;
  private applied = new Map<string, unknown>();

  constructor(opts: PolicyApplierOptions = {}) {
    this.nft = new NftApplier(nftRunner(opts.netns ? { netns: opts.netns } : {}));
  }

  /**
   * Applies the desired resources: changed ones to the engine, removed ones
   * deleted, then the ruleset. Throws the engine's validation error for a
   * resource it refuses (nothing of that batch is applied) or nft's error.
   */
  async apply(
    desired: ReadonlyMap<string, unknown>,
  ): Promise<{ changed: number; removed: number }> {
    const changed: unknown[] = [];
    const removed: string[] = [];
    for (const [k, r] of desired) if (!same(this.applied.get(k), r)) changed.push(r);
    for (const k of this.applied.keys()) if (!desired.has(k)) removed.push(k);
    if (!changed.length && !removed.length && this.applied.size) return { changed: 0, removed: 0 };
    if (changed.length) this.engine.apply(changed);
    for (const k of removed) {
      const [kind, ns, name] = k.split("/") as [string, string, string];
      this.engine.delete(kind, name, ns || undefined);
    }
    await this.nft.apply(renderRuleset(this.engine));
    this.applied = new Map(desired);
    return { changed: changed.length, removed: removed.length };
  }
}
