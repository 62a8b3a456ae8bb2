/*
 * The fast YAML reader for delta files. The `yaml` library builds a full document tree and is
 * about 14× slower than js-yaml on a 1,000-table file (1.3 s against 0.09 s), which every
 * command pays for every committed file. js-yaml reads here with a schema made to resolve plain
 * scalars exactly as `yaml`'s YAML 1.2 core schema does (same patterns, same conversions), so
 * both readers give the same value; `test/unit/yaml-fast.test.ts` holds them equal on every
 * captured file and on generated values.
 *
 * Anything unusual — a tag (the reference tool's `!String x`), a duplicate key, more than one
 * document, a syntax error — is not handled here: the caller falls back to the `yaml` library,
 * which reads tags and words errors the way users already see them.
 */
import jsyaml from "js-yaml";

const INT = "tag:yaml.org,2002:int";
const FLOAT = "tag:yaml.org,2002:float";
const INT_OCT = /^0o[0-7]+$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_DEC = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

// The patterns and conversions of `yaml`'s core schema (yaml/dist/schema/core, common/null).
const coreTypes = [
  new jsyaml.Type("tag:yaml.org,2002:null", {
    kind: "scalar",
    resolve: (s: string) => /^(?:~|[Nn]ull|NULL)?$/.test(s),
    construct: () => null,
  }),
  new jsyaml.Type("tag:yaml.org,2002:bool", {
    kind: "scalar",
    resolve: (s: string) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
    construct: (s: string) => s[0] === "t" || s[0] === "T",
  }),
  // js-yaml keeps one implicit type per tag, so each tag's patterns are tried in `yaml`'s order.
  new jsyaml.Type(INT, {
    kind: "scalar",
    resolve: (s: string) => INT_OCT.test(s) || INT_DEC.test(s) || INT_HEX.test(s),
    construct: (s: string) =>
      INT_OCT.test(s)
        ? parseInt(s.substring(2), 8)
        : INT_DEC.test(s)
          ? parseInt(s, 10)
          : parseInt(s.substring(2), 16),
  }),
  new jsyaml.Type(FLOAT, {
    kind: "scalar",
    resolve: (s: string) => FLOAT_NAN.test(s) || FLOAT_EXP.test(s) || FLOAT_DEC.test(s),
    construct: (s: string) =>
      FLOAT_NAN.test(s)
        ? s.slice(-3).toLowerCase() === "nan"
          ? NaN
          : s[0] === "-"
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY
        : parseFloat(s),
  }),
];

// No explicit tags beyond the failsafe ones (str, seq, map): any other tag is the slow path's.
const SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: coreTypes });

/** The file's value, or undefined when the `yaml` library must read it (see above). */
export const fastLoadYaml = (text: string): unknown => {
  try {
    return jsyaml.load(text, { schema: SCHEMA, json: false });
  } catch {
    return undefined;
  }
};
