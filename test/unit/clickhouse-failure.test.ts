import { describe, expect, it } from "vitest";
import { ClickHouseServerError, clickhouseFailure } from "../../src/adapters/clickhouse";

const serverError = (reason: string, code: string, type: string) =>
  new ClickHouseServerError(`ClickHouse rejected: CREATE VIEW x\n  ${reason}`, code, type, reason);

describe("ClickHouse's code, name and reason read from the adapter's error", () => {
  it("the name and number apart, the reason without them", () => {
    expect(
      clickhouseFailure(
        serverError(
          "Unknown expression identifier `nosuch` in scope SELECT nosuch FROM d.T. (UNKNOWN_IDENTIFIER)",
          "47",
          "UNKNOWN_IDENTIFIER",
        ),
      ),
    ).toEqual({
      code: "47",
      type: "UNKNOWN_IDENTIFIER",
      reason: "Unknown expression identifier `nosuch` in scope SELECT nosuch FROM d.T.",
    });
  });

  it("an HTTP server's error with its version suffix", () => {
    expect(
      clickhouseFailure(
        serverError(
          "Primary key must be a prefix of the sorting key. (BAD_ARGUMENTS) (version 24.3.1.1)",
          "36",
          "BAD_ARGUMENTS",
        ),
      ),
    ).toEqual({
      code: "36",
      type: "BAD_ARGUMENTS",
      reason: "Primary key must be a prefix of the sorting key.",
    });
  });

  it("a plain error has only its text", () => {
    expect(clickhouseFailure(new Error("socket hang up"))).toEqual({ reason: "socket hang up" });
  });
});
