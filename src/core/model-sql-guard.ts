/*
 * The rules every piece of SQL text a model (or a migration file) supplies must pass before the
 * tool splices it into a statement: a default, a TTL, a key expression, an index, a projection,
 * a view's SELECT. The text is lexed as ClickHouse lexes it (core/sql-lexer.ts) and must stay
 * the one thing its place in the statement expects — never a second statement, never a clause
 * of the surrounding statement. Pure: findings are data, callers turn them into errors.
 */
import { lexSql, type LexContext, type Token } from "./sql-lexer";

/** What a piece of text is, which decides the rules it must pass. */
export type FragmentKind =
  /** A default / materialized / alias / key / partition / index expression. */
  | "expression"
  /** An index expression (also refuses TYPE / GRANULARITY, which follow it). */
  | "index-expression"
  /** A TTL (table or column): may carry DELETE / TO DISK / GROUP BY / RECOMPRESS CODEC(…). */
  | "ttl"
  /** A codec list (`ZSTD(3)`, `Delta, LZ4`), rendered inside `CODEC(…)`. */
  | "codec"
  /** A column's rendered type (`Nullable(String)`, `JSON(SKIP a.b)`). */
  | "type"
  /** A projection's body, rendered inside `PROJECTION p (…)`. */
  | "projection"
  /** A view or materialized view's SELECT. */
  | "select";

/** One problem: which object, which field, what was found. */
export interface SqlFinding {
  /** `OlapTable Orders`, `View v`, `MaterializedView m` (a file: `table Orders`, …). */
  object: string;
  /** `columns.total.default`, `settings.merge_with_ttl_timeout`, `selectStatement`, … */
  field: string;
  /** What was found, e.g. "a `;` outside quotes: a second statement". */
  reason: string;
  /** The offending text (shortened). */
  text: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isSqlIdentifier = (s: string): boolean => IDENTIFIER.test(s);

/**
 * Words that begin a clause of the surrounding statement (or a new statement) and never stand
 * at the top level of one expression: one would let an expression end its clause and start
 * another (`DEFAULT 1 CODEC(…)`, `PARTITION BY x SETTINGS …`). A column with such a name can
 * still be used, quoted with backticks.
 */
const CLAUSE_WORDS = [
  "SETTINGS",
  "FORMAT",
  "INTO",
  "OUTFILE",
  "ENGINE",
  "PRIMARY",
  "ORDER",
  "PARTITION",
  "SAMPLE",
  "COMMENT",
  "CODEC",
  "TTL",
  "DEFAULT",
  "MATERIALIZED",
  "ALIAS",
  "EPHEMERAL",
  "INDEX",
  "PROJECTION",
  "CONSTRAINT",
  "SELECT",
  "UNION",
  "EXCEPT",
  "INTERSECT",
];

const except = (words: readonly string[], ...allowed: string[]): ReadonlySet<string> =>
  new Set(words.filter((w) => !allowed.includes(w)));

/** Top-level words refused per kind (SELECTs are checked by their own rule). */
const REFUSED_WORDS: Record<Exclude<FragmentKind, "select">, ReadonlySet<string>> = {
  expression: new Set(CLAUSE_WORDS),
  "index-expression": new Set([...CLAUSE_WORDS, "TYPE", "GRANULARITY"]),
  // `TTL d + INTERVAL 1 DAY RECOMPRESS CODEC(ZSTD(9))` is one TTL.
  ttl: except(CLAUSE_WORDS, "CODEC"),
  codec: new Set(CLAUSE_WORDS),
  type: new Set(),
  projection: new Set(["SETTINGS", "FORMAT", "INTO", "OUTFILE", "UNION", "EXCEPT", "INTERSECT"]),
};

/** Pieces are spliced after a keyword or a `(`: ClickHouse's lexer reads them in that context. */
const CONTEXTS: readonly LexContext[] = ["after-word", "after-open"];

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Control characters other than tab and line breaks: never part of legitimate SQL text. */
const hasControl = (s: string): boolean =>
  [...s].some((ch) => {
    const c = ch.charCodeAt(0);
    return (c < 32 && ch !== "\t" && ch !== "\n" && ch !== "\r" && ch !== "\f") || c === 127;
  });

/** Reasons the tokens of one lexing break the rules of `kind`. */
const tokenProblems = (text: string, tokens: readonly Token[], kind: FragmentKind): string[] => {
  const out: string[] = [];
  const stack: string[] = [];
  let first = true;
  let balanced = true;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const s = text.slice(t.start, t.end);
    if (t.kind === "error") out.push(`${t.problem ?? "a token ClickHouse cannot read"}`);
    else if (t.kind === "semicolon") out.push("a `;` outside quotes (a second statement)");
    else if (t.kind === "comment") {
      // Refused, not stripped: a comment can hide the rest of the statement it is spliced into.
      if (kind !== "select") out.push(`a comment (${s.slice(0, 2)}…)`);
    } else if (t.kind === "open") stack.push(CLOSER[s]!);
    else if (t.kind === "close") {
      if (stack.pop() !== s) balanced = false;
    } else if (t.kind === "word" && stack.length === 0) {
      const w = s.toUpperCase();
      if (kind === "select") {
        if (w === "FORMAT") out.push("a FORMAT clause");
      } else if (REFUSED_WORDS[kind].has(w))
        out.push(`the keyword ${w} at the top level (it would start another clause)`);
    }
    if (kind === "select" && t.kind === "word" && w(s) === "INTO") {
      const next = tokens.slice(k + 1).find((n) => n.kind !== "space" && n.kind !== "comment");
      if (next && w(text.slice(next.start, next.end)) === "OUTFILE") out.push("INTO OUTFILE");
    }
    if (kind === "select" && first && t.kind !== "space" && t.kind !== "comment") {
      if (t.kind !== "open") {
        first = false;
        if (!(t.kind === "word" && (w(s) === "SELECT" || w(s) === "WITH")))
          out.push("a statement other than SELECT (it must start with SELECT or WITH)");
      }
    }
  }
  if (!balanced || stack.length > 0) out.push("unbalanced parentheses or brackets");
  return out;
};

