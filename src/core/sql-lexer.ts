/*
 * ClickHouse's tokenizer, as far as deciding where SQL text is code and where it is a literal,
 * quoted identifier, heredoc or comment. Pure.
 *
 * It must agree with ClickHouse's own Lexer byte for byte on those boundaries: if we took
 * something for a string that ClickHouse reads as code (or the reverse), a `;` could hide from
 * the guards built on it (core/model-sql-guard.ts, the adapter's one-statement check). So the
 * rules that move those boundaries are ClickHouse's: `\` escapes and doubled quotes in all three
 * quote kinds, `--` and `//` comments ending at `\n` only, nested `/* *\/`, `#` a comment only
 * before a space or `!`, `$name$…$name$` heredocs with any name, and numbers that swallow an
 * exponent's sign (`1e-` then `-…` is not a comment).
 */

export type TokenKind =
  | "space"
  | "comment"
  | "string"
  | "quoted"
  | "heredoc"
  | "number"
  | "word"
  | "open"
  | "close"
  | "semicolon"
  | "dot"
  | "punct"
  | "error";

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** For `error` tokens: what ClickHouse would refuse. */
  problem?: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";

/** `_` between two digits of a number (ClickHouse's number separators). */
const isSeparator = (s: string, i: number, startOfBlock: boolean, hex: boolean): boolean =>
  s[i] === "_" && !startOfBlock && i + 1 < s.length && (hex ? isHex : isDigit)(s[i + 1]);

/** The end of a run of digits (hex digits when `hex`) with separators, from `i`. */
const digitsEnd = (s: string, i: number, hex: boolean, startOfBlock: boolean): number => {
  let j = i;
  let block = startOfBlock;
  while (j < s.length && ((hex ? isHex : isDigit)(s[j]) || isSeparator(s, j, block, hex))) {
    j++;
    block = false;
  }
  return j;
};

/** A decimal exponent (`e`, optional sign, digits) from `i`, as ClickHouse consumes it. */
const exponentEnd = (s: string, i: number, marks: string): number => {
  if (!(i + 1 < s.length && marks.includes(s[i]!))) return i;
  let j = i + 1;
  if (j + 1 < s.length && (s[j] === "-" || s[j] === "+")) j++;
  return digitsEnd(s, j, false, true);
};

/** A number starting at a digit; `afterDot` (tuple access `x.1.2`) takes plain digits only. */
const numberEnd = (s: string, i: number, afterDot: boolean): { end: number; word: boolean } => {
  let j: number;
  if (afterDot) j = digitsEnd(s, i + 1, false, false);
  else {
    let hex = false;
    let block = false;
    if (i + 2 < s.length && s[i] === "0" && /[xXbB]/.test(s[i + 1]!)) {
      const isX = s[i + 1] === "x" || s[i + 1] === "X";
      if (isX ? isHex(s[i + 2]) : s[i + 2] === "0" || s[i + 2] === "1") {
        hex = isX;
        j = i + 2;
        block = true;
      } else j = i + 1;
    } else j = i + 1;
    j = digitsEnd(s, j, hex, block);
    if (s[j] === ".") j = digitsEnd(s, j + 1, hex, true);
    j = exponentEnd(s, j, hex ? "pP" : "eE");
  }
  // `1abc` continues as a bare word.
  if (!isWordChar(s[j])) return { end: j, word: false };
  while (isWordChar(s[j])) j++;
  return { end: j, word: true };
};

/** A quoted token from `i` (its quote char at `i`): `\` escapes one char, a doubled quote is one. */
const quotedEnd = (s: string, i: number): number | undefined => {
  const q = s[i]!;
  let j = i + 1;
  for (;;) {
    if (j >= s.length) return undefined;
    const c = s[j]!;
    if (c === q) {
      if (s[j + 1] === q) j += 2;
      else return j + 1;
    } else if (c === "\\") {
      if (j + 1 >= s.length) return undefined;
      j += 2;
    } else j++;
  }
};

