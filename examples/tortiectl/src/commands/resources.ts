// calicoctl's resource verbs: apply, create, replace, delete, get, patch,
// label — on users' own YAML, through the typed client.
//
// Files are read and validated whole before anything is written, so a bad
// document in a directory changes nothing. Writes then go one resource at a
// time (as calicoctl); a failure part-way says how many went in.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Datastore } from "@tortie/datastore";
import { KeyExistsError, KeyNotFoundError, RevisionMismatchError } from "@tortie/datastore";
import { stringify as toYaml } from "yaml";
import { CommandError, UsageError } from "../errors.js";
import {
  clientOf,
  type KindMeta,
  type LoadedResource,
  loadFile,
  metaOf,
  type Resource,
  resolveKind,
} from "../model.js";

/** Where commands print, and whether stderr is a terminal (progress). */
export interface Out {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  readonly progress: boolean;
  readonly readStdin: () => string;
}

/** Reads `-f` sources: files, directories (their *.yaml, *.yml, *.json) or `-`. */
export function readSources(paths: readonly string[], out: Out): LoadedResource[] {
  if (paths.length === 0) throw new UsageError("-f FILE|DIR|- is required");
  const files: string[] = [];
  for (const p of paths) {
    if (p === "-") {
      files.push("-");
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const inside = readdirSync(p)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort()
        .map((f) => join(p, f));
      if (inside.length === 0)
        throw new UsageError(`${p}: no .yaml, .yml or .json files in the directory`);
      files.push(...inside);
    } else {
      files.push(p);
    }
  }
  const all: LoadedResource[] = [];
  for (const f of files) {
    const text = f === "-" ? out.readStdin() : readFileSync(f, "utf8");
    all.push(...loadFile(text, f === "-" ? "<stdin>" : f));
  }
  if (all.length === 0) throw new CommandError(`no resources in ${paths.join(", ")}`);
  return all;
}

type Verb = "apply" | "create" | "replace" | "delete";
const PAST: Record<Verb, string> = {
  apply: "applied",
  create: "created",
  replace: "replaced",
  delete: "deleted",
};

/** apply / create / replace / delete -f: writes every resource of the files. */
export async function writeResources(
  store: Datastore,
  verb: Verb,
  loaded: readonly LoadedResource[],
  out: Out,
) {
  const client = clientOf(store);
  const done: Resource[] = [];
  if (verb !== "delete") {
    // Calico fields Tortie keeps but does not act on: said, never refused.
    for (const { unused, where } of loaded) {
      for (const u of unused) {
        out.stderr.write(
          `tortiectl: note: ${where}: ${u.resource}${u.path ? `: ${u.path}` : ""} is stored but Tortie does not act on it\n`,
        );
      }
    }
  }
  let lastShown = Date.now();
  for (const [i, { resource, where }] of loaded.entries()) {
    const m = metaOf(resource);
    const ref = { apiVersion: resource.apiVersion, kind: resource.kind, name: m.name, ...nsOf(m) };
    try {
      if (verb === "apply") await client.apply(resource);
      else if (verb === "create") await client.create(resource);
      else if (verb === "replace") {
        if (!(await client.get(ref))) throw new KeyNotFoundError(client.keyOf(ref));
        await client.update(resource);
      } else if (!(await client.delete(ref))) throw new KeyNotFoundError(client.keyOf(ref));
    } catch (e) {
      const why =
        e instanceof KeyExistsError
          ? "resource already exists"
          : e instanceof KeyNotFoundError
            ? "resource does not exist"
            : e instanceof RevisionMismatchError
              ? "resource was changed by someone else (resourceVersion does not match)"
              : (e as Error).message.split("\n")[0];
      const partial =
        done.length > 0
          ? `; partial success: ${PAST[verb]} the first ${done.length} of ${loaded.length}`
          : "";
      throw new CommandError(`${where}: ${resource.kind}(${label(m)}): ${why}${partial}`);
    }
    done.push(resource);
    if (out.progress && Date.now() - lastShown > 500) {
      out.stderr.write(`\r${PAST[verb]} ${i + 1}/${loaded.length}`);
      lastShown = Date.now();
    }
  }
  if (out.progress && loaded.length > 1) out.stderr.write("\r\x1b[K");
  out.stdout.write(`Successfully ${PAST[verb]} ${summary(done)}\n`);
}

/** delete KIND NAME. */
export async function deleteByName(
  store: Datastore,
  kindWord: string,
  names: readonly string[],
  namespace: string | undefined,
  out: Out,
) {
  const k = resolveKind(kindWord);
  const client = clientOf(store);
  for (const name of names) {
    const ref = {
      apiVersion: k.apiVersion,
      kind: k.kind,
      name,
      ...(k.namespaced ? { namespace: namespace ?? "default" } : {}),
    };
    if (!(await client.delete(ref)))
      throw new CommandError(`${k.kind}(${label(ref)}): resource does not exist`);
  }
  out.stdout.write(`Successfully deleted ${names.length} '${k.kind}' resource(s)\n`);
}

