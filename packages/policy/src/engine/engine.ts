// The engine's public face: the state plus evaluate/explain.
import { type Evaluation, evaluateFlow, explain, type Flow } from "./evaluate.js";
import { PolicyState } from "./state.js";

/**
 * Holds resources (Calico v3, Kubernetes NetworkPolicy, Namespaces, endpoints)
 * and answers "is this flow allowed, and why?".
 *
 * ```ts
 * const engine = new PolicyEngine();
 * engine.apply(loadResources(yamlText));
 * const e = engine.evaluate({ src: "192.0.2.10", dst: "192.0.2.20", protocol: "TCP", dstPort: 80 });
 * console.log(engine.explain(e));
 * ```
 */
export class PolicyEngine extends PolicyState {
  /** Verdict and trace of a flow. `trace: false` is faster when only the verdict matters. */
  evaluate(flow: Flow, opts: { trace?: boolean } = {}): Evaluation {
    return evaluateFlow(this, flow, opts);
  }

  /** One line per direction saying who decided and what was passed over. */
  explain(e: Evaluation): string {
    return explain(e);
  }
}
