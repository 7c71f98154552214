// `tortiectl dashboard [--listen 127.0.0.1:9099] [--allow-remote]`: serves
// the live routing picture until interrupted. Read-only; loopback unless
// --allow-remote says otherwise (the page shows every pod, label and
// address of the cluster, and the server has no authentication).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Datastore } from "@tortie/datastore";
import { isLoopback, parseListen, startDashboard } from "../dashboard/server.js";
import { UsageError } from "../errors.js";
import type { Out } from "./resources.js";

/** Options of `dashboard`. */
export interface DashboardCommandOptions {
  readonly listen: string;
  readonly allowRemote?: boolean;
}

/** Where the built page is: beside the bundled bin, or in dist/ when run from src/. */
export function pageDir(): string {
  const candidates = [
    new URL("./dashboard/", import.meta.url),
    new URL("../../dist/dashboard/", import.meta.url),
  ].map((u) => fileURLToPath(u));
  return candidates.find((d) => existsSync(`${d}index.html`)) ?? candidates[0]!;
}

/** Checks `--listen` (before the datastore is opened): loopback unless --allow-remote. */
export function listenAddress(o: DashboardCommandOptions): { host: string; port: number } {
  let where: { host: string; port: number };
  try {
    where = parseListen(o.listen);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!isLoopback(where.host) && !o.allowRemote)
    throw new UsageError(
      `--listen ${o.listen} is not a loopback address: the dashboard has no authentication and shows the whole cluster; add --allow-remote to serve it anyway`,
    );
  return where;
}

/** Serves the dashboard until SIGINT or SIGTERM. */
export async function dashboardCommand(
  store: Datastore,
  o: DashboardCommandOptions,
  out: Out,
): Promise<void> {
  const where = listenAddress(o);
  const d = await startDashboard({
    store,
    host: where.host,
    port: where.port,
    pageDir: pageDir(),
    ...(o.allowRemote ? { remote: true } : {}),
  });
  out.stdout.write(`tortiectl dashboard: serving ${d.url} (read-only; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await d.close();
}
