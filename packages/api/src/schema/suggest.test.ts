import { describe, expect, it } from "vitest";
import { closest, editDistance } from "./suggest.js";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
    ["nodeSelector", "nodeSelcetor", 1], // adjacent swap counts once
    ["nodeSelector", "nodeselector", 1],
    ["cidr", "cird", 1],
    ["asNumber", "asNumber", 0],
  ])("%s → %s = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("closest", () => {
  const fields = ["cidr", "blockSize", "nodeSelector", "natOutgoing", "ipipMode", "vxlanMode"];
  it("names the field a typo was meant to be", () => {
    expect(closest("nodeSelecter", fields)).toBe("nodeSelector");
    expect(closest("blocksize", fields)).toBe("blockSize");
    expect(closest("natOutGoing", fields)).toBe("natOutgoing");
    expect(closest("cdir", fields)).toBe("cidr");
    expect(closest("vxlanmod", fields)).toBe("vxlanMode");
  });
  it("suggests nothing for a word that resembles no field", () => {
    expect(closest("replicas", fields)).toBeUndefined();
    expect(closest("x", fields)).toBeUndefined();
    expect(closest("anything", [])).toBeUndefined();
  });
});
