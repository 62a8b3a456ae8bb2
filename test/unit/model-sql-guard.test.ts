import { describe, expect, it } from "vitest";
import type { Delta } from "../../src/core/deltas";
import {
  deltaSqlFindings,
  FILE_FIELDS,
  infraMapSqlFindings,
  MODEL_FIELDS,
} from "../../src/core/infra-sql-guard";
import { emptyInfraMap, type Table } from "../../src/core/infra-map";
import {
  fragmentProblems,
  multiStatementProblem,
  type FragmentKind,
} from "../../src/core/model-sql-guard";
import { renderCreateTable, renderDelta } from "../../src/core/render-sql";
import { lexSql } from "../../src/core/sql-lexer";
import { col } from "../support/fixtures";

const ok = (kind: FragmentKind, text: string) => expect(fragmentProblems(text, kind)).toEqual([]);
const refused = (kind: FragmentKind, text: string, reason: RegExp) =>
  expect(fragmentProblems(text, kind).join(" | ")).toMatch(reason);

const ACCEPTED: [FragmentKind, string][] = [
  ["expression", "now()"],
  ["expression", "'a;b'"],
  ["expression", "'-- not a comment'"],
  ["expression", "'/* nor this */ # nor this'"],
  ["expression", "'it''s; fine'"],
  ["expression", "'back\\'slash; still a string'"],
  ["expression", 'concat(`we;ird`, "col;umn")'],
  ["expression", "((a + b) * (c - d))"],
  ["expression", "arrayMap(x -> x * 2, [1, 2, 3])"],
  ["expression", "[1, 2, [3, 4]]"],
  ["expression", "map('k', 1)"],
  ["expression", "CASE WHEN x > 1 THEN 'big;' ELSE 'small' END"],
  ["expression", "toStartOfDay(ts) + INTERVAL 1 DAY"],
  ["expression", "(user_id, toStartOfHour(ts))"],
  ["expression", "tuple()"],
  ["expression", "cityHash64(id) % 10"],
  ["expression", "1e-5 - -2"],
  ["expression", "x.1.2"],
  ["expression", "$$heredoc; -- with text$$"],
  ["expression", "if(a != b, 1, 0)"],
  ["expression", "`order` + 1"],
  ["expression", "generateUUIDv4()"],
  ["expression", "x IN (SELECT id FROM t)"],
  ["ttl", "ts + INTERVAL 30 DAY DELETE"],
  ["ttl", "ts + INTERVAL 1 DAY RECOMPRESS CODEC(ZSTD(9)), ts + INTERVAL 2 DAY TO VOLUME 'cold'"],
  ["ttl", "d + toIntervalMonth(1) GROUP BY k SET v = max(v)"],
  ["codec", "Delta(4), ZSTD(1)"],
  ["codec", "CODEC(LZ4HC(9))"],
  ["type", "Nullable(String)"],
  ["type", "JSON(max_dynamic_paths=10, a.b UInt32, SKIP c.d, SKIP REGEXP 'x;y')"],
  ["type", "Enum('a;b' = 1, 'c--' = 2)"],
  ["projection", "SELECT user_id, sum(amount) GROUP BY user_id"],
  ["projection", "SELECT * ORDER BY ts"],
  ["index-expression", "lower(name)"],
  ["select", "SELECT 1 AS x"],
  ["select", "  (SELECT a FROM t WHERE s = ';')"],
  ["select", "WITH x AS (SELECT 1) SELECT * FROM x"],
  ["select", "SELECT a -- trailing comment\nFROM t"],
  ["select", "SELECT /* inline */ a FROM t SETTINGS max_threads = 1"],
  ["select", "SELECT 'INTO OUTFILE', 'FORMAT' FROM t"],
];

