// tortiectl — the operator's command line: Calico's calicoctl verbs on users'
// own YAML, IPAM, node status, policy explain, and the BIG-IP side of the
// peering. Every failure is one line on stderr (no stack traces) and an exit
// code scripts can trust: 0 done, 1 the operation failed, 2 usage error.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildProgram, runCli } from "./program.js";

export { buildProgram, runCli };

const invokedDirectly = (() => {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  runCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then((code) => {
    process.exitCode = code;
  });
}