/** Output formats of `get`. */
export type Format = "ps" | "wide" | "yaml" | "json" | `custom-columns=${string}`;

/** get KIND [NAME…]. */
export async function getResources(
  store: Datastore,
  kindWord: string,
  names: readonly string[],
  opts: { output: string; namespace?: string; allNamespaces?: boolean },
  out: Out,
) {
  const k = resolveKind(kindWord);
  const format = parseFormat(opts.output);
  const client = clientOf(store);
  let items: Resource[];
  const ns = k.namespaced
    ? opts.allNamespaces
      ? undefined
      : (opts.namespace ?? "default")
    : undefined;
  if (names.length > 0) {
    items = [];
    for (const name of names) {
      const r = await client.get({
        apiVersion: k.apiVersion,
        kind: k.kind,
        name,
        ...(ns !== undefined ? { namespace: ns } : {}),
      });
      if (!r)
        throw new CommandError(`${k.kind}(${ns ? `${ns}/` : ""}${name}): resource does not exist`);
      items.push(r);
    }
  } else {
    items = await client.list(k.apiVersion, k.kind, ns);
    items.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  }
  out.stdout.write(render(k, items, format, names.length === 1, opts.allNamespaces === true));
}

/** patch KIND NAME -p PATCH: a JSON merge patch (RFC 7386) of the resource. */
export async function patchResource(
  store: Datastore,
  kindWord: string,
  name: string,
  patch: string,
  namespace: string | undefined,
  out: Out,
) {
  const k = resolveKind(kindWord);
  let p: unknown;
  try {
    p = JSON.parse(patch);
  } catch {
    throw new UsageError(`--patch is not valid JSON: ${patch}`);
  }
  if (p === null || typeof p !== "object" || Array.isArray(p))
    throw new UsageError("--patch must be a JSON object");
  const client = clientOf(store);
  const ref = {
    apiVersion: k.apiVersion,
    kind: k.kind,
    name,
    ...(k.namespaced ? { namespace: namespace ?? "default" } : {}),
  };
  const cur = await client.get(ref);
  if (!cur) throw new CommandError(`${k.kind}(${label(ref)}): resource does not exist`);
  const next = mergePatch(cur, p) as Record<string, unknown>;
  for (const f of ["apiVersion", "kind"] as const) {
    if (next[f] !== (cur as Record<string, unknown>)[f])
      throw new UsageError(`--patch cannot change ${f}`);
  }
  const nm = next.metadata as Record<string, unknown>;
  if (nm?.name !== metaOf(cur).name) throw new UsageError("--patch cannot change metadata.name");
  await updateOrExplain(store, next, k, ref);
  out.stdout.write(`Successfully patched 1 '${k.kind}' resource\n`);
}

/** label KIND NAME key=value… | key --remove. */
export async function labelResource(
  store: Datastore,
  kindWord: string,
  name: string,
  labels: readonly string[],
  opts: { overwrite?: boolean; remove?: boolean; namespace?: string },
  out: Out,
) {
  const k = resolveKind(kindWord);
  if (labels.length === 0)
    throw new UsageError("label: give at least one key=value (or key with --remove)");
  const client = clientOf(store);
  const ref = {
    apiVersion: k.apiVersion,
    kind: k.kind,
    name,
    ...(k.namespaced ? { namespace: opts.namespace ?? "default" } : {}),
  };
  const cur = await client.get(ref);
  if (!cur) throw new CommandError(`${k.kind}(${label(ref)}): resource does not exist`);
  const m = metaOf(cur);
  const next = { ...(m.labels ?? {}) };
  for (const l of labels) {
    if (opts.remove) {
      if (!(l in next)) throw new CommandError(`${k.kind}(${label(ref)}): has no label ${l}`);
      delete next[l];
      continue;
    }
    const eq = l.indexOf("=");
    if (eq <= 0) throw new UsageError(`label ${JSON.stringify(l)} is not key=value`);
    const key = l.slice(0, eq);
    const value = l.slice(eq + 1);
    if (
      !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(
        key,
      )
    ) {
      throw new UsageError(`label key ${JSON.stringify(key)} is not a valid Kubernetes label key`);
    }
    if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) {
      throw new UsageError(
        `label value ${JSON.stringify(value)} is not a valid Kubernetes label value`,
      );
    }
    if (key in next && next[key] !== value && !opts.overwrite) {
      throw new CommandError(
        `${k.kind}(${label(ref)}): label ${key} is already ${next[key]}; use --overwrite`,
      );
    }
    next[key] = value;
  }
  await updateOrExplain(store, { ...cur, metadata: { ...m, labels: next } }, k, ref);
  out.stdout.write(
    `Successfully ${opts.remove ? "removed label from" : "set label on"} ${k.kind} ${name}\n`,
  );
}

