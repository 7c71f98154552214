// Checks of everything in deploy/: the systemd units (systemd-analyze verify,
// and the hardening this project requires), the Kubernetes manifest (every
// object against the Kubernetes API schemas of kubernetes-models, offline, and
// strictly: a key the API does not define is an error, as with
// `kubectl apply --validate=strict`), the Dockerfile (dockerfile-utils' linter;
// no image builder exists here), and install-cni.sh run for real into a
// temporary host root, the installed plugin asked CNI_COMMAND=VERSION and the
// conflist read with @tortie/cni's own parsers. Each check has a twin fed a
// broken input, so that a check which cannot fail shows up as a failing test.
//
// Needs the build (packages/*/dist), as CI runs it before the tests.
import { spawnSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CniError,
  deriveRequestConfig,
  parseNetworkConfig,
  parsePluginConfig,
  parseTortieConfig,
} from "@tortie/cni";
import { validate as lintDockerfile } from "dockerfile-utils";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  AgentConfigError,
  loadAgentConfig,
} from "../../examples/node-agent/src/config/agent-config.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DEPLOY = join(ROOT, "deploy");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const temps: string[] = [];
const tempDir = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `tortie-deploy-${tag}-`));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** With CI=true a missing tool fails; elsewhere the test is skipped with the reason. */
function need(path: string, what: string): boolean {
  if (executable(path)) return true;
  const reason = `${what} (${path}) missing — run scripts/install-system.sh`;
  if (process.env.CI === "true") throw new Error(`CI: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return false;
}

// ---------------------------------------------------------------------------
// systemd
// ---------------------------------------------------------------------------

type Unit = Map<string, Map<string, string[]>>;

/** systemd.syntax(7): sections, `Key=value`, `#`/`;` comments, repeated keys accumulate. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const s = /^\[([A-Za-z]+)\]$/.exec(line);
    if (s) {
      section = unit.get(s[1]!) ?? new Map();
      unit.set(s[1]!, section);
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not Key=value in a section: ${raw}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  });
  return unit;
}
const one = (u: Unit, sec: string, key: string) => u.get(sec)?.get(key)?.at(-1);

const UNITS = {
  "tortie-bgp.service": {
    source: "packages/bgp/src/cli/tortie-bgp.ts",
    caps: ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
  },
  "tortie-node.service": {
    source: "examples/node-agent/src/cli/main.ts",
    caps: ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
  },
} as const;

