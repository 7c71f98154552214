// Health, readiness and metrics over HTTP (Felix's health port is 9099):
//   GET /liveness   200 while the agent runs
//   GET /readiness  200 when synced with the datastore and applied, else 503
//   GET /metrics    Prometheus text
//   GET /status     the status record as JSON
// Anything else is 404; only GET/HEAD are accepted (405).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server asks the agent. */
export interface HttpSources {
  live(): boolean;
  ready(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): unknown;
}

/** Starts the server on host:port (port 0: any); resolves with the bound port. */
export async function startHttp(
  listen: string,
  src: HttpSources,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(i + 1));
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const text = (code: number, body: string) =>
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8" }).end(body);
    if (path === "/liveness") text(src.live() ? 200 : 503, src.live() ? "live\n" : "dead\n");
    else if (path === "/readiness")
      text(src.ready() ? 200 : 503, src.ready() ? "ready\n" : "not ready\n");
    else if (path === "/metrics")
      src.metrics().then(
        (m) => res.writeHead(200, { "content-type": m.contentType }).end(m.body),
        () => text(500, "metrics failed\n"),
      );
    else if (path === "/status")
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(src.status()));
    else text(404, "not found\n");
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
