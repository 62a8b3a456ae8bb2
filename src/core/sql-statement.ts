/*
 * What kind of statement a text is, lexed as ClickHouse does: used by `moose dev`'s endpoint
 * (GET is read-only, one statement per request) and by the embedded-engine pass-through
 * (a SET lasts one request). Pure.
 */
import { blockCommentEnd } from "./sql-lexer";

/**
 * The shape of one statement as far as the endpoint's rules need it: its first keywords and
 * whether a second statement follows. Lexed like ClickHouse's Lexer (comments, quoted strings
 * and identifiers, heredocs), so a keyword or `;` inside a literal never counts.
 */
export interface StatementShape {
  /** The first top-level words as written (at most four), e.g. `create temporary table t`. */
  words: string[];
  /** Offset just after the first word. */
  afterFirst: number;
  /** Offset where the statement ends: its `;`, or the end of the text. */
  end: number;
  /** Offset of a second statement after a `;` (ClickHouse refuses multi-statements). */
  secondAt?: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const HEREDOC = /\$([A-Za-z0-9_]*)\$/y;

/**
 * Where the token starting at `i` ends (a comment, literal or quoted identifier), or `i` when
 * none starts there. An unterminated one runs to the end: the engine will refuse it anyway.
 */
const skipOpaque = (s: string, i: number): number => {
  const c = s[i];
  const next = s[i + 1];
  if ((c === "-" && next === "-") || (c === "#" && (next === " " || next === "!"))) {
    const nl = s.indexOf("\n", i);
    return nl < 0 ? s.length : nl + 1;
  }
  // ClickHouse's multi-line comments nest; an unclosed one runs to the end.
  if (c === "/" && next === "*") return blockCommentEnd(s, i) ?? s.length;
  if (c === "'" || c === '"' || c === "`") {
    let j = i + 1;
    while (j < s.length) {
      if (s[j] === "\\") j += 2;
      else if (s[j] === c) {
        // A doubled quote is the quote itself.
        if (s[j + 1] === c) j += 2;
        else return j + 1;
      } else j++;
    }
    return s.length;
  }
  if (c === "$") {
    HEREDOC.lastIndex = i;
    const m = HEREDOC.exec(s);
    if (m) {
      const close = s.indexOf(m[0], i + m[0].length);
      return close < 0 ? s.length : close + m[0].length;
    }
  }
  return i;
};

/**
 * The statement's shape. An INSERT's inline data (after its FORMAT or VALUES) is not SQL and
 * is not scanned: a `;` in the rows is data.
 */
export const statementShape = (sql: string): StatementShape => {
  const words: string[] = [];
  let afterFirst = 0;
  let i = 0;
  let end = sql.length;
  let secondAt: number | undefined;
  let insertSelect = false;
  scan: while (i < sql.length) {
    const skipped = skipOpaque(sql, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const c = sql[i]!;
    if (c === ";") {
      if (end === sql.length) end = i;
      i++;
      continue;
    }
    if (/\s/.test(c) || c === "(" || c === ")") {
      i++;
      continue;
    }
    if (end !== sql.length) {
      // Something other than space or a comment after the `;`.
      secondAt = i;
      break;
    }
    WORD.lastIndex = i;
    const w = WORD.exec(sql);
    if (!w) {
      i++;
      continue;
    }
    const upper = w[0].toUpperCase();
    if (words.length === 0) afterFirst = i + w[0].length;
    if (words.length < 4) words.push(w[0]);
    i += w[0].length;
    if (words[0]!.toUpperCase() === "INSERT") {
      if (upper === "SELECT" || upper === "WITH") insertSelect = true;
      else if (!insertSelect && (upper === "FORMAT" || upper === "VALUES")) break scan;
    }
  }
  return { words, afterFirst, end, ...(secondAt !== undefined ? { secondAt } : {}) };
};

/**
 * What a statement does, by its first keyword: `read`s never change anything; `ddl` changes
 * the schema; `use` and `set` change only the (per-request) session; everything else
 * (INSERT, OPTIMIZE, SYSTEM, KILL, GRANT, DELETE, UPDATE, unknown keywords) is a `write`.
 */
export type StatementKind = "read" | "use" | "set" | "ddl" | "write";

const READS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK"]);
const DDL = new Set([
  "CREATE",
  "ALTER",
  "DROP",
  "RENAME",
  "TRUNCATE",
  "EXCHANGE",
  "ATTACH",
  "DETACH",
  "UNDROP",
]);

const upperWords = (shape: StatementShape) => shape.words.map((w) => w.toUpperCase());

export const statementKind = (shape: StatementShape): StatementKind => {
  const first = upperWords(shape)[0] ?? "";
  if (READS.has(first)) return "read";
  if (first === "USE") return "use";
  if (first === "SET") return "set";
  if (DDL.has(first)) return "ddl";
  return "write";
};

/** `CREATE [OR REPLACE] TEMPORARY TABLE`: a table of the session, not of the schema. */
export const isTemporaryTable = (shape: StatementShape): boolean => {
  const [first, ...rest] = upperWords(shape);
  return first === "CREATE" && rest.includes("TEMPORARY");
};

/** A DDL statement that changes what the database holds (temporary tables are per request). */
export const changesSchema = (shape: StatementShape): boolean =>
  statementKind(shape) === "ddl" && !isTemporaryTable(shape);