/** `/* … *\/` with nesting, from `i`; undefined when it never closes. */
export const blockCommentEnd = (s: string, i: number): number | undefined => {
  let depth = 1;
  let j = i + 2;
  while (j + 2 <= s.length) {
    if (s[j] === "/" && s[j + 1] === "*") {
      depth++;
      j += 2;
    } else if (s[j] === "*" && s[j + 1] === "/") {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return undefined;
};

const lineEnd = (s: string, i: number): number => {
  const nl = s.indexOf("\n", i);
  return nl < 0 ? s.length : nl;
};

const SIGNIFICANT_BEFORE_DOT: ReadonlySet<TokenKind> = new Set([
  "close",
  "word",
  "quoted",
  "number",
]);

/**
 * What precedes the text when it is a piece of a larger statement. ClickHouse reads a `.` or a
 * digit differently after a word than after `(` or at the very start, so a fragment is lexed in
 * each context it can be rendered in (see core/model-sql-guard.ts).
 */
export type LexContext = "start" | "after-word" | "after-open";

/** Every token of `s`, in order, covering the whole text. */
export const lexSql = (s: string, context: LexContext = "start"): Token[] => {
  const out: Token[] = [];
  // Set by `push` (a closure): typed wide so the checks below are not narrowed to the start value.
  let prev = (context === "after-word" ? "word" : context === "after-open" ? "open" : undefined) as
    TokenKind | undefined;
  const atStart = context === "start";
  let i = 0;
  const push = (kind: TokenKind, end: number, problem?: string) => {
    out.push({ kind, start: i, end, ...(problem !== undefined ? { problem } : {}) });
    if (kind !== "space" && kind !== "comment") prev = kind;
    i = end;
  };
  while (i < s.length) {
    const c = s[i]!;
    const n = s[i + 1];
    if (isSpace(c)) {
      let j = i + 1;
      while (isSpace(s[j])) j++;
      push("space", j);
    } else if (isDigit(c)) {
      const r = numberEnd(s, i, prev === "dot");
      push(r.word ? "word" : "number", r.end);
    } else if (c === "'" || c === '"' || c === "`") {
      const end = quotedEnd(s, i);
      if (end === undefined) push("error", s.length, `unterminated ${c}…${c}`);
      else push(c === "'" ? "string" : "quoted", end);
    } else if ("([{".includes(c)) push("open", i + 1);
    else if (")]}".includes(c)) push("close", i + 1);
    else if (c === ";") push("semicolon", i + 1);
    else if (c === ".") {
      const isDot =
        (i > 0 || !atStart) &&
        (!isDigit(n) || (prev !== undefined && SIGNIFICANT_BEFORE_DOT.has(prev)));
      if (isDot) push("dot", i + 1);
      else push("number", exponentEnd(s, digitsEnd(s, i + 1, false, true), "eE"));
    } else if (c === "-" && n === "-") push("comment", lineEnd(s, i));
    else if (c === "/" && n === "/") push("comment", lineEnd(s, i));
    else if (c === "/" && n === "*") {
      const end = blockCommentEnd(s, i);
      if (end === undefined) push("error", s.length, "unterminated /* comment");
      else push("comment", end);
    } else if (c === "#") {
      if (n === " " || n === "!") push("comment", lineEnd(s, i));
      else push("error", i + 1, "a stray #");
    } else if (c === "-" && n === ">") push("punct", i + 2);
    else if (c === "!") {
      if (n === "=") push("punct", i + 2);
      else push("error", i + 1, "a stray !");
    } else if (c === "\\") {
      if (n === "G") push("punct", i + 2);
      else push("error", i + 1, "a stray \\");
    } else if (c === "$") lexDollar(s, i, push);
    else if ((c === "x" || c === "X" || c === "b" || c === "B") && n === "'" && i + 2 < s.length) {
      // x'…' / b'…': only hex or binary digits up to the closing quote; no escapes.
      let j = i + 2;
      const ok = c === "x" || c === "X" ? isHex : (d?: string) => d === "0" || d === "1";
      while (j < s.length && ok(s[j])) j++;
      if (s[j] === "'") push("string", j + 1);
      else push("error", s.length, `unterminated ${c}'…'`);
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (isWordChar(s[j]) || s[j] === "$") j++;
      push("word", j);
    } else push("punct", i + 1);
  }
  return out;
};

/** `$tag$…$tag$` (any tag, even empty), a lone `$`, or a word starting with `$`. */
const lexDollar = (
  s: string,
  i: number,
  push: (kind: TokenKind, end: number, problem?: string) => void,
): void => {
  const tagEnd = s.indexOf("$", i + 1);
  if (tagEnd >= 0) {
    const tag = s.slice(i, tagEnd + 1);
    const close = s.indexOf(tag, tagEnd + 1);
    if (close >= 0) return push("heredoc", close + tag.length);
  }
  if (i + 1 >= s.length || !isWordChar(s[i + 1])) return push("punct", i + 1);
  let j = i + 1;
  while (isWordChar(s[j]) || s[j] === "$") j++;
  push("word", j);
};

/** The tokens that carry meaning (no whitespace, no comments). */
export const significant = (tokens: readonly Token[]): Token[] =>
  tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
