// The policy room's edge: a @tortie/policy PolicyEngine fed only the
// resources that changed, rendered to one nftables table and applied with
// `nft -f` (the applier sends only the differences after the first apply).
// A resource the engine refuses is skipped — the rest of the change is
// applied, the refused resource keeps its last good version — and reported.
import { NftApplier, nftRunner, PolicyEngine, renderRuleset } from "@tortie/policy";

/** Options of {@link PolicyApplier}. */
export interface PolicyApplierOptions {
  /** Network namespace name (for `ip netns exec`); default the agent's own. */
  readonly netns?: string;
}

/** A resource the engine refused. */
export interface PolicyRefusal {
  readonly key: string;
  readonly error: Error & {
    resource?: string;
    issues?: readonly { path: string; message: string }[];
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Keeps nftables equal to the policy of this node's endpoints. */
export class PolicyApplier {
  readonly engine = new PolicyEngine();
  private readonly nft: NftApplier;
  private applied = new Map<string, unknown>();
  private rendered = false;

  constructor(opts: PolicyApplierOptions = {}) {
    this.nft = new NftApplier(nftRunner(opts.netns ? { netns: opts.netns } : {}));
  }

  /**
   * Applies the desired resources: changed ones to the engine, removed ones
   * deleted, then the ruleset. Returns the refused resources (their last
   * good versions stay); throws nft's error.
   */
  async apply(
    desired: ReadonlyMap<string, unknown>,
  ): Promise<{ changed: number; removed: number; refused: PolicyRefusal[] }> {
    const changed: [string, unknown][] = [];
    const removed: string[] = [];
    for (const [k, r] of desired) if (!same(this.applied.get(k), r)) changed.push([k, r]);
    for (const k of this.applied.keys()) if (!desired.has(k)) removed.push(k);
    if (!changed.length && !removed.length && this.rendered)
      return { changed: 0, removed: 0, refused: [] };
    const refused: PolicyRefusal[] = [];
    const next = new Map(this.applied);
    try {
      this.engine.apply(changed.map(([, r]) => r));
      for (const [k, r] of changed) next.set(k, r);
    } catch {
      // the engine changes nothing for a bad batch: apply one by one, skip the bad ones
      for (const [k, r] of changed) {
        try {
          this.engine.apply([r]);
          next.set(k, r);
        } catch (e) {
          refused.push({ key: k, error: e as PolicyRefusal["error"] });
        }
      }
    }
    for (const k of removed) {
      const [kind, ns, name] = k.split("/") as [string, string, string];
      this.engine.delete(kind, name, ns || undefined);
      next.delete(k);
    }
    await this.nft.apply(renderRuleset(this.engine));
    this.rendered = true;
    this.applied = next;
    return { changed: changed.length - refused.length, removed: removed.length, refused };
  }
}
