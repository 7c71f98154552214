// ELK in a worker thread, for the dashboard. elkjs computes a layout
// synchronously; on the server's own thread a layout (a few hundred ms on a
// busy machine) would hold back the datastore watch and the state events
// that must reach the page within 2 s. The worker is plain CommonJS given
// as source (no file of its own to ship beside the bundled bin); it loads
// elkjs from the path this module resolves.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { ElkNode } from "elkjs/lib/elk.bundled.js";

/** Lays out an ELK graph. */
export type Layouter = (root: ElkNode) => Promise<ElkNode>;

const SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const m = require(workerData.elk);
const elk = new (m.default || m)();
parentPort.on("message", (msg) => {
  elk.layout(msg.root).then(
    (result) => parentPort.postMessage({ id: msg.id, result }),
    (e) => parentPort.postMessage({ id: msg.id, error: String((e && e.message) || e) }),
  );
});
`;

/** A layouter backed by one worker thread; `close` ends the thread. */
export function workerLayouter(): { layout: Layouter; close(): Promise<void> } {
  const elk = createRequire(import.meta.url).resolve("elkjs/lib/elk.bundled.js");
  const worker = new Worker(SOURCE, { eval: true, workerData: { elk } });
  worker.unref();
  const waiting = new Map<number, { resolve: (n: ElkNode) => void; reject: (e: Error) => void }>();
  let next = 0;
  worker.on("message", (m: { id: number; result?: ElkNode; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`layout: ${m.error}`));
    else w?.resolve(m.result!);
  });
  worker.on("error", (e) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });
  return {
    layout: (root) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, root });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