const REFUSED: [FragmentKind, string, RegExp][] = [
  ["expression", "1; DROP TABLE local.Orders", /`;`/],
  ["expression", "1 ;", /`;`/],
  ["expression", "1 -- comment", /comment/],
  ["expression", "1 /* comment */", /comment/],
  ["expression", "1 # comment", /comment/],
  ["expression", "1 // comment", /comment/],
  ["expression", "'unterminated; DROP", /unterminated/],
  ["expression", "`unterminated", /unterminated/],
  ["expression", '"unterminated', /unterminated/],
  ["expression", "1 /* open", /unterminated/],
  ["expression", "f(1", /unbalanced/],
  ["expression", "f(1))", /unbalanced/],
  ["expression", "[1, 2)", /unbalanced/],
  ["expression", "1 SETTINGS max_threads = 1", /SETTINGS/],
  ["expression", "1 CODEC(ZSTD)", /CODEC/],
  ["expression", "1 COMMENT 'x'", /COMMENT/],
  ["expression", "now() TTL ts + INTERVAL 1 DAY", /TTL/],
  ["expression", "1 FORMAT JSON", /FORMAT/],
  ["expression", "1 INTO OUTFILE 'x'", /INTO/],
  ["expression", "1 UNION ALL SELECT 2", /UNION/],
  ["expression", "1\u0000", /control/],
  ["expression", "   ", /empty/],
  // ClickHouse reads `1e-` as one number, then `-…` as a minus: the `;` is code, not a comment.
  ["expression", "1e--; DROP TABLE x", /`;`/],
  // After a word, `.5e` is a dot and a word, so `--` starts a comment and the `'` is hidden.
  ["expression", ".5e--'\n; DROP TABLE x; --'", /`;`|comment/],
  // A heredoc with any tag: the `'` inside it is not a string.
  ["expression", "$a b$ ' $a b$; DROP TABLE x; '", /`;`/],
  ["index-expression", "x TYPE minmax GRANULARITY 1", /TYPE/],
  ["ttl", "ts + INTERVAL 1 DAY; DROP TABLE x", /`;`/],
  ["ttl", "ts + INTERVAL 1 DAY SETTINGS x = 1", /SETTINGS/],
  ["codec", "ZSTD) SETTINGS (x = 1", /unbalanced|SETTINGS/],
  ["type", "String) ; DROP TABLE x; --", /`;`/],
  ["projection", "SELECT a) ; (SELECT b", /`;`/],
  ["projection", "SELECT a FORMAT JSON", /FORMAT/],
  ["select", "SELECT 1 AS x; DROP TABLE local.Orders", /`;`/],
  ["select", "SELECT 1;", /`;`/],
  ["select", "SELECT 1 INTO OUTFILE 'out.csv'", /OUTFILE/],
  ["select", "SELECT 1 FORMAT CSV", /FORMAT/],
  ["select", "DROP TABLE local.Orders", /SELECT or WITH/],
  ["select", "INSERT INTO t SELECT 1", /SELECT or WITH/],
  ["select", "SELECT (1", /unbalanced/],
];

describe("model SQL guard: one expression / one SELECT", () => {
  it.each(ACCEPTED)("accepts %s %j", (kind, text) => ok(kind, text));
  it.each(REFUSED)("refuses %s %j", (kind, text, reason) => refused(kind, text, reason));

  it("has at least 30 cases each way", () => {
    expect(ACCEPTED.length).toBeGreaterThanOrEqual(30);
    expect(REFUSED.length).toBeGreaterThanOrEqual(30);
  });
});

describe("executor guard: exactly one statement", () => {
  it("passes single statements whose literals hold ; and comment markers", () => {
    for (const sql of [
      "INSERT INTO `db`.`_moose_migrations` VALUES ('a;b', 'x -- y', '/* z */', 'it\\'s; ok')",
      "ALTER TABLE `db`.`t` MODIFY COMMENT 'a; DROP TABLE x'",
      "CREATE VIEW v AS SELECT 1 -- trailing comment",
      "SELECT $tag$ ; $tag$",
    ])
      expect(multiStatementProblem(sql)).toBeUndefined();
  });

  it("refuses any ; outside literals, a trailing one included", () => {
    for (const sql of [
      "SELECT 1; DROP TABLE x",
      "SELECT 1;",
      "CREATE TABLE t (a UInt8 DEFAULT 1e--; DROP TABLE x\n) ENGINE = Memory",
      "SELECT $a b$ ' $a b$; DROP TABLE x; '",
    ])
      expect(multiStatementProblem(sql)).toMatch(/;/);
  });
});

