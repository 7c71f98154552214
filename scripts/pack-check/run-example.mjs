// Runs one compiled README example in a fresh sandbox (sandbox.mjs) the way
// its fence says (fences.mjs) and says whether it did what it should.
import { namespacesOf } from "./fences.mjs";
import { createSandbox, destroySync, runIn, startEtcd } from "./sandbox.mjs";

const tail = (s, n = 8) => s.trim().split("\n").slice(-n).join("\n      ");

/** What went wrong with one process run, or undefined when it exited 0. */
function failure(r, what) {
  if (r.timedOut)
    return `${what}: still running after its time limit (not ended: a close() missing, or a "runs=service" fence?)\n      ${tail(r.stdout + r.stderr)}`;
  if (r.code !== 0)
    return `${what}: exit ${r.code ?? r.signal}\n      ${tail(r.stderr || r.stdout)}`;
  return undefined;
}

// A CNI plugin is called by a runtime (CNI SPEC.md §3): the verb in
// CNI_COMMAND, the network configuration on stdin, the result on stdout.
async function runCniPlugin(sb, file, cwd) {
  const netns = "pack-check-pod";
  const conf = JSON.stringify({ cniVersion: "1.1.0", name: "pods", type: "readme-example" });
  const env = {
    CNI_CONTAINERID: "pack-check",
    CNI_NETNS: `/run/netns/${netns}`,
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
  };
  const call = (verb) =>
    runIn(sb, [process.execPath, file], {
      cwd,
      env: { ...env, CNI_COMMAND: verb },
      stdin: verb === "VERSION" ? JSON.stringify({ cniVersion: "1.1.0" }) : conf,
      namespaces: [netns],
    });
  const v = await call("VERSION");
  const vf = failure(v, "VERSION");
  if (vf) return { ok: false, detail: vf };
  if (!JSON.parse(v.stdout).supportedVersions?.length)
    return { ok: false, detail: `VERSION printed no supportedVersions: ${v.stdout.trim()}` };
  const a = await call("ADD");
  const af = failure(a, "ADD");
  if (af) return { ok: false, detail: af };
  const result = JSON.parse(a.stdout);
  if (!result.ips?.length) return { ok: false, detail: `ADD printed no ips: ${a.stdout.trim()}` };
  const d = await call("DEL");
  const df = failure(d, "DEL");
  if (df) return { ok: false, detail: df };
  return { ok: true, detail: `VERSION, ADD (${result.ips.map((i) => i.address).join(", ")}), DEL` };
}

/**
 * Runs `file` (compiled JavaScript of example `ex`) with node in the consumer
 * project `cwd`, inside a sandbox made for this run and removed after it.
 * @returns {Promise<{ok: boolean, detail: string}>}
 */
export async function runExample(ex, file, cwd) {
  const sb = createSandbox();
  const t0 = Date.now();
  try {
    const env = {};
    if (ex.needs.includes("etcd")) env.ETCD_ENDPOINTS = await startEtcd(sb);
    let out;
    if (ex.runs === "cni-plugin") out = await runCniPlugin(sb, file, cwd);
    else {
      const r = await runIn(sb, [process.execPath, file], {
        cwd,
        env,
        namespaces: namespacesOf(ex),
        ...(ex.runs === "service" ? { serviceMs: 3000 } : {}),
      });
      const f = r.stillRunning ? undefined : failure(r, "node");
      out = f
        ? { ok: false, detail: f }
        : { ok: true, detail: r.stillRunning ? "still running after 3 s, then stopped" : "exit 0" };
    }
    const extras = [ex.needs.length ? `needs ${ex.needs.join(", ")}` : "", `netns ${sb.name}`]
      .filter(Boolean)
      .join("; ");
    return {
      ...out,
      detail: `${out.detail} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${extras})`,
    };
  } catch (e) {
    return { ok: false, detail: `${e.message}` };
  } finally {
    destroySync(sb);
  }
}
