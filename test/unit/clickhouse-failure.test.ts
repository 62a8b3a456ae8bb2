import { describe, expect, it } from "vitest";
import { clickHouseFailure } from "../../src/errors";

describe("ClickHouse's code, name and reason read from either client's error", () => {
  it("the adapter's wrapped chDB error", () => {
    const e = Object.assign(
      new Error(
        "ClickHouse rejected: CREATE VIEW x\n  Query failed: Code: 47. DB::Exception: Unknown expression identifier `nosuch` in scope SELECT nosuch FROM d.T. (UNKNOWN_IDENTIFIER) (UNKNOWN_IDENTIFIER)",
      ),
      { type: "UNKNOWN_IDENTIFIER" },
    );
    expect(clickHouseFailure(e)).toEqual({
      code: 47,
      name: "UNKNOWN_IDENTIFIER",
      reason: "Unknown expression identifier `nosuch` in scope SELECT nosuch FROM d.T.",
    });
  });

  it("an HTTP server's error with its version suffix", () => {
    const e = Object.assign(
      new Error(
        "Primary key must be a prefix of the sorting key. (BAD_ARGUMENTS) (version 24.3.1.1)",
      ),
      { code: "36", type: "BAD_ARGUMENTS" },
    );
    expect(clickHouseFailure(e)).toEqual({
      code: 36,
      name: "BAD_ARGUMENTS",
      reason: "Primary key must be a prefix of the sorting key.",
    });
  });

  it("a plain error has only its text", () => {
    expect(clickHouseFailure(new Error("socket hang up"))).toEqual({ reason: "socket hang up" });
  });
});
