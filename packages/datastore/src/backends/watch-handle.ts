// The Watch handle of the in-process backends (memory, SQLite): their
// watchers live in this process, so a watch is registered at once and
// closing it only marks the watcher and lets the backend forget it.
import type { Watch } from "../types.js";

/** A watcher kept in this process. */
export interface LocalWatcher {
  /** The revision the next delivered event may have. */
  next: number;
  /** Set when the watch is closed or ended. */
  closed: boolean;
}

/** The {@link Watch} of `w`; closing marks it closed, then calls `forget`. */
export function localWatch(w: LocalWatcher, forget: () => void): Watch {
  return {
    ready: Promise.resolve(),
    get nextRevision() {
      return w.next;
    },
    close: async () => {
      w.closed = true;
      forget();
    },
  };
}
