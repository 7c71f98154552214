// tortie-bgp — a BGP speaker as a daemon.
//
//   tortie-bgp --config bgp.yaml [--socket /run/tortie-bgp.sock]
//       runs the speaker; events are JSON lines on stdout; SIGTERM/SIGINT
//       shut every session down with an RFC 9003 message.
//   tortie-bgp status [--socket PATH] [--table] [--routes [PEER]]
//       asks a running daemon (JSON by default).
import { parseArgs } from "node:util";
import { ConfigError } from "../speaker/config.js";
import { Speaker } from "../speaker/speaker.js";
import { loadConfig, queryStatus, serveStatus, streamEvents } from "./daemon.js";

const DEFAULT_SOCKET = "/run/tortie-bgp.sock";
const USAGE = `usage:
  tortie-bgp --config FILE [--socket PATH]     run the speaker (YAML or JSON config)
  tortie-bgp status [--socket PATH] [--table] [--routes [PEER]]`;

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      socket: { type: "string", short: "s" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.config) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  let speaker: Speaker;
  try {
    speaker = await Speaker.start(await loadConfig(values.config));
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : `tortie-bgp: ${(e as Error).message}`);
    return 1;
  }
  streamEvents(speaker, (line) => process.stdout.write(`${line}\n`));
  const socketPath = values.socket ?? DEFAULT_SOCKET;
  const server = await serveStatus(speaker, socketPath);
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), event: "started", asn: speaker.config.asn, routerId: speaker.config.routerId, socket: socketPath })}\n`,
  );
  await new Promise<void>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => resolve());
  });
  await speaker.close("tortie-bgp stopping");
  server.close();
  return 0;
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      socket: { type: "string", short: "s" },
      table: { type: "boolean" },
      routes: { type: "boolean" },
    },
  });
  const path = values.socket ?? DEFAULT_SOCKET;
  try {
    if (values.table) {
      const r = (await queryStatus(path, { cmd: "table" })) as { table: string };
      console.log(r.table);
    } else if (values.routes) {
      console.log(
        JSON.stringify(
          await queryStatus(path, {
            cmd: "routes",
            ...(positionals[0] ? { peer: positionals[0] } : {}),
          }),
          null,
          2,
        ),
      );
    } else console.log(JSON.stringify(await queryStatus(path, { cmd: "status" }), null, 2));
    return 0;
  } catch (e) {
    console.error(`tortie-bgp status: ${(e as Error).message}`);
    return 1;
  }
}

const [cmd, ...rest] = process.argv.slice(2);
const code =
  cmd === "status" ? await status(rest) : await run(cmd === "run" ? rest : process.argv.slice(2));
process.exit(code);
