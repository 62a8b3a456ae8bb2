/*
 * Whether a hand-written statement (a RawSql item) can run twice with the effect of once: then
 * a crash around it needs no record, a resume simply runs it again. Anything not provably so
 * (INSERT, ALTER … UPDATE/DELETE, CREATE … AS SELECT, unknown shapes) is journaled as started
 * before it runs (runtime/exactly-once.ts). Pure.
 */
import { lexSql, significant } from "./sql-lexer";

/** Reads change nothing. */
const READS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"]);
/** Words that make a CREATE fill what it creates (a second run would not refill it). */
const FILLS = new Set(["SELECT", "POPULATE", "AS"]);
/** ALTER actions whose `IF [NOT] EXISTS` form is a no-op the second time. */
const GUARDED_ACTIONS = new Set(["COLUMN", "INDEX", "PROJECTION", "CONSTRAINT", "STATISTICS"]);

const words = (sql: string): string[] => {
  const tokens = significant(lexSql(sql));
  return tokens.map((t) => (t.kind === "word" ? sql.slice(t.start, t.end).toUpperCase() : "\0"));
};

const hasSeq = (ws: readonly string[], seq: readonly string[], from = 0): boolean => {
  for (let i = from; i + seq.length <= ws.length; i++)
    if (seq.every((w, k) => ws[i + k] === w)) return true;
  return false;
};

/**
 * True for reads; `CREATE … IF NOT EXISTS` that does not fill the object (no `AS`, `SELECT`,
 * `POPULATE`: a table created from a SELECT and cut short would be skipped, half filled);
 * `DROP … IF EXISTS`; and an ALTER made only of `ADD|DROP COLUMN|INDEX|PROJECTION … IF [NOT]
 * EXISTS` actions. Everything else is treated as not repeatable.
 */
export const isRepeatableStatement = (sql: string): boolean => {
  const ws = words(sql);
  const first = ws[0] ?? "";
  if (READS.has(first)) return !ws.includes("INTO");
  if (first === "CREATE")
    return hasSeq(ws, ["IF", "NOT", "EXISTS"]) && !ws.some((w) => FILLS.has(w));
  if (first === "DROP") return hasSeq(ws, ["IF", "EXISTS"]);
  if (first === "ALTER") return guardedAlter(ws);
  return false;
};

/** Every action of the ALTER is ADD/DROP of a column, index, … with its IF [NOT] EXISTS guard. */
const guardedAlter = (ws: readonly string[]): boolean => {
  if (ws.some((w) => w === "UPDATE" || w === "DELETE" || w === "MATERIALIZE" || w === "SELECT"))
    return false;
  let actions = 0;
  for (let i = 0; i < ws.length; i++) {
    if (ws[i] !== "ADD" && ws[i] !== "DROP") continue;
    if (!GUARDED_ACTIONS.has(ws[i + 1] ?? "")) return false;
    const guard = ws[i] === "ADD" ? ["IF", "NOT", "EXISTS"] : ["IF", "EXISTS"];
    if (!guard.every((w, k) => ws[i + 2 + k] === w)) return false;
    actions++;
  }
  // Only ADD/DROP actions count: MODIFY, RENAME, … make the ALTER unproven.
  return actions > 0 && !ws.some((w) => w === "MODIFY" || w === "RENAME" || w === "CLEAR");
};
