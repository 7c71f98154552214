// A deterministic interleaving of several IPAM clients, imposed from outside
// through the `Datastore` each client is given (the injection point IPAM
// already has: `IpamOptions.store`). Nothing in the library is changed.
//
// Each client's store is wrapped by `gateStore`: the first transaction that
// matches a predicate (e.g. "creates a block") is held until every party has
// reached its own such transaction; then the held transactions are sent one
// at a time, each only after the previous one has returned. So every client
// has read the store, and decided what to write, before any of them writes:
// the race the compare-and-swap guards exist for happens on every run, not
// by luck, and the order of the writes is fixed.
import type { Datastore, TxnRequest, TxnResult } from "@tortie/datastore";

/** What one held transaction did. */
export interface GatedOutcome {
  readonly party: string;
  /** Position in which it was sent (0 = first). */
  readonly turn: number;
  readonly succeeded: boolean;
}

/**
 * A rendezvous of `parties` named clients. Held transactions are released in
 * `order` (party names) when given, else in the order they arrived.
 */
export class Interleaving {
  readonly outcomes: GatedOutcome[] = [];
  private readonly arrived: { party: string; go: () => void; fail: (e: Error) => void }[] = [];
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly parties: number,
    private readonly opts: { order?: readonly string[]; timeoutMs?: number } = {},
  ) {
    if (opts.order && opts.order.length !== parties) {
      throw new Error(`order names ${opts.order.length} parties, expected ${parties}`);
    }
  }

  /** Waits until it is `party`'s turn; returns the function to call when its transaction returned. */
  async arrive(party: string): Promise<(succeeded: boolean) => void> {
    if (this.arrived.some((a) => a.party === party)) throw new Error(`${party} arrived twice`);
    const turnTaken = new Promise<void>((go, fail) => this.arrived.push({ party, go, fail }));
    if (this.arrived.length === 1) {
      const ms = this.opts.timeoutMs ?? 15_000;
      this.timer = setTimeout(() => {
        const e = new Error(
          `interleaving: only ${this.arrived.length} of ${this.parties} parties arrived within ${ms} ms (${this.arrived.map((a) => a.party).join(", ")})`,
        );
        for (const a of this.arrived) a.fail(e);
      }, ms);
    }
    if (this.arrived.length === this.parties) {
      clearTimeout(this.timer);
      this.next();
    }
    await turnTaken;
    const turn = this.turn;
    return (succeeded) => {
      this.outcomes.push({ party, turn, succeeded });
      this.turn++;
      this.next();
    };
  }

  /** The parties in the order their transactions were sent. */
  get sequence(): string[] {
    return this.outcomes.map((o) => o.party);
  }

  private next(): void {
    if (this.turn >= this.parties) return;
    const name = this.opts.order?.[this.turn];
    const a =
      name === undefined ? this.arrived[this.turn] : this.arrived.find((x) => x.party === name);
    if (!a) throw new Error(`interleaving: party ${name} never arrived`);
    a.go();
  }
}

/** A gate and the transaction it holds. */
export interface Hold {
  readonly gate: Interleaving;
  readonly match: (req: TxnRequest) => boolean;
}

/**
 * `inner` with, for each hold, the first transaction matching it held by its
 * gate as `party`. Every other call goes straight through.
 */
export function gateStore(inner: Datastore, party: string, holds: readonly Hold[]): Datastore {
  const pending = [...holds];
  const txn = async (req: TxnRequest): Promise<TxnResult> => {
    const i = pending.findIndex((h) => h.match(req));
    if (i < 0) return inner.txn(req);
    const [hold] = pending.splice(i, 1) as [Hold];
    const done = await hold.gate.arrive(party);
    let ok = false;
    try {
      const r = await inner.txn(req);
      ok = r.succeeded;
      return r;
    } finally {
      done(ok);
    }
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "txn") return txn;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** The transaction that writes a pending affinity (the first step of a block claim). */
export function createsPendingAffinity(root: string): (req: TxnRequest) => boolean {
  return (req) => {
    const op = req.ops.length === 1 ? req.ops[0] : undefined;
    return (
      op?.type === "put" &&
      op.key.startsWith(`${root}affinity/`) &&
      JSON.parse(op.value).state === "pending"
    );
  };
}

/** The transaction that creates a block with its confirmed affinity (a block claim). */
export function claimsBlock(root: string): (req: TxnRequest) => boolean {
  return (req) => writes(req, `${root}blocks/`) && writes(req, `${root}affinity/`);
}

/** A transaction that writes a block with its handle (an assignment). */
export function assignsInBlock(root: string): (req: TxnRequest) => boolean {
  return (req) => writes(req, `${root}blocks/`) && writes(req, `${root}handles/`);
}

/** A transaction that deletes a block (an affinity release of an empty block). */
export function deletesBlock(root: string): (req: TxnRequest) => boolean {
  return (req) => req.ops.some((o) => o.type === "delete" && o.key.startsWith(`${root}blocks/`));
}

function writes(req: TxnRequest, prefix: string): boolean {
  return req.ops.some((o) => o.type === "put" && o.key.startsWith(prefix));
}

/** A store whose first matching read is paused until the test resumes it. */
export interface PausedStore {
  readonly store: Datastore;
  /** Resolves when the read is paused (rejects after `timeoutMs`). */
  readonly reached: Promise<void>;
  /** Lets the paused read go on. */
  resume(): void;
}

/**
 * `inner` with its first `get` of a key starting with `prefix` paused: the
 * test can change the store between the client's earlier reads and this one.
 */
export function pauseFirstGet(inner: Datastore, prefix: string, timeoutMs = 15_000): PausedStore {
  let arrived!: () => void;
  let resume!: () => void;
  const reached = new Promise<void>((ok, fail) => {
    arrived = ok;
    setTimeout(
      () => fail(new Error(`no get under ${prefix} within ${timeoutMs} ms`)),
      timeoutMs,
    ).unref();
  });
  const go = new Promise<void>((ok) => {
    resume = ok;
  });
  let used = false;
  const get = async (key: string) => {
    if (!used && key.startsWith(prefix)) {
      used = true;
      arrived();
      await go;
    }
    return inner.get(key);
  };
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === "get") return get;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, reached, resume };
}
