// `tortiectl dashboard`'s HTTP server: read-only, loopback unless told
// otherwise. It serves the page bundled at build time, the picture as JSON,
// the node and pod panels, the policy engine's verdict for a flow, and
// Server-Sent Events (HTML Living Standard §9.2) pushed from the datastore's
// watch: every change under "/" rebuilds the picture and, when it differs,
// sends it to every open page.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Datastore, Watch } from "@tortie/datastore";
import { policyExplain } from "../commands/policy.js";
import { nodeDetails, podDetails } from "./details.js";
import { type DashboardEvent, diffEvents, type Observed } from "./events.js";
import { workerLayouter } from "./layout-worker.js";
import { buildGraph, type ClusterGraph } from "./model.js";
import { readGraphInputs } from "./read.js";
import { layoutGraph } from "./scene.js";

/** Most event streams served at once. */
export const MAX_STREAMS = 64;
/** Bytes that may wait for one stream client before it is dropped (default of {@link DashboardOptions.maxUnsentBytes}). */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/** The Content-Security-Policy of every answer: nothing but this server's own files. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  readonly store: Datastore;
  readonly host: string;
  readonly port: number;
  /** The folder with the built page (index.html, app.js, app.css). */
  readonly pageDir: string;
  /** Accept Host headers other than loopback names (set with --allow-remote). */
  readonly remote?: boolean;
  /** Rebuild the picture this often even without a change (ms; default 5000). */
  readonly refreshMs?: number;
  /**
   * Bytes that may wait, unsent, for one event-stream client before the
   * server drops it (default {@link MAX_UNSENT_BYTES}, 4 MiB): a local
   * process that opens a stream and never reads cannot grow the server's
   * memory without bound.
   */
  readonly maxUnsentBytes?: number;
}

/** A running dashboard. */
export interface Dashboard {
  readonly url: string;
  readonly port: number;
  /** Event streams open now (at most {@link MAX_STREAMS}). */
  streams(): number;
  close(): Promise<void>;
}