/** systemd-analyze verify: exit status and every line it printed (a warning is a failure). */
function verify(path: string): { status: number | null; out: string } {
  const r = spawnSync("systemd-analyze", ["verify", path], {
    encoding: "utf8",
    env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_PAGER: "" },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe("systemd units", () => {
  const haveAnalyze = need("/usr/bin/systemd-analyze", "systemd-analyze (Debian package systemd)");

  for (const [name, spec] of Object.entries(UNITS)) {
    const path = join(DEPLOY, "systemd", name);

    it.runIf(haveAnalyze)(`${name}: systemd-analyze verify prints nothing and exits 0`, () => {
      expect(verify(path)).toEqual({ status: 0, out: "" });
    });

    it(`${name}: hardened as required`, () => {
      const u = parseUnit(readFileSync(path, "utf8"));
      expect(one(u, "Service", "User")).toBe("root");
      expect(one(u, "Service", "Restart")).toBe("on-failure");
      expect(one(u, "Service", "ProtectSystem")).toBe("strict");
      expect(one(u, "Service", "ProtectHome")).toBe("yes");
      expect(one(u, "Service", "PrivateTmp")).toBe("yes");
      expect(one(u, "Service", "NoNewPrivileges")).toBe("yes");
      const caps = (one(u, "Service", "CapabilityBoundingSet") ?? "").split(/\s+/).sort();
      expect(caps).toEqual([...spec.caps].sort());
      expect(one(u, "Install", "WantedBy")).toBe("multi-user.target");
    });

    it(`${name}: ExecReload exactly when the program handles SIGHUP`, () => {
      const u = parseUnit(readFileSync(path, "utf8"));
      const handlesHup = /process\.(on|once)\("SIGHUP"/.test(read(spec.source));
      const reload = one(u, "Service", "ExecReload");
      if (handlesHup) expect(reload).toBe("/bin/kill -HUP $MAINPID");
      else expect(reload).toBeUndefined();
    });

    it(`${name}: ExecStart runs a file of this repository installed at /opt/tortie`, () => {
      const u = parseUnit(readFileSync(path, "utf8"));
      const [node, script] = (one(u, "Service", "ExecStart") ?? "").split(/\s+/);
      expect(node).toBe("/usr/bin/node");
      expect(script).toMatch(/^\/opt\/tortie\//);
      expect(existsSync(join(ROOT, script!.slice("/opt/tortie/".length)))).toBe(true);
    });
  }

  /** `systemd-analyze security --offline`'s overall exposure (0 safest … 10 unsafe). */
  const exposure = (path: string): number => {
    const r = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", path], {
      encoding: "utf8",
      env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_COLORS: "0" },
    });
    const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(`${r.stdout}${r.stderr}`);
    if (!m) throw new Error(`no exposure level in: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
  };

  it.runIf(haveAnalyze)(
    "both units score OK (exposure below 4.0) in systemd-analyze security",
    () => {
      // 2.9 (tortie-bgp) and 3.1 (tortie-node) on systemd 252 when written; most of the rest
      // is root, the host's network and CAP_SYS_ADMIN, which these daemons need
      for (const name of Object.keys(UNITS))
        expect(exposure(join(DEPLOY, "systemd", name))).toBeLessThan(4);
    },
  );

  it.runIf(haveAnalyze)(
    "the same unit without its hardening scores UNSAFE (the check can fail)",
    () => {
      const dir = tempDir("unit");
      const bare = readFileSync(join(DEPLOY, "systemd/tortie-bgp.service"), "utf8")
        .split("\n")
        .filter(
          (l) =>
            !/^(Protect|Private|Restrict|SystemCall|NoNew|Capability|Lock|RemoveIPC|UMask)/.test(l),
        )
        .join("\n");
      writeFileSync(join(dir, "tortie-bgp.service"), bare);
      expect(exposure(join(dir, "tortie-bgp.service"))).toBeGreaterThan(9);
    },
  );

  it.runIf(haveAnalyze)("verify reports a misspelt key (the check can fail)", () => {
    const dir = tempDir("unit");
    const bad = readFileSync(join(DEPLOY, "systemd/tortie-bgp.service"), "utf8").replace(
      "ProtectHome=yes",
      "ProtectHom=yes",
    );
    writeFileSync(join(dir, "tortie-bgp.service"), bad);
    const r = verify(join(dir, "tortie-bgp.service"));
    expect(r.out).toContain("Unknown key 'ProtectHom'");
  });

  it.runIf(haveAnalyze)("verify reports a missing executable", () => {
    const dir = tempDir("unit");
    const bad = readFileSync(join(DEPLOY, "systemd/tortie-node.service"), "utf8").replace(
      "ExecStart=/usr/bin/node",
      "ExecStart=/usr/bin/no-such-node",
    );
    writeFileSync(join(dir, "tortie-node.service"), bad);
    const r = verify(join(dir, "tortie-node.service"));
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("/usr/bin/no-such-node");
  });

  it("the parser rejects a line outside Key=value", () => {
    expect(() => parseUnit("[Service]\nExecStart /bin/true\n")).toThrow(/line 2/);
  });

  it("tortie-bgp accepts the flags its unit passes", () => {
    const r = spawnSync("node", [join(ROOT, "packages/bgp/dist/cli/tortie-bgp.js"), "--help"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    const out = `${r.stdout}${r.stderr}`;
    const u = parseUnit(readFileSync(join(DEPLOY, "systemd/tortie-bgp.service"), "utf8"));
    const flags = (one(u, "Service", "ExecStart") ?? "").match(/--[a-z-]+/g) ?? [];
    expect(flags).toEqual(["--config", "--socket"]);
    for (const f of flags) expect(out).toContain(f);
  });

  it("node.env holds only settings the agent accepts, and a typo is refused", () => {
    const env = Object.fromEntries(
      read("deploy/systemd/node.env")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const cfg = loadAgentConfig(env, [], "node1");
    expect(cfg.datastore).toEqual({ type: "etcdv3", endpoints: ["http://127.0.0.1:2379"] });
    expect(() => loadAgentConfig({ ...env, TORTIE_LOG_LEVL: "info" }, [], "node1")).toThrow(
      AgentConfigError,
    );
  });
});

// ---------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;
type Model = new (o: never) => object & { validate(): void };
const MODELS: Record<string, Model> = {
  "v1/ConfigMap": ConfigMap as unknown as Model,
  "v1/ServiceAccount": ServiceAccount as unknown as Model,
  "apps/v1/DaemonSet": DaemonSet as unknown as Model,
};

/**
 * Validates against the API schema and reports keys the schema does not
 * define. The schema validators (compiled from the Kubernetes OpenAPI
 * definitions) read every property they define, and enumerate the keys of
 * maps; a key of the object that the validator never read is one the API
 * does not know (the API server would drop it, or refuse it with
 * --validate=strict).
 */
function validateStrict(doc: Obj): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = MODELS[key];
  if (!Model) return [`${key}: no schema for this kind in this check`];
  const seen = new Map<object, Set<PropertyKey>>();
  const wrap = (o: unknown): unknown => {
    if (o === null || typeof o !== "object") return o;
    const keys = new Set<PropertyKey>();
    seen.set(o, keys);
    return new Proxy(o as object, {
      get(t, k, r) {
        keys.add(k);
        return wrap(Reflect.get(t, k, r));
      },
      has(t, k) {
        keys.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        for (const k of Reflect.ownKeys(t)) keys.add(k);
        return Reflect.ownKeys(t);
      },
    });
  };
  const errors: string[] = [];
  const instance = new Model(doc as never);
  try {
    // the model copies the object; its validate() checks `this`
    Model.prototype.validate.call(wrap(instance));
  } catch (e) {
    errors.push(`${key}: ${(e as Error).message}`);
  }
  const walk = (o: unknown, path: string) => {
    if (o === null || typeof o !== "object") return;
    const keys = seen.get(o);
    for (const [k, v] of Object.entries(o)) {
      const p = Array.isArray(o) ? `${path}[${k}]` : `${path}.${k}`;
      if (keys && !Array.isArray(o) && !keys.has(k)) errors.push(`${key}: unknown field ${p}`);
      walk(v, p);
    }
  };
  walk(instance, "");
  return errors;
}

function loadManifest(text: string): Obj[] {
  return parseAllDocuments(text).map((d, i) => {
    if (d.errors.length > 0) throw new Error(`document ${i + 1}: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  });
}

const manifest = () => loadManifest(read("deploy/kubernetes/tortie-node.yaml"));
const byKind = (docs: Obj[], kind: string) => docs.find((d) => d.kind === kind) as Obj;
// biome-ignore lint/suspicious/noExplicitAny: walking a parsed manifest
type Any = any;

describe("Kubernetes manifest", () => {
  it("every object is valid against the API schema, with no unknown field", () => {
    const docs = manifest();
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "ServiceAccount", "DaemonSet"]);
    for (const d of docs) expect(validateStrict(d)).toEqual([]);
  });

  it("a misspelt field, a wrong type and a bad enum value are each reported", () => {
    const ds = () => structuredClone(byKind(manifest(), "DaemonSet")) as Any;
    const typo = ds();
    typo.spec.template.spec.hostNetwrok = true;
    expect(validateStrict(typo)).toEqual([
      "apps/v1/DaemonSet: unknown field .spec.template.spec.hostNetwrok",
    ]);
    const deep = ds();
    deep.spec.template.spec.containers[0].securityContext.privilegd = true;
    expect(validateStrict(deep)).toEqual([
      "apps/v1/DaemonSet: unknown field .spec.template.spec.containers[0].securityContext.privilegd",
    ]);
    const type = ds();
    type.spec.template.spec.hostNetwork = "yes";
    expect(validateStrict(type).join()).toMatch(/hostNetwork.*boolean/s);
    const en = ds();
    en.spec.template.spec.containers[0].imagePullPolicy = "Sometimes";
    expect(validateStrict(en).join()).toMatch(/imagePullPolicy/);
    const missing = ds();
    delete missing.spec.selector;
    expect(validateStrict(missing).join()).toMatch(/selector/);
  });

  it("labels and data maps are not reported as unknown fields", () => {
    const cm = structuredClone(byKind(manifest(), "ConfigMap")) as Any;
    cm.data.anything_at_all = "x";
    cm.metadata.labels["example.org/x"] = "y";
    expect(validateStrict(cm)).toEqual([]);
  });

  it("the DaemonSet is shaped as calico-node's", () => {
    const docs = manifest();
    const ds = byKind(docs, "DaemonSet") as Any;
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(ds.spec.selector.matchLabels).toEqual(ds.spec.template.metadata.labels);
    expect(pod.tolerations).toContainEqual({ operator: "Exists" });
    const hostPaths = pod.volumes.filter((v: Any) => v.hostPath).map((v: Any) => v.hostPath.path);
    for (const p of [
      "/lib/modules",
      "/var/run/tortie",
      "/var/lib/tortie",
      "/etc/cni/net.d",
      "/opt/cni/bin",
    ])
      expect(hostPaths).toContain(p);
    const volumes = new Set(pod.volumes.map((v: Any) => v.name));
    const cm = byKind(docs, "ConfigMap") as Any;
    const [init] = pod.initContainers;
    expect(init.command).toEqual(["/usr/local/bin/install-cni"]);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext.privileged).toBe(true);
      const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e]));
      expect(env.NODENAME.valueFrom.fieldRef.fieldPath).toBe("spec.nodeName");
      for (const m of c.volumeMounts) expect(volumes).toContain(m.name);
      for (const e of c.env) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref) {
          expect(ref.name).toBe(cm.metadata.name);
          expect(Object.keys(cm.data)).toContain(ref.key);
        }
      }
    }
    expect(pod.serviceAccountName).toBe((byKind(docs, "ServiceAccount") as Any).metadata.name);
  });

  it("install-cni.sh reads every variable the init container and the image set", () => {
    const script = read("deploy/install-cni.sh");
    const reads = new Set([...script.matchAll(/\$\{([A-Z_]+)[-:}]/g)].map((m) => m[1]));
    const [init] = (byKind(manifest(), "DaemonSet") as Any).spec.template.spec.initContainers;
    const image = [...read("deploy/container/Dockerfile").matchAll(/(TORTIE_CNI_[A-Z_]+)=/g)].map(
      (m) => m[1],
    );
    const set = [...init.env.map((e: Any) => e.name as string), ...image];
    expect(set.filter((n) => !reads.has(n))).toEqual([]);
    expect(reads.has("CNI_NETWORK_CONFIG")).toBe(true);
  });

  it("the agent accepts the environment the DaemonSet gives it", () => {
    const docs = manifest();
    const cm = byKind(docs, "ConfigMap") as Any;
    const [agent] = (byKind(docs, "DaemonSet") as Any).spec.template.spec.containers;
    const fields: Record<string, string> = {
      "spec.nodeName": "node1",
      "status.hostIP": "192.0.2.11",
    };
    const env: Record<string, string> = {};
    for (const e of agent.env) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath]!;
      else env[e.name] = cm.data[e.valueFrom.configMapKeyRef.key];
    }
    const cfg = loadAgentConfig(env, [], "ignored");
    expect(cfg.nodeName).toBe("node1");
    expect(cfg.ipv4).toBe("192.0.2.11/32");
    expect(cfg.datastore.type).toBe("etcdv3");
    expect(cfg.healthListen).toBe("127.0.0.1:9099");
    const probe = agent.livenessProbe.httpGet;
    expect(`${probe.host === "localhost" ? "127.0.0.1" : probe.host}:${probe.port}`).toBe(
      cfg.healthListen,
    );
  });
});

