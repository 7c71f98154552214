// tortie-node: the node agent's executable.
//
//   tortie-node [--flag value …]          run the agent (configuration: env + flags)
//   tortie-node status [--json] [--control-socket PATH]
//                                         ask a running agent (calicoctl node status)
//
// Exit codes: 0 stopped by a signal or status printed, 1 runtime failure,
// 2 configuration error.
import { hostname } from "node:os";
import { Agent } from "../agent.js";
import { AGENT_FLAGS, AgentConfigError, loadAgentConfig } from "../config/agent-config.js";
import { controlRequest } from "../rooms/status/control.js";
import { formatNodeStatus, type NodeStatus } from "../rooms/status/record.js";

const USAGE = `usage: tortie-node [flags]            run the node agent
       tortie-node status [--json] [--control-socket PATH]
flags (or environment variables):
${AGENT_FLAGS.map((f) => `  ${f.flag.padEnd(20)} ${f.env.join(", ")}`).join("\n")}
`;

async function status(argv: readonly string[]): Promise<number> {
  let json = false;
  let path = process.env.TORTIE_CONTROL_SOCKET || "/var/run/tortie/node.sock";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--control-socket" && argv[i + 1]) path = argv[++i]!;
    else {
      process.stderr.write(`tortie-node status: unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  const r = (await controlRequest(path, { command: "status" })) as {
    ok: boolean;
    status?: NodeStatus;
    error?: string;
  };
  if (!r.ok || !r.status) {
    process.stderr.write(`tortie-node status: ${r.error ?? "no status"}\n`);
    return 1;
  }
  process.stdout.write(
    json ? `${JSON.stringify(r.status, null, 2)}\n` : formatNodeStatus(r.status),
  );
  return r.status.agent.ready ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "status") return status(argv.slice(1));
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: ReturnType<typeof loadAgentConfig>;
  try {
    config = loadAgentConfig(process.env, argv, hostname());
  } catch (e) {
    if (e instanceof AgentConfigError) {
      process.stderr.write(`tortie-node: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const agent = await Agent.start({ config });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      agent.log.info({ signal: sig }, "stopping");
      agent.stop().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tortie-node: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
