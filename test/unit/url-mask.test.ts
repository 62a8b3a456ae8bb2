import { describe, expect, it } from "vitest";
import { maskSecrets, maskUrl, parseClickHouseUrl } from "../../src/config/url";
import { MooseError } from "../../src/errors";

/** Passwords typed without percent-encoding, each with characters that end a URL part. */
const NASTY = [
  "p@ss:w/rd#1",
  "a/b/c",
  "x#y#z",
  "q?uery=1&password=2",
  "@@@",
  "sp ace:d",
  "semi;colon'quote\"",
  "::::",
  "end@",
  "pct%zz",
];

/** Every piece of the password longer than 2 characters split at the URL's own delimiters. */
const pieces = (pw: string): string[] =>
  pw.split(/[@:/#?&= ]/).filter((p) => p.length > 2 && !["password", "query"].includes(p));

const failureText = (url: string): string => {
  try {
    const t = parseClickHouseUrl(url, "/r", "local");
    return t.display;
  } catch (e) {
    return e instanceof MooseError ? `${e.message}\n${e.hint ?? ""}` : String(e);
  }
};

describe("no part of a password is ever printed", () => {
  it.each(NASTY)("password %j", (pw) => {
    for (const url of [
      `http://user:${pw}@host:8123/local`,
      `https://user:${pw}@host/local`,
      `clickhouse://user:${pw}@host:9440`,
      `http://host:8123/local?password=${pw}`,
    ]) {
      const shown = [maskUrl(url), failureText(url), maskSecrets(`failed: ${url}`)];
      for (const s of shown) {
        expect(s).not.toContain(pw);
        for (const p of pieces(pw)) expect(s, `${url} → ${s}`).not.toContain(p);
      }
    }
  });

  it("an unencoded @ : / # in the password is URL_INVALID, masked, with the way to encode it", () => {
    let err: unknown;
    try {
      parseClickHouseUrl("http://u:p@ss:w/rd#1@host:8123/local", "/r", "local");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MooseError);
    const e = err as MooseError;
    expect(e.code).toBe("URL_INVALID");
    expect(e.message).toContain("http://u:****@host:8123/local");
    expect(e.hint).toContain("%40");
  });

  it("a percent-encoded password still parses, and a URL without one is shown as is", () => {
    const t = parseClickHouseUrl(
      `http://u:${encodeURIComponent("p@ss:w/rd#1")}@host:8123/local`,
      "/r",
      "local",
    );
    expect(t).toMatchObject({ kind: "http", password: "p@ss:w/rd#1", url: "http://host:8123" });
    expect(t.display).toBe("http://u:****@host:8123/local");
    expect(maskUrl("http://host:8123/local")).toBe("http://host:8123/local");
    expect(maskUrl("chdb:///tmp/a:b@c")).toBe("chdb:///tmp/a:b@c");
  });
});
