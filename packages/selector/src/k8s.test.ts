import { describe, expect, it } from "vitest";
import { fromLabelSelector, LabelSelectorError } from "./k8s.js";

describe("Kubernetes LabelSelector conversion", () => {
  it("empty or absent selects everything", () => {
    expect(fromLabelSelector(undefined).text).toBe("all()");
    expect(fromLabelSelector({}).text).toBe("all()");
    expect(fromLabelSelector({ matchLabels: {}, matchExpressions: [] }).text).toBe("all()");
  });

  it("matchLabels become sorted equalities", () => {
    expect(fromLabelSelector({ matchLabels: { tier: "db", app: "web" } }).text).toBe(
      'app == "web" && tier == "db"',
    );
  });

  it("matchExpressions: In, NotIn, Exists, DoesNotExist", () => {
    const s = fromLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "dev"] },
        { key: "zone", operator: "NotIn", values: ["z1"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    });
    expect(s.text).toBe(
      'app == "web" && env in {"dev", "prod"} && zone not in {"z1"} && has(team) && !has(legacy)',
    );
    expect(s.evaluate({ app: "web", env: "dev", team: "x" })).toBe(true);
    expect(s.evaluate({ app: "web", env: "dev", team: "x", zone: "z1" })).toBe(false);
    expect(s.evaluate({ app: "web", env: "dev", team: "x", legacy: "" })).toBe(false);
    expect(s.evaluate({ app: "web", env: "qa", team: "x" })).toBe(false);
  });

  it("rejects In without values and Exists with values, naming the field", () => {
    expect(() =>
      fromLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }),
    ).toThrow(LabelSelectorError);
    try {
      fromLabelSelector({
        matchExpressions: [
          { key: "a", operator: "Exists" },
          { key: "b", operator: "Exists", values: ["x"] },
        ],
      });
      expect.unreachable();
    } catch (e) {
      expect((e as LabelSelectorError).path).toBe("matchExpressions[1].values");
    }
  });
});
