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

/**
 * Replaces the password in a URL (and a `password=` / `token=` parameter) with `****`. A
 * password typed without percent-encoding may hold `@ : / # ?` and spaces, so no character is
 * trusted to end it but the last `@`: everything between the first `:` after `scheme://` and
 * the last `@` is masked, and a parameter's value runs to the end of the URL. This can mask
 * more than the password, never less.
 */
export const maskUrl = (url: string): string => {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([\s\S]*)$/i.exec(url);
  // Embedded-engine paths carry no credentials.
  if (!m || m[1]!.toLowerCase() === "chdb://") return url;
  let rest = m[2]!;
  const at = rest.lastIndexOf("@");
  const colon = rest.indexOf(":");
  if (at >= 0 && colon >= 0 && colon < at)
    rest = `${rest.slice(0, colon + 1)}****${rest.slice(at)}`;
  return m[1]! + rest.replace(/([?&](?:password|token)=)[\s\S]*$/i, "$1****");
};

/** Masks every URL-looking credential in free text (vendor error messages can echo them). */
export const maskSecrets = (text: string, secrets: readonly string[] = []): string => {
  // A URL ends at a space or quote, except that `user:` starts a password which may hold
  // either: then it runs to the line's last `@`.
  let out = text
    .replace(/[a-z][a-z0-9+.-]*:\/\/(?:[^\s'"@/:]*:[^\n]*@)?[^\s'"]*/gi, (u) => maskUrl(u))
    .replace(/([?&](?:password|token)=)[^\n]*/gi, "$1****");
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("****");
  return out;
};

const ENCODE_HINT =
  "Percent-encode special characters in the user and password: @ is %40, : is %3A, / is %2F, # is %23, ? is %3F (node -p 'encodeURIComponent(process.argv[1])' <password> prints it).";

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
      // The host part after the last `@` (the password may hold `@`): a port out of range is
      // the common mistake there, said as such.
      const hostPart = raw
        .slice(raw.indexOf("//") + 2)
        .split(/[/?#]/, 1)[0]!
        .split("@")
        .pop()!;
      const port = /:(\d+)$/.exec(hostPart)?.[1];
      if (port !== undefined && Number(port) > 65535)
        throw new MooseError(
          "URL_INVALID",
          `ClickHouse URL ${maskUrl(raw)} has port ${port}, outside 1-65535`,
          {
            hint: "ClickHouse's HTTP port is 8123 (8443 with TLS); moose dev's is 18123 by default.",
          },
        );
      throw new MooseError("URL_INVALID", `ClickHouse URL ${maskUrl(raw)} cannot be parsed`, {
        hint: `Expected http(s)://user:password@host:port/database. ${ENCODE_HINT}`,
      });
    }
    // A password with an unencoded `/` or `#` ends the host part early: `new URL` may still
    // parse the rest as a path or fragment, and the connection would go somewhere else.
    const body = raw.slice(raw.indexOf("//") + 2);
    const beforeQuery = body.split("?", 1)[0]!;
    const slash = beforeQuery.indexOf("/");
    if (body.includes("#") || (slash >= 0 && beforeQuery.includes("@", slash)))
      throw new MooseError(
        "URL_INVALID",
        `ClickHouse URL ${maskUrl(raw)} cannot be parsed: its user or password holds a character (@ : / # ? or space) that must be percent-encoded`,
        { hint: ENCODE_HINT },
      );
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