// ---------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------

describe("Dockerfile", () => {
  const text = read("deploy/container/Dockerfile");

  it("has no finding of dockerfile-utils' linter", () => {
    expect(lintDockerfile(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual(
      [],
    );
  });

  it("the linter reports a broken instruction (the check can fail)", () => {
    const bad = text.replace("EXPOSE 9099", "EXPOSE ninety").replace("USER root", "USR root");
    const found = lintDockerfile(bad).map((d) => d.message);
    expect(found).toContain("Invalid containerPort: ninety");
    expect(found).toContain("Unknown instruction: USR");
  });

  it("copies files that exist and links to the built executables", () => {
    for (const m of text.matchAll(/^COPY (?!--from)(\S+) /gm))
      expect(existsSync(join(ROOT, m[1]!))).toBe(true);
    for (const m of text.matchAll(/ln -s \/opt\/tortie\/(\S+) /g))
      expect(existsSync(join(ROOT, m[1]!))).toBe(true);
    // the npm the workspace declares, and the native modules' versions it uses
    const pm = (JSON.parse(read("package.json")) as { packageManager: string }).packageManager;
    expect(text).toContain(`npm install -g --no-audit --no-fund ${pm}`);
    const pinned = [...text.matchAll(/ (koffi|better-sqlite3|etcd3)@(\S+)/g)];
    expect(pinned.map((m) => m[1])).toEqual(["koffi", "better-sqlite3", "etcd3"]);
    for (const m of pinned) {
      const pkg = JSON.parse(read(`node_modules/${m[1]}/package.json`)) as { version: string };
      expect(`${m[1]}@${pkg.version}`).toBe(`${m[1]}@${m[2]}`);
    }
  });
});

// ---------------------------------------------------------------------------
// install-cni.sh
// ---------------------------------------------------------------------------

const CNI_SRC = join(ROOT, "packages/cni/dist/bin");

function hostRoot() {
  const host = tempDir("host");
  mkdirSync(join(host, "opt/cni/bin"), { recursive: true });
  mkdirSync(join(host, "etc/cni/net.d"), { recursive: true });
  return host;
}

function installCni(host: string, env: Record<string, string | undefined>) {
  const r = spawnSync("bash", [join(DEPLOY, "install-cni.sh")], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      CNI_BIN_DIR: join(host, "opt/cni/bin"),
      CNI_NET_DIR: join(host, "etc/cni/net.d"),
      HOST_ROOT: "",
      TORTIE_CNI_SRC: CNI_SRC,
      NODENAME: "node1",
      ...env,
    } as NodeJS.ProcessEnv,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The tortie entry of a conflist, read as the plugin reads its request. */
function readConflist(text: string) {
  const list = parseNetworkConfig(text);
  const entry = list.plugins.find((p) => p.type === "tortie");
  if (!entry) throw new Error("no tortie plugin in the list");
  const req = deriveRequestConfig(list, entry, { cniVersion: list.cniVersion });
  return { list, tortie: parseTortieConfig(parsePluginConfig(req)) };
}

describe("install-cni.sh into a temporary host root", () => {
  it("needs the built plugin", () => {
    expect(existsSync(join(CNI_SRC, "tortie")), "run `npm run build` first").toBe(true);
  });

  it("installs the plugin, which answers VERSION with the installed node, and a conflist the plugin accepts", () => {
    const host = hostRoot();
    // a node wrapper that leaves a mark: proves the shim runs the copy installed on the host
    const mark = join(host, "node-ran");
    const wrapper = join(host, "nodejs-wrapper");
    writeFileSync(wrapper, `#!/bin/sh\ntouch '${mark}'\nexec '${process.execPath}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const r = installCni(host, { TORTIE_CNI_NODEJS: wrapper, CNI_MTU: "1400" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);

    const bin = join(host, "opt/cni/bin");
    const link = readlinkSync(join(bin, "tortie"));
    expect(link).toMatch(/^\.tortie-[a-z0-9-]+-[A-Za-z0-9]{6}\/bin\/tortie$/);
    expect(lstatSync(join(bin, link.split("/")[0]!)).mode & 0o777).toBe(0o755);
    for (const f of ["tortie", "tortie.mjs"])
      expect(existsSync(join(bin, link.split("/")[0]!, "bin", f))).toBe(true);

    const v = spawnSync(join(bin, "tortie"), [], {
      encoding: "utf8",
      input: '{"cniVersion":"1.1.0","name":"k8s-pod-network","type":"tortie"}',
      // as a runtime may call it: no PATH; run in Node rather than through a resident helper
      env: {
        CNI_COMMAND: "VERSION",
        TORTIE_CNI_HELPER: "off",
        TORTIE_CNI_RUN_DIR: join(host, "run"),
      },
    });
    expect(v.status).toBe(0);
    const ans = JSON.parse(v.stdout) as { cniVersion: string; supportedVersions: string[] };
    expect(ans.cniVersion).toBe("1.1.0");
    expect(ans.supportedVersions).toEqual(expect.arrayContaining(["0.4.0", "1.0.0", "1.1.0"]));
    expect(existsSync(mark)).toBe(true);

    const conf = readFileSync(join(host, "etc/cni/net.d/10-tortie.conflist"), "utf8");
    const { list, tortie } = readConflist(conf);
    expect(list.name).toBe("k8s-pod-network");
    expect(list.plugins.map((p) => p.type)).toEqual(["tortie", "portmap"]);
    expect(tortie).toMatchObject({
      nodename: "node1",
      mtu: 1400,
      datastore: { type: "sqlite", path: "/var/lib/tortie/store.db" },
    });
    expect(readdirSync(join(host, "etc/cni/net.d"))).toEqual(["10-tortie.conflist"]);
  });

  it("with the native modules beside it, the installed plugin reaches its SQLite store (STATUS)", () => {
    const host = hostRoot();
    // what the image's /opt/tortie-cni/node_modules holds for a SQLite store
    const mods = tempDir("mods");
    for (const m of ["koffi", "better-sqlite3", "bindings", "file-uri-to-path"])
      if (existsSync(join(ROOT, "node_modules", m)))
        cpSync(join(ROOT, "node_modules", m), join(mods, m), { recursive: true });
    const status = () => {
      const list = JSON.parse(readFileSync(join(host, "etc/cni/net.d/10-tortie.conflist"), "utf8"));
      const req = {
        ...list.plugins[0],
        cniVersion: list.cniVersion,
        name: list.name,
        dataDir: join(host, "data"),
      };
      const r = spawnSync(join(host, "opt/cni/bin/tortie"), [], {
        encoding: "utf8",
        input: JSON.stringify(req),
        env: {
          CNI_COMMAND: "STATUS",
          TORTIE_CNI_HELPER: "off",
          TORTIE_CNI_RUN_DIR: join(host, "run"),
        },
      });
      return {
        status: r.status,
        answer: JSON.parse(r.stdout) as { code: number; msg: string; details?: string },
      };
    };
    const settings = {
      TORTIE_CNI_NODEJS: process.execPath,
      TORTIE_DATASTORE_PATH: join(host, "var/lib/tortie/store.db"),
      TORTIE_CNI_LOG_FILE: join(host, "var/log/cni.log"),
    };
    // without the modules: the store cannot be opened, and STATUS says so
    expect(installCni(host, settings).status).toBe(0);
    const without = status();
    expect(without.status).toBe(1);
    expect(without.answer.msg).toBe("the datastore is not reachable");
    expect(without.answer.details).toMatch(/better-sqlite3/);
    // with them: the store opens (the file appears) and the answer is about pools
    mkdirSync(join(host, "var/lib/tortie"), { recursive: true });
    expect(installCni(host, { ...settings, TORTIE_CNI_MODULES: mods }).status).toBe(0);
    const withMods = status();
    expect(withMods.answer).toMatchObject({ code: 50, msg: "no IP pool has room for new pods" });
    expect(existsSync(join(host, "var/lib/tortie/store.db"))).toBe(true);
  });

  it("the ConfigMap's template with etcd gives a conflist the plugin accepts", () => {
    const host = hostRoot();
    const cm = byKind(manifest(), "ConfigMap") as Any;
    const r = installCni(host, {
      TORTIE_CNI_NODEJS: "none",
      CNI_NETWORK_CONFIG: cm.data.cni_network_config,
      DATASTORE_TYPE: "etcdv3",
      ETCD_ENDPOINTS: "http://192.0.2.10:2379,https://192.0.2.11:2379",
      NODENAME: "worker-2.example",
    });
    expect(r.stderr).toBe("");
    const { tortie } = readConflist(
      readFileSync(join(host, "etc/cni/net.d/10-tortie.conflist"), "utf8"),
    );
    expect(tortie).toMatchObject({
      nodename: "worker-2.example",
      datastore: { type: "etcd", endpoints: ["http://192.0.2.10:2379", "https://192.0.2.11:2379"] },
    });
  });

  it("a conflist with a misspelt key is refused by the parser (the check can fail)", () => {
    const bad = read("deploy/kubernetes/tortie-node.yaml").includes('"nodename"');
    expect(bad).toBe(true);
    const conf = JSON.stringify({
      cniVersion: "1.1.0",
      name: "k8s-pod-network",
      plugins: [{ type: "tortie", nodeName: "node1" }],
    });
    expect(() => readConflist(conf)).toThrow(CniError);
  });

  it("an upgrade or reinstall swaps the link to a new folder and removes the old one", () => {
    const host = hostRoot();
    const bin = join(host, "opt/cni/bin");
    expect(installCni(host, { TORTIE_CNI_NODEJS: "none" }).status).toBe(0);
    const first = readlinkSync(join(bin, "tortie"));
    // a second build: the same files with another build id
    const src2 = tempDir("src2");
    for (const f of readdirSync(CNI_SRC))
      writeFileSync(join(src2, f), readFileSync(join(CNI_SRC, f)));
    const shim = readFileSync(join(src2, "tortie"), "utf8").replace(
      /^build='[^']*'$/m,
      "build='next-build'",
    );
    writeFileSync(join(src2, "tortie"), shim);
    expect(installCni(host, { TORTIE_CNI_NODEJS: "none", TORTIE_CNI_SRC: src2 }).status).toBe(0);
    const second = readlinkSync(join(bin, "tortie"));
    expect(second).toMatch(/^\.tortie-next-build-[A-Za-z0-9]{6}\/bin\/tortie$/);
    expect(existsSync(join(bin, first.split("/")[0]!))).toBe(false);
    expect(readdirSync(bin).sort()).toEqual([second.split("/")[0], "tortie"]);
    // the same build again: a new folder, never the one the link points at
    expect(installCni(host, { TORTIE_CNI_NODEJS: "none", TORTIE_CNI_SRC: src2 }).status).toBe(0);
    const third = readlinkSync(join(bin, "tortie"));
    expect(third).not.toBe(second);
    expect(readdirSync(bin).sort()).toEqual([third.split("/")[0], "tortie"]);
  });

  const refusals: [string, Record<string, string | undefined>, RegExp][] = [
    ["no NODENAME", { NODENAME: undefined }, /NODENAME is not set/],
    [
      "a NODENAME that would break out of its JSON string",
      { NODENAME: 'a","x":"y' },
      /not a DNS subdomain/,
    ],
    ["an MTU that is not a number", { CNI_MTU: "1450 }" }, /CNI_MTU/],
    [
      "an etcd endpoint with a quote",
      { DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: 'http://a:1"]' },
      /ETCD_ENDPOINTS/,
    ],
    ["etcdv3 without endpoints", { DATASTORE_TYPE: "etcdv3" }, /needs ETCD_ENDPOINTS/],
    ["an unknown datastore type", { DATASTORE_TYPE: "etcd" }, /not sqlite or etcdv3/],
    [
      "a template with an unknown placeholder",
      { CNI_NETWORK_CONFIG: '{"x": "__NODE_NAME__"}' },
      /__NODE_NAME__/,
    ],
    ["a conf name that is a path", { CNI_CONF_NAME: "../10-x.conflist" }, /CNI_CONF_NAME/],
    ["a missing plugin build", { TORTIE_CNI_SRC: "/nonexistent" }, /not found/],
  ];
  for (const [what, env, msg] of refusals) {
    it(`refuses ${what} with one line and leaves the host untouched`, () => {
      const host = hostRoot();
      const r = installCni(host, { TORTIE_CNI_NODEJS: "none", ...env });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(readdirSync(join(host, "opt/cni/bin"))).toEqual([]);
      expect(readdirSync(join(host, "etc/cni/net.d"))).toEqual([]);
    });
  }
});
