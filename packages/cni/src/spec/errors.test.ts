import { describe, expect, it } from "vitest";
import {
  CniError,
  ERROR_DESCRIPTIONS,
  ErrorCode,
  errorJson,
  FIRST_PLUGIN_ERROR_CODE,
  toCniError,
} from "./errors.js";

describe("errors", () => {
  it("has the spec's codes", () => {
    expect(Object.values(ErrorCode).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 11, 50, 51,
    ]);
    expect(FIRST_PLUGIN_ERROR_CODE).toBe(100);
  });

  it.each(Object.entries(ErrorCode))("writes code %s (%i) as the spec's JSON", (_name, code) => {
    const e = new CniError(code, ERROR_DESCRIPTIONS[code], "more words");
    expect(JSON.parse(JSON.stringify(e.toJSON("1.1.0")))).toEqual({
      cniVersion: "1.1.0",
      code,
      msg: ERROR_DESCRIPTIONS[code],
      details: "more words",
    });
    expect(CniError.fromJSON(e.toJSON())).toMatchObject({
      code,
      message: ERROR_DESCRIPTIONS[code],
    });
  });

  it("writes plugin codes and leaves out empty details", () => {
    expect(new CniError(123, "pool exhausted").toJSON("0.4.0")).toEqual({
      cniVersion: "0.4.0",
      code: 123,
      msg: "pool exhausted",
    });
    expect(errorJson(7, "x", "")).toEqual({ cniVersion: "1.1.0", code: 7, msg: "x" });
  });

  it("rejects things that are not error structures with code 6", () => {
    for (const v of [null, 3, { code: "7", msg: "x" }, { code: 7 }]) {
      expect(() => CniError.fromJSON(v)).toThrow(expect.objectContaining({ code: 6 }));
    }
  });

  it("wraps unknown throwables with the internal code", () => {
    expect(toCniError(new Error("boom"))).toMatchObject({ code: 999, message: "boom" });
    expect(toCniError("str")).toMatchObject({ code: 999, message: "str" });
    const e = new CniError(11, "later");
    expect(toCniError(e)).toBe(e);
  });
});
