import path from "node:path";
import { MooseError } from "../errors";

/** Where ClickHouse is: a server over HTTP(S), or the embedded engine at a path. */
export type ClickHouseTarget =
  | {
      kind: "http";
      url: string;
      username: string;
      password: string;
      database: string;
      display: string;
      /** How the target is reached when not directly (`moose dev at http://127.0.0.1:18123`). */
      via?: string;
    }
  | { kind: "chdb"; path: string; database: string; display: string };

/** Replaces the password in a URL (and any `password=` parameter) with `****`. */
export const maskUrl = (url: string): string =>
  url
    .replace(/(\/\/[^/:@]*:)[^@/]*@/, "$1****@")
    .replace(/([?&](?:password|token)=)[^&]*/gi, "$1****");

/** Masks every URL-looking credential in free text (vendor error messages can echo them). */
export const maskSecrets = (text: string, secrets: readonly string[] = []): string => {
  let out = text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (u) => maskUrl(u));
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("****");
  return out;
};

/**
 * Parses a target URL. `http(s)://user:pass@host:port/db`, `clickhouse://…` (Moose's rules:
 * SSL iff port 9440, HTTP port 8123/8443) and `chdb://<path>` (relative to the project root,
 * `chdb:///abs/path`, `chdb://:memory:`). The database comes from the path or `?database=`,
 * else `fallbackDatabase`.
 */
export const parseClickHouseUrl = (
  raw: string,
  projectRoot: string,
  fallbackDatabase: string,
): ClickHouseTarget => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === "chdb") {
    const rest = raw.slice("chdb://".length);
    const [p, query = ""] = rest.split("?", 2) as [string, string?];
    const database = new URLSearchParams(query).get("database") ?? fallbackDatabase;
    const resolved = p === ":memory:" || p === "" ? ":memory:" : path.resolve(projectRoot, p);
    return { kind: "chdb", path: resolved, database, display: `chdb://${p || ":memory:"}` };
  }
  if (scheme === "http" || scheme === "https" || scheme === "clickhouse") {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new MooseError("URL_INVALID", `ClickHouse URL ${maskUrl(raw)} cannot be parsed`, {
        hint: "Expected http(s)://user:password@host:port/database.",
      });
    }
    const username = decodeURIComponent(u.username) || u.searchParams.get("user") || "default";
    const password = decodeURIComponent(u.password) || u.searchParams.get("password") || "";
    const database =
      decodeURIComponent(u.pathname.replace(/^\//, "")) ||
      u.searchParams.get("database") ||
      fallbackDatabase;
    let httpUrl: string;
    if (scheme === "clickhouse") {
      const ssl = u.port === "9440";
      httpUrl = `${ssl ? "https" : "http"}://${u.hostname}:${ssl ? 8443 : 8123}`;
    } else {
      httpUrl = `${scheme}://${u.hostname}:${u.port || (scheme === "https" ? 443 : 80)}`;
    }
    return { kind: "http", url: httpUrl, username, password, database, display: maskUrl(raw) };
  }
  throw new MooseError("URL_SCHEME_UNKNOWN", `Unknown ClickHouse URL scheme in ${maskUrl(raw)}`, {
    hint: "Use http://, https://, clickhouse:// or chdb:// (e.g. chdb://.moose/clickhouse for the embedded engine).",
    exitCode: 1,
  });
};
