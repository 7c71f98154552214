import { describe, expect, it } from "vitest";
import { DatastoreUsageError } from "../errors.js";
import { loadOptional } from "./optional.js";

describe("optional back-end packages", () => {
  it("loads a present package once and names the package to install when absent", () => {
    const a = loadOptional<object>("better-sqlite3", "12", "test");
    expect(loadOptional<object>("better-sqlite3", "12", "test")).toBe(a);
    expect(() => loadOptional("tortie-no-such-package", "1.2.3", "SqliteStore")).toThrow(
      DatastoreUsageError,
    );
    expect(() => loadOptional("tortie-no-such-package", "1.2.3", "SqliteStore")).toThrow(
      "SqliteStore needs the optional package tortie-no-such-package: npm install tortie-no-such-package@1.2.3",
    );
  });
});