const w = (s: string): string => s.toUpperCase();

/**
 * What is wrong with `text` as a `kind`, or nothing. Lexed in every context it can be spliced
 * into, so a reading that only one context would give cannot slip through.
 */
export const fragmentProblems = (raw: string, kind: FragmentKind): readonly string[] => {
  // The same types, defaults and keys recur on every table of a project: each text is lexed once.
  const key = `${kind}\0${raw}`;
  let problems = checkedFragments.get(key);
  if (problems === undefined) {
    problems = lexedProblems(raw, kind);
    if (checkedFragments.size >= CHECKED_FRAGMENTS_MAX) checkedFragments.clear();
    checkedFragments.set(key, problems);
  }
  return problems;
};

const checkedFragments = new Map<string, readonly string[]>();
const CHECKED_FRAGMENTS_MAX = 50_000;

const lexedProblems = (raw: string, kind: FragmentKind): readonly string[] => {
  const out = new Set<string>();
  // What the renderer splices inside its own `CODEC(…)` (render-sql's columnProperties).
  const text = kind === "codec" ? raw.replace(/^CODEC\(([\s\S]*)\)$/, "$1") : raw;
  if (hasControl(text)) out.add("a control character");
  if (text.trim() === "") out.add("nothing (an empty text)");
  for (const context of kind === "select" ? (["after-word"] as const) : CONTEXTS)
    for (const p of tokenProblems(text, lexSql(text, context), kind)) out.add(p);
  return [...out];
};

/** Why `sql`, a whole statement the tool is about to send, is not exactly one statement. */
export const multiStatementProblem = (sql: string): string | undefined =>
  lexSql(sql).some((t) => t.kind === "semicolon")
    ? "it holds a `;` outside quotes and comments, so ClickHouse could run a second statement"
    : undefined;

/** The text as a finding shows it: quoted, one line, at most 100 characters. */
export const shownText = (text: string): string => {
  const q = JSON.stringify(text);
  return q.length > 100 ? `${q.slice(0, 97)}…"` : q;
};

/** One line per finding, for error messages. */
export const describeFindings = (findings: readonly SqlFinding[]): string =>
  findings.map((f) => `  - ${f.object}, ${f.field}: ${f.reason} in ${f.text}`).join("\n");