async function updateOrExplain(
  store: Datastore,
  next: unknown,
  k: KindMeta,
  ref: { name: string; namespace?: string },
) {
  try {
    await clientOf(store).update(next);
  } catch (e) {
    if (e instanceof RevisionMismatchError) {
      throw new CommandError(
        `${k.kind}(${label(ref)}): changed by someone else meanwhile; run the command again`,
      );
    }
    throw new CommandError(`${k.kind}(${label(ref)}): ${(e as Error).message.split("\n")[0]}`);
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, v] of Object.entries(patch as Record<string, unknown>)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new UsageError(`--patch: key ${JSON.stringify(key)} is not allowed`);
    }
    if (v === null) delete base[key];
    else base[key] = mergePatch(base[key], v);
  }
  return base;
}

function parseFormat(o: string): Format {
  if (o === "ps" || o === "wide" || o === "yaml" || o === "json") return o;
  if (o.startsWith("custom-columns=") && o.length > "custom-columns=".length) return o as Format;
  throw new UsageError(
    `-o must be ps, wide, yaml, json or custom-columns=HEADER:.path,…; not ${JSON.stringify(o)}`,
  );
}

// Columns of the table forms, per kind (calicoctl's, for the kinds it has them).
const COLUMNS: Record<string, { ps: [string, string][]; wide: [string, string][] }> = {
  IPPool: {
    ps: [
      ["NAME", ".metadata.name"],
      ["CIDR", ".spec.cidr"],
      ["SELECTOR", ".spec.nodeSelector"],
    ],
    wide: [
      ["NAME", ".metadata.name"],
      ["CIDR", ".spec.cidr"],
      ["NAT", ".spec.natOutgoing"],
      ["IPIPMODE", ".spec.ipipMode"],
      ["VXLANMODE", ".spec.vxlanMode"],
      ["DISABLED", ".spec.disabled"],
      ["SELECTOR", ".spec.nodeSelector"],
    ],
  },
  BGPPeer: {
    ps: [
      ["NAME", ".metadata.name"],
      ["PEERIP", ".spec.peerIP"],
      ["NODE", ".spec.node"],
      ["ASN", ".spec.asNumber"],
    ],
    wide: [
      ["NAME", ".metadata.name"],
      ["PEERIP", ".spec.peerIP"],
      ["NODE", ".spec.node"],
      ["NODESELECTOR", ".spec.nodeSelector"],
      ["ASN", ".spec.asNumber"],
      ["FILTERS", ".spec.filters"],
    ],
  },
  Node: {
    ps: [["NAME", ".metadata.name"]],
    wide: [
      ["NAME", ".metadata.name"],
      ["ASN", ".spec.bgp.asNumber"],
      ["IPV4", ".spec.bgp.ipv4Address"],
      ["IPV6", ".spec.bgp.ipv6Address"],
    ],
  },
};

function render(
  k: KindMeta,
  items: readonly Resource[],
  format: Format,
  single: boolean,
  allNs: boolean,
): string {
  if (format === "yaml" || format === "json") {
    const doc = single ? items[0]! : { apiVersion: k.apiVersion, kind: `${k.kind}List`, items };
    return format === "json"
      ? `${JSON.stringify(doc, null, 2)}\n`
      : toYaml(doc, { sortMapEntries: false });
  }
  let cols: [string, string][];
  if (format.startsWith("custom-columns=")) {
    cols = format
      .slice("custom-columns=".length)
      .split(",")
      .map((c) => {
        const i = c.indexOf(":");
        if (i <= 0 || !c.slice(i + 1).startsWith("."))
          throw new UsageError(`custom column ${JSON.stringify(c)} is not HEADER:.path`);
        return [c.slice(0, i), c.slice(i + 1)] as [string, string];
      });
  } else {
    const byKind = COLUMNS[k.kind];
    cols = byKind ? byKind[format === "wide" ? "wide" : "ps"] : [["NAME", ".metadata.name"]];
    if (k.namespaced && allNs) cols = [["NAMESPACE", ".metadata.namespace"], ...cols];
  }
  const rows = items.map((r) => cols.map(([, path]) => cell(pick(r, path))));
  const header = cols.map(([h]) => h);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join("")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".").filter(Boolean)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.map(cell).join(",");
  if (typeof v === "object") return JSON.stringify(v);
  // One line per row whatever the datastore holds.
  return String(v).replace(/[\x00-\x1f\x7f]/g, "?");
}

function sortKey(r: Resource): string {
  const m = metaOf(r);
  return `${m.namespace ?? ""}/${m.name}`;
}

function nsOf(m: { namespace?: string }): { namespace?: string } {
  return m.namespace !== undefined ? { namespace: m.namespace } : {};
}

function label(m: { name: string; namespace?: string }): string {
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

function summary(rs: readonly Resource[]): string {
  const by = new Map<string, number>();
  for (const r of rs) by.set(r.kind, (by.get(r.kind) ?? 0) + 1);
  return [...by].map(([k, n]) => `${n} '${k}' resource(s)`).join(", ");
}