describe("lexer agrees with ClickHouse on token boundaries", () => {
  const kinds = (s: string) => lexSql(s).map((t) => `${t.kind}:${s.slice(t.start, t.end)}`);
  it("numbers, dots, comments and heredocs", () => {
    expect(kinds("1e-5")).toEqual(["number:1e-5"]);
    expect(kinds("1e--x")).toEqual(["number:1e-", "punct:-", "word:x"]);
    expect(kinds("x.1e--y")).toEqual(["word:x", "dot:.", "word:1e", "comment:--y"]);
    expect(kinds("0x1p-2")).toEqual(["number:0x1p-2"]);
    expect(kinds("1_000")).toEqual(["number:1_000"]);
    expect(kinds("#x")[0]).toBe("error:#");
    expect(kinds("/* a /* b */ c */d")).toEqual(["comment:/* a /* b */ c */", "word:d"]);
    expect(kinds("--a\r;b")).toEqual(["comment:--a\r;b"]);
    expect(kinds("x'0A'")).toEqual(["string:x'0A'"]);
    expect(kinds("a$b")).toEqual(["word:a$b"]);
  });
});

const table = (extra: Partial<Table> = {}): Table => ({
  name: "Evil",
  columns: [col("id"), col("total", { default: "1; DROP TABLE local.Orders" })],
  order_by: ["id"],
  engine: "MergeTree",
  version: null,
  source_primitive: { name: "Evil", primitive_type: "DataModel" },
  metadata: null,
  life_cycle: "FULLY_MANAGED",
  table_settings: { "merge_with_ttl_timeout = 1 ; DROP TABLE local.Orders; --": "1" },
  indexes: [],
  projections: [],
  constraints: [],
  ...extra,
});

describe("walkers name the object and the field", () => {
  it("a model's table and view", () => {
    const map = emptyInfraMap("local");
    map.tables["local_Evil"] = table({ table_ttl_setting: "ts + INTERVAL 1 DAY -- x" });
    map.views["v"] = {
      name: "v",
      selectSql: "SELECT 1 AS x; DROP TABLE local.Orders",
      sourceTables: [],
    };
    const found = infraMapSqlFindings(map, MODEL_FIELDS).map((f) => `${f.object} ${f.field}`);
    expect(found).toEqual([
      "OlapTable Evil columns.total.default",
      'OlapTable Evil settings["merge_with_ttl_timeout = 1 ; DROP TABLE local.Orders; --"]',
      "OlapTable Evil ttl",
      "View v selectStatement",
    ]);
  });

  it("a hand-edited file's deltas, before sides and RawSql included", () => {
    const deltas: Delta[] = [
      { type: "CreateTable", table: table() },
      {
        type: "ModifyTableSettings",
        table_id: "local_T",
        before: {},
        after: { "x = 1; DROP TABLE y": "1" },
      },
      {
        type: "RawSql",
        sql: ["ALTER TABLE t DELETE WHERE 1", "SELECT 1; DROP TABLE x"],
        description: "",
      },
      {
        type: "AddTableProjection",
        table_id: "local_T",
        projection: { name: "p", body: "SELECT a -- x" },
      },
    ];
    const found = deltas.flatMap((d, i) => deltaSqlFindings(d, `delta ${i + 1}`));
    expect(found.map((f) => `${f.object} ${f.field}`)).toEqual([
      "delta 1 table.columns.total.default",
      `delta 1 table.${FILE_FIELDS.settings}["merge_with_ttl_timeout = 1 ; DROP TABLE local.Orders; --"]`,
      'delta 2 after["x = 1; DROP TABLE y"]',
      "delta 3 sql[1]",
      "delta 4 projection.body",
    ]);
  });
});

describe("values and parameters are always quoted", () => {
  it("a setting value and an engine parameter cannot leave their literal", () => {
    const t = table({
      columns: [col("id"), col("ver")],
      table_settings: { storage_policy: "x'; DROP TABLE local.Orders; --" },
      engine: {
        ReplicatedReplacingMergeTree: {
          keeper_path: "/p'); DROP TABLE local.Orders; --",
          replica_name: "r",
          ver: "ver",
          is_deleted: null,
        },
      },
    });
    const sql = renderCreateTable(t, "local");
    expect(multiStatementProblem(sql)).toBeUndefined();
    expect(sql).toContain("storage_policy = 'x\\'; DROP TABLE local.Orders; --'");
    const [alter] = renderDelta(
      {
        type: "ModifyTableSettings",
        table_id: "local_Evil",
        before: {},
        after: { storage_policy: "a'; DROP TABLE x" },
      },
      { ...emptyInfraMap("local"), tables: { local_Evil: t } },
    );
    expect(multiStatementProblem(alter!.sql)).toBeUndefined();
  });
});
