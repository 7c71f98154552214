import { describe, expect, it } from "vitest";
import { AgentConfigError, loadAgentConfig } from "./agent-config.js";

const load = (env: Record<string, string>, argv: string[] = []) =>
  loadAgentConfig(env, argv, "Host-1");

describe("agent configuration", () => {
  it("Calico's variables with defaults: embedded SQLite, hostname as node name", () => {
    expect(load({ IP: "192.0.2.11/24", AS: "64512" })).toEqual({
      nodeName: "host-1",
      datastore: { type: "sqlite", path: "/var/lib/tortie/store.db" },
      ipv4: "192.0.2.11/24",
      asNumber: 64512,
      labels: {},
      healthListen: "127.0.0.1:9099",
      controlSocket: "/var/run/tortie/node.sock",
      secretsDir: "/etc/tortie/secrets",
      logLevel: "info",
      vethPrefix: "cali",
    });
  });

  it("etcd by flag or variable; flags win over variables; asdot AS; labels", () => {
    const c = load(
      {
        DATASTORE_TYPE: "etcdv3",
        ETCD_ENDPOINTS: "http://127.0.0.1:2379, http://127.0.0.1:2380",
        NODENAME: "n1",
        IP: "192.0.2.11",
      },
      ["--nodename", "n2", "--as=1.10", "--labels", "rack=a,route-reflector=true"],
    );
    expect(c.datastore).toEqual({
      type: "etcdv3",
      endpoints: ["http://127.0.0.1:2379", "http://127.0.0.1:2380"],
    });
    expect(c.nodeName).toBe("n2");
    expect(c.asNumber).toBe(65546);
    expect(c.ipv4).toBe("192.0.2.11/32");
    expect(c.labels).toEqual({ rack: "a", "route-reflector": "true" });
  });

  it.each([
    [{ IP: "192.0.2.11" }, ["--nodname", "x"], "--nodname: unknown flag; did you mean --nodename?"],
    [
      { IP: "192.0.2.11", TORTIE_LOGLEVEL: "info" },
      [],
      "TORTIE_LOGLEVEL: unknown variable; did you mean TORTIE_LOG_LEVEL?",
    ],
    [
      { IP: "192.0.2.11", DATASTORE_TYPE: "etcd3" },
      [],
      'DATASTORE_TYPE: "etcd3" is not a datastore type (sqlite, etcdv3); did you mean etcdv3?',
    ],
    [
      { IP: "192.0.2.11", DATASTORE_TYPE: "etcdv3" },
      [],
      "ETCD_ENDPOINTS: required with DATASTORE_TYPE=etcdv3",
    ],
    [{ IP: "192.0.2.300" }, [], 'IP: "192.0.2.300" is not an IPv4 address'],
    [{}, [], "IP: a BGP address is required (IP or IP6)"],
    [{ IP: "192.0.2.11", AS: "0" }, [], 'AS: "0" is not an AS number'],
    [{ IP: "192.0.2.11" }, ["--log-level", "loud"], '--log-level: "loud" is not a log level'],
    [{ IP: "192.0.2.11" }, ["--ip"], "--ip: needs a value"],
    [{ IP: "192.0.2.11" }, ["stray"], "stray: unexpected argument"],
    [
      { IP: "192.0.2.11", NODENAME: "Bad_Name" },
      [],
      'NODENAME: "bad_name" is not a valid node name',
    ],
  ])("rejects %j %j", (env, argv, msg) => {
    expect(() => load(env as Record<string, string>, argv)).toThrow(AgentConfigError);
    expect(() => load(env as Record<string, string>, argv)).toThrow(msg);
  });

  it("leaves other Tortie programs' variables alone", () => {
    expect(load({ IP: "192.0.2.11", TORTIE_CNI_RUN_DIR: "/x" }).nodeName).toBe("host-1");
  });
});
