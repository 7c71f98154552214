// tortie-bgp's log volume: every line has a level; routine per-route events
// are debug, summarised at info as per-peer counters (every interval and at
// End-of-RIB), so a full table from a peer is a handful of lines, not one
// per prefix. Pure.

/** Log levels, least severe first (`--log-level`). */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const EVENT_LEVELS: Record<string, LogLevel> = {
  // every FSM step of every connect retry; peer-up, peer-down and peer-error say what matters
  "peer-state": "debug",
  "route-learned": "debug",
  "route-withdrawn": "debug",
  "peer-down": "warn",
  "peer-error": "warn",
  "connect-unanswered": "warn",
  warning: "warn",
  "reload-refused": "warn",
  "session-error": "error",
  "reload-failed": "error",
};

/** The level an event is logged at (info unless listed). */
export function levelOf(event: string): LogLevel {
  return EVENT_LEVELS[event] ?? "info";
}

/** Whether a line at `level` is written when the threshold is `min`. */
export function enabled(min: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}

/** Per-peer counts of routes learned and withdrawn since the last summary. */
export class RouteCounters {
  private readonly counts = new Map<string, { learned: number; withdrawn: number }>();

  /** Counts one `routes` event. */
  add(peer: string, learned: number, withdrawn: number): void {
    if (learned === 0 && withdrawn === 0) return;
    const c = this.counts.get(peer) ?? { learned: 0, withdrawn: 0 };
    c.learned += learned;
    c.withdrawn += withdrawn;
    this.counts.set(peer, c);
  }

  /** The counts of `peer` (or of every peer with changes), reset to zero. */
  take(peer?: string): { peer: string; learned: number; withdrawn: number }[] {
    const peers = peer === undefined ? [...this.counts.keys()] : [peer];
    const out: { peer: string; learned: number; withdrawn: number }[] = [];
    for (const p of peers) {
      const c = this.counts.get(p);
      if (!c) continue;
      this.counts.delete(p);
      out.push({ peer: p, ...c });
    }
    return out;
  }
}

/**
 * Repeats of one line per peer (a peer refusing us every connect retry):
 * the first occurrence of a message is logged, the same message again only
 * after `quietMs`, with how many times it happened in between.
 */
export class Repeats {
  private readonly last = new Map<string, { message: string; at: number; count: number }>();

  constructor(private readonly quietMs: number) {}

  /** Whether to log `message` for `peer` now, and how many repeats were not logged before it. */
  check(peer: string, message: string, now: number): { log: boolean; suppressed: number } {
    const l = this.last.get(peer);
    if (!l || l.message !== message || now - l.at >= this.quietMs) {
      this.last.set(peer, { message, at: now, count: 0 });
      return { log: true, suppressed: l && l.message === message ? l.count : 0 };
    }
    l.count++;
    return { log: false, suppressed: 0 };
  }

  /** Forgets a peer (it came up: a later failure is news again). */
  clear(peer: string): void {
    this.last.delete(peer);
  }
}