const MAX_EVENTS = 500;

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Parses `host:port` (`[v6]:port` for IPv6). */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:9099), not ${s}`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Starts the server; resolves once it listens. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const files: Record<string, { type: string; body: Buffer }> = {};
  for (const [path, file, type] of [
    ["/", "index.html", "text/html; charset=utf-8"],
    ["/app.js", "app.js", "text/javascript; charset=utf-8"],
    ["/app.css", "app.css", "text/css; charset=utf-8"],
  ] as const) {
    try {
      files[path] = { type, body: readFileSync(join(o.pageDir, file)) };
    } catch {
      throw new Error(
        `the dashboard page is not built (${join(o.pageDir, file)} missing): run npm run build -w @tortie/example-tortiectl`,
      );
    }
  }

  // The picture as last read (states, events) and as last laid out (the
  // page's drawing). Reading is quick and pushes states at once; layouts run
  // in a worker thread, one at a time, always on the newest picture.
  let current: { observed: Observed; key: string } | undefined;
  let drawn: string | undefined;
  const events: DashboardEvent[] = [];
  const clients = new Set<ServerResponse>();
  const maxUnsent = o.maxUnsentBytes ?? MAX_UNSENT_BYTES;
  // A stream client that stops reading is dropped once this much waits
  // for it, so no local client can grow the server's memory without bound.
  const push = (c: ServerResponse, text: string) => {
    if (c.writableLength > maxUnsent) {
      clients.delete(c);
      c.destroy();
    } else c.write(text);
  };
  const broadcast = (event: string, data: string) => {
    for (const c of clients) push(c, `event: ${event}\ndata: ${data}\n\n`);
  };
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const layouter = workerLayouter();
  let toLayOut: ClusterGraph | undefined;
  let layingOut: Promise<void> | undefined;

  const layoutLoop = async (): Promise<void> => {
    while (toLayOut && !closed) {
      const graph = toLayOut;
      toLayOut = undefined;
      try {
        const scene = await layoutGraph(graph, layouter.layout);
        drawn = JSON.stringify({ graph, scene });
        broadcast("graph", drawn);
      } catch (e) {
        broadcast("failure", JSON.stringify((e as Error).message));
      }
    }
  };
  const requestLayout = (graph: ClusterGraph): Promise<void> => {
    toLayOut = graph;
    layingOut ??= layoutLoop().finally(() => {
      layingOut = undefined;
    });
    return layingOut;
  };

  const rebuild = async (): Promise<void> => {
    const inputs = await readGraphInputs(o.store);
    const graph = buildGraph(inputs);
    const { generatedAt: _g, ...rest } = graph;
    const key = JSON.stringify(rest);
    if (current && key === current.key) return;
    // States first: the page recolours what it has drawn while the new
    // layout is computed.
    broadcast(
      "states",
      JSON.stringify({
        sessions: Object.fromEntries(graph.sessions.map((s) => [s.id, [s.state, s.colour]])),
        nodes: Object.fromEntries(graph.nodes.map((n) => [n.name, n.health])),
      }),
    );
    const observed = { graph, records: inputs.records };
    events.push(...diffEvents(current?.observed, observed, graph.generatedAt));
    events.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
    events.splice(0, Math.max(0, events.length - MAX_EVENTS));
    current = { observed, key };
    void requestLayout(graph);
  };
  // One read at a time; a change during one asks for one more after it.
  const refresh = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = rebuild()
      .catch((e: Error) => broadcast("failure", JSON.stringify(e.message)))
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          void refresh();
        }
      });
    return running;
  };

  let watch: Watch | undefined;
  const startWatch = () => {
    if (closed) return;
    watch = o.store.watch(
      "/",
      {},
      {
        onEvents: () => void refresh(),
        onCompacted: () => {
          void refresh();
          startWatch();
        },
        onError: () => setTimeout(startWatch, 1000).unref(),
      },
    );
  };
  startWatch();
  await watch?.ready;
  await refresh();
  await layingOut;
  const timer = setInterval(() => void refresh(), o.refreshMs ?? 5000);
  timer.unref();
  const heartbeat = setInterval(() => {
    for (const c of clients) push(c, ": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, v: unknown) =>
    send(res, status, "application/json; charset=utf-8", JSON.stringify(v));

  const handle = async (req: IncomingMessage, res: ServerResponse, port: number) => {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "text/plain", "read-only\n");
    }
    // A page on another site must not reach this server through a name that
    // resolves to 127.0.0.1 (DNS rebinding): only loopback names are served.
    const host = req.headers.host ?? "";
    if (!o.remote && !isLoopbackHost(host, port))
      return send(res, 421, "text/plain", "this dashboard answers only to loopback names\n");
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = files[url.pathname];
    if (file) return send(res, 200, file.type, file.body);
    switch (url.pathname) {
      case "/api/graph":
        return send(res, 200, "application/json; charset=utf-8", drawn ?? "{}");
      case "/api/events":
        return json(res, 200, events);
      case "/api/stream": {
        if (clients.size >= MAX_STREAMS) return json(res, 503, { error: "too many streams" });
        res.writeHead(200, {
          "Content-Type": "text/event-stream; charset=utf-8",
          Connection: "keep-alive",
        });
        res.write("retry: 1000\n\n");
        if (drawn) res.write(`event: graph\ndata: ${drawn}\n\n`);
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      }
      case "/api/node": {
        const name = url.searchParams.get("name") ?? "";
        const d = await nodeDetails(o.store, name);
        return json(res, 200, {
          ...d,
          events: events.filter((e) => e.nodes.includes(name)).slice(-50),
        });
      }
      case "/api/pod":
        return json(res, 200, await podDetails(o.store, url.searchParams.get("id") ?? ""));
      case "/api/explain": {
        const from = url.searchParams.get("from") ?? "";
        const to = url.searchParams.get("to") ?? "";
        const port = url.searchParams.get("port") ?? "";
        if (!from || !to) return json(res, 400, { error: "from and to are required" });
        try {
          const r = await policyExplain(o.store, { from, to, ...(port ? { port } : {}) });
          return json(res, 200, r);
        } catch (e) {
          return json(res, 400, { error: (e as Error).message });
        }
      }
      default:
        return send(res, 404, "text/plain", "not found\n");
    }
  };

  const server = createServer((req, res) => {
    handle(req, res, (server.address() as AddressInfo).port).catch((e: Error) => {
      if (!res.headersSent) json(res, 500, { error: e.message });
      else res.end();
    });
  });
  // Slow or endless request heads and bodies are cut off (a GET has no body).
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    streams: () => clients.size,
    close: async () => {
      closed = true;
      clearInterval(timer);
      clearInterval(heartbeat);
      for (const c of clients) c.end();
      clients.clear();
      await watch?.close();
      await running;
      await layingOut;
      await layouter.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function isLoopbackHost(header: string, port: number): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
  if (!m) return false;
  return isLoopback(m[1]!) && (m[2] === undefined || Number(m[2]) === port);
}
