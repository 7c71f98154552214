// Vitest glue: a suite-scoped testbed that destroys its topologies and stops
// its daemons after the suite, and prints every daemon's log when a test fails.
import { afterAll, afterEach } from "vitest";
import type { HasLogs } from "./daemons/daemon.js";
import { createTopology, type Topology, type TopologySpec } from "./topology.js";

/** Something to stop/destroy after the suite. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** What {@link useTestbed} returns: builders whose products are cleaned up for you. */
export interface SuiteTestbed {
  /** Builds a topology destroyed after the suite. */
  topology(spec: TopologySpec): Promise<Topology>;
  /** Registers a daemon (or anything with logs and stop) for log-on-failure and stop-after-suite. */
  track<T extends HasLogs & Stoppable>(d: T): T;
  /** Registers any clean-up to run after the suite (in reverse order). */
  defer(fn: () => unknown): void;
  /** Logs of every tracked daemon, joined. */
  logs(): string;
}

/**
 * Call once at the top of a `describe` block (or a file):
 *
 * ```ts
 * const tb = useTestbed();
 * it("…", async () => {
 *   const topo = await tb.topology({ hosts: ["a", "b"], … });
 *   const bird = tb.track(await startBird(topo.host("a"), { … }));
 * });
 * ```
 */
export function useTestbed(): SuiteTestbed {
  const tracked: (HasLogs & Stoppable)[] = [];
  const deferred: (() => unknown)[] = [];
  const tb: SuiteTestbed = {
    async topology(spec) {
      const t = await createTopology(spec);
      deferred.push(() => t.destroy());
      return t;
    },
    track(d) {
      tracked.push(d);
      deferred.push(() => d.stop());
      return d;
    },
    defer(fn) {
      deferred.push(fn);
    },
    logs() {
      return tracked.map((d) => d.logs()).join("\n");
    },
  };
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail" && tracked.length > 0) {
      console.error(
        `\n===== daemon logs for failed test "${ctx.task.name}" =====\n${tb.logs()}\n=====`,
      );
    }
  });
  afterAll(async () => {
    for (const fn of deferred.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error("testbed clean-up failed:", e);
      }
    }
  });
  return tb;
}
