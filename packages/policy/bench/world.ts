// A synthetic cluster for benchmarks: 100 namespaces, N endpoints, P
// policies, with selectors shared the way real clusters share them (app
// labels within a namespace, environment-wide namespace selectors, one
// global blocklist in a security tier). Addresses come from 198.18.0.0/15.

/** Endpoint i's address. */
export const epIp = (i: number) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const NS = 100;
const APPS = 25;
const ENVS = ["prod", "dev", "stage", "test"];

/** Namespaces, endpoints and the security tier. */
export function baseWorld(endpoints: number): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < NS; n++) {
    out.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `ns${n}`, labels: { env: ENVS[n % 4]!, team: `t${n % 10}` } },
    });
  }
  for (let i = 0; i < endpoints; i++) out.push(endpoint(i, `app${Math.floor(i / NS) % APPS}`));
  out.push(
    {
      apiVersion: "projectcalico.org/v3",
      kind: "Tier",
      metadata: { name: "security" },
      spec: { order: 100 },
    },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: { name: "blocked", labels: { list: "blocked" } },
      spec: { nets: ["203.0.113.0/25", "198.51.100.128/25"] },
    },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkPolicy",
      metadata: { name: "security.blocklist" },
      spec: {
        tier: "security",
        order: 1,
        selector: "all()",
        types: ["Ingress", "Egress"],
        ingress: [
          { action: "Deny", source: { selector: 'list == "blocked"' } },
          { action: "Pass" },
        ],
        egress: [
          { action: "Deny", destination: { selector: 'list == "blocked"' } },
          { action: "Pass" },
        ],
      },
    },
  );
  return out;
}

/** Endpoint i with the given app label. */
export function endpoint(i: number, app: string): unknown {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: { name: `pod${i}`, namespace: `ns${i % NS}`, labels: { app, version: `v${i % 3}` } },
    spec: {
      ipNetworks: [`${epIp(i)}/32`],
      interfaceName: `cali${i}`,
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    },
  };
}

/** Policy i (namespaced, selecting one app in one namespace). `variant` changes its ports. */
export function policy(i: number, variant = 0): unknown {
  const ns = i % NS;
  const app = Math.floor(i / NS) % APPS;
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name: `pol${i}`, namespace: `ns${ns}` },
    spec: {
      order: i % 1000,
      selector: `app == "app${app}"`,
      types: ["Ingress", "Egress"],
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: `app == "app${(app + 1) % APPS}"` },
          destination: { ports: [80, 443 + variant] },
        },
        {
          action: "Allow",
          protocol: "TCP",
          source: { namespaceSelector: 'env == "prod"' },
          destination: { ports: ["http"] },
        },
        {
          action: "Allow",
          protocol: "UDP",
          source: { nets: ["198.51.100.0/25", "203.0.113.128/25"] },
          destination: { ports: [53] },
        },
        { action: "Deny", protocol: "TCP", destination: { ports: ["1:1023"] } },
      ],
      egress: [
        {
          action: "Allow",
          protocol: "TCP",
          destination: { nets: ["198.18.0.0/15"], ports: [80, 443, 5432, 8080] },
        },
        { action: "Allow", protocol: "UDP", destination: { ports: [53] } },
      ],
    },
  };
}

/** Every resource for P policies over N endpoints. */
export function world(endpoints: number, policies: number): unknown[] {
  const out = baseWorld(endpoints);
  for (let i = 0; i < policies; i++) out.push(policy(i));
  return out;
}
