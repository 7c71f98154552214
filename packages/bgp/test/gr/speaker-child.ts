// A Speaker in a process of its own, for graceful-restart tests that kill it
// with SIGKILL (what kill -9 of a node agent does: the kernel closes its
// sockets, no NOTIFICATION is sent). Configuration: JSON in argv[2].
// Prints "ready" once started and one JSON line per event.
import { Speaker } from "../../src/speaker/speaker.js";

const speaker = await Speaker.start(JSON.parse(process.argv[2]!));
for (const ev of ["peer-up", "peer-down", "end-of-rib", "warning", "routes-stale"] as const)
  speaker.on(ev, (e: unknown) => process.stdout.write(`${JSON.stringify({ ev, e })}\n`));
process.stdout.write("ready\n");
process.on("SIGTERM", () => void speaker.close().then(() => process.exit(0)));
