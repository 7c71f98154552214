// A pod's workload: an HTTP server that answers every request with the pod's
// name, as the web pods behind F5's lab virtual server do.
//   node pod-server.mjs <pod-name> <port>
import { createServer } from "node:http";

const [name, port] = process.argv.slice(2);
if (!name || !port) {
  process.stderr.write("usage: pod-server.mjs <pod-name> <port>\n");
  process.exit(2);
}
createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`${name}\n`);
}).listen(Number(port), "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
