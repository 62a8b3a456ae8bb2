/*
 * The fast YAML writer for deltas. The `yaml` library spends about 0.45 ms on each delta of a
 * 14-column table, most of a 1,000-table `generate`'s writing time. Deltas are plain data (maps,
 * sequences, identifiers, type names, hashes, small integers, booleans, nulls), so this writer
 * emits that subset directly, byte for byte as `yaml` would with the file's options (block
 * style, `indentSeq: false`, plain scalars where `yaml` writes them plain). For anything outside
 * the subset — a float, a string that needs quotes or spans lines, an unusual key — it returns
 * undefined and the caller renders that delta with the `yaml` library, so the output is always
 * `yaml`'s. `test/unit/yaml-emit.test.ts` holds the two equal on every captured file and on
 * generated deltas; generate reads every file back before writing it.
 */

import type YAML from "yaml";

/** The `yaml` library, loaded only when a string needs it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yamlLibrary = (): typeof YAML => require("yaml") as typeof YAML;

// The file's options (core/migration-file.ts), for the strings handed to `yaml`.
const YAML_SCALAR_OPTIONS = { lineWidth: 0, singleQuote: true, version: "1.2" } as const;

// A string `yaml` writes plain (checked against it in the tests): safe characters, no leading
// indicator, no double or edge spaces, no `: ` or final `:`, and not text the core schema
// would read as another type.
const PLAIN = /^[A-Za-z0-9_(][A-Za-z0-9_.()/=,<>+*: -]*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CORE_SCALAR =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))?$/;

const plainString = (s: string): boolean =>
  PLAIN.test(s) &&
  !s.endsWith(" ") &&
  !s.includes("  ") &&
  !/:( |$)/.test(s) &&
  !CORE_SCALAR.test(s);

/**
 * A string `yaml` quotes, quoted by `yaml` itself (as a lone scalar, which it quotes the same
 * way as a map value when the result is one quoted line); cached, as the same defaults and
 * types recur on every table.
 */
const quotedCache = new Map<string, string>();
const quoted = (s: string): string => {
  // A leading `'` cannot be plain, and with single quotes preferred `yaml` double-quotes a
  // text holding one: printable ASCII without `"` or `\` goes in as is (a SQL string default).
  if (/^'[\x20-\x7e]*$/.test(s) && !/["\\]/.test(s)) return `"${s}"`;
  // Text the core schema would read as a number, boolean or null (a setting's value '8192'):
  // single-quoted as it is.
  if (CORE_SCALAR.test(s)) return `'${s}'`;
  let q = quotedCache.get(s);
  if (q === undefined) {
    const text = yamlLibrary().stringify(s, YAML_SCALAR_OPTIONS);
    const line = text.endsWith("\n") ? text.slice(0, -1) : text;
    if (line.includes("\n") || !(line.startsWith("'") || line.startsWith('"')))
      throw new Unsupported();
    q = line;
    if (quotedCache.size > 10_000) quotedCache.clear();
    quotedCache.set(s, q);
  }
  return q;
};

/** Thrown inside the emitter when a value is outside the subset; never escapes this module. */
class Unsupported extends Error {}

const SPACES: string[] = [];
const spaces = (n: number): string => (SPACES[n] ??= " ".repeat(n));

const scalar = (v: unknown): string => {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number" && Number.isSafeInteger(v) && !Object.is(v, -0)) return String(v);
  if (typeof v === "string") {
    if (v === "") return "''";
    if (plainString(v)) return v;
    return quoted(v);
  }
  throw new Unsupported();
};

const isEmptyCollection = (v: unknown): string | undefined =>
  Array.isArray(v)
    ? v.length === 0
      ? "[]"
      : undefined
    : typeof v === "object" && v !== null && Object.values(v).every((x) => x === undefined)
      ? "{}"
      : undefined;

const isCollection = (v: unknown): v is object => typeof v === "object" && v !== null;

/** A block mapping's lines at `indent`. */
const mapLines = (obj: object, indent: number, out: string[]): void => {
  const pad = spaces(indent);
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (!KEY.test(k) || CORE_SCALAR.test(k)) throw new Unsupported();
    const empty = isEmptyCollection(v);
    if (empty !== undefined) out.push(`${pad}${k}: ${empty}\n`);
    else if (Array.isArray(v)) {
      out.push(`${pad}${k}:\n`);
      seqLines(v, indent, out);
    } else if (isCollection(v)) {
      out.push(`${pad}${k}:\n`);
      mapLines(v, indent + 2, out);
    } else out.push(`${pad}${k}: ${scalar(v)}\n`);
  }
};

/** A block sequence's lines at `indent` (`indentSeq: false`: items at the parent key's column). */
const seqLines = (items: readonly unknown[], indent: number, out: string[]): void => {
  const pad = spaces(indent);
  for (const item of items) {
    if (item === undefined) throw new Unsupported();
    const empty = isEmptyCollection(item);
    if (empty !== undefined) out.push(`${pad}- ${empty}\n`);
    else if (isCollection(item)) {
      // The nested block starts on the dash's line: its first line loses its indentation.
      const start = out.length;
      if (Array.isArray(item)) seqLines(item, indent + 2, out);
      else mapLines(item, indent + 2, out);
      out[start] = `${pad}- ${out[start]!.slice(indent + 2)}`;
    } else out.push(`${pad}- ${scalar(item)}\n`);
  }
};

/** `value` as the block mapping `yaml` would write at the top of a document, or undefined. */
export const emitMapYaml = (value: object): string | undefined => {
  const out: string[] = [];
  try {
    mapLines(value, 0, out);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return out.join("");
};

/** `value` as the one-item block sequence `yaml` would write, or undefined (see above). */
export const emitSeqItemYaml = (value: object): string | undefined => {
  const out: string[] = [];
  try {
    seqLines([value], 0, out);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return out.join("");
};
