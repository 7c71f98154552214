// `tortiectl graph -o svg|dot [--file F]`: the cluster's routing picture —
// nodes, external peers, BGP sessions coloured by state, blocks and pods —
// as a file for a ticket or a document (the dashboard draws the same one).
import { writeFileSync } from "node:fs";
import type { Datastore } from "@tortie/datastore";
import { graphToDot } from "../dashboard/dot.js";
import { readGraph } from "../dashboard/read.js";
import { layoutGraph } from "../dashboard/scene.js";
import { sceneToSvg } from "../dashboard/svg.js";
import { UsageError } from "../errors.js";
import type { Out } from "./resources.js";

/** Options of `graph`. */
export interface GraphOptions {
  readonly output: string;
  readonly file?: string;
}

/** Draws the picture of `store` at `now`; writes it to the file or stdout. */
export async function graphCommand(
  store: Datastore,
  o: GraphOptions,
  out: Out,
  now = Date.now(),
): Promise<void> {
  if (o.output !== "svg" && o.output !== "dot")
    throw new UsageError(`-o must be svg or dot, not ${o.output}`);
  const g = await readGraph(store, now);
  const text = o.output === "dot" ? graphToDot(g, now) : sceneToSvg(await layoutGraph(g), now);
  if (o.file) {
    writeFileSync(o.file, text);
    out.stderr.write(
      `wrote ${o.file}: ${g.nodes.length} node(s), ${g.peers.length} peer(s), ${g.sessions.length} session(s)\n`,
    );
  } else out.stdout.write(text);
}
