// The skel wired to the real process: environment, stdin and stdout of the
// running executable. The plugin's entry file calls `pluginMain(plugin)`.

import { type CniPlugin, skel } from "./skel.js";

/** Reads all of standard input as UTF-8. */
export async function readAllStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Runs `plugin` as this process: env from process.env, configuration from
 * stdin, answer to stdout, logs to stderr; sets process.exitCode.
 */
export async function pluginMain(plugin: CniPlugin): Promise<number> {
  const code = await skel(plugin, {
    env: process.env,
    stdin: () => readAllStdin(),
    stdout: (t) => {
      process.stdout.write(t);
    },
    stderr: (t) => {
      process.stderr.write(t);
    },
  });
  process.exitCode = code;
  return code;
}
