import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chdbShell } from "../support/chdb-shell";
import { moose } from "../support/cli";
import { makeProject } from "../support/golden";

/*
 * The data-safety precheck through the built CLI on the embedded engine: a narrowing whose
 * values do not fit stops the file before any delta runs, `--accept-data-loss` applies it,
 * a widening is never stopped, and generate / plan show the risks with live counts.
 */

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "moose-e2e-safety-"));
const ENGINE = `chdb://${DIR}`;
afterAll(() => fs.rmSync(DIR, { recursive: true, force: true }));

const model = (
  fields: string,
) => `import { OlapTable, Key, Int8, Int32, Int64 } from "@514labs/moose-lib";
export interface Row { id: Key<string>; ${fields} }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;

const columnType = (db: string, column: string): unknown =>
  chdbShell(
    DIR,
    `SELECT type FROM system.columns WHERE database = '${db}' AND table = 'T' AND name = '${column}'`,
  )[0]?.type;

const journal = (db: string) =>
  chdbShell(DIR, `SELECT migration_id, event, detail FROM ${db}._moose_migrations ORDER BY seq`);

/** A project at the first model, applied, with `rows` inserted; then the model changed. */
const project = (db: string, first: string, rows: string, next: string): string => {
  const root = makeProject({ model: model(first), dbName: db });
  expect(moose(root, "generate", "migration", "--save").code).toBe(0);
  expect(moose(root, "migrate", "--clickhouse-url", ENGINE).code).toBe(0);
  chdbShell(DIR, `INSERT INTO ${db}.T VALUES ${rows}`);
  fs.writeFileSync(path.join(root, "app", "index.ts"), model(next));
  return root;
};

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe("data-safety precheck", () => {
  it("Int64 → Int8 with 1000 is shown as danger, stopped with the count and example, then applied with --accept-data-loss", () => {
    const root = project("e2e_safety_narrow", "n: Int64;", "('a', 1000), ('b', 5)", "n: Int8;");
    const plan = moose(root, "plan", "--clickhouse-url", ENGINE, "--json");
    expect(plan.code).toBe(0);
    const risks = (JSON.parse(plan.out) as { risks: unknown[] }).risks;
    expect(risks).toMatchObject([
      {
        delta: 1,
        level: "danger",
        losses: [{ column: "n", from: "Int64", to: "Int8", count: 1, example: "1000" }],
      },
    ]);
    const gen = moose(root, "generate", "migration", "--save", "--clickhouse-url", ENGINE);
    expect(gen.code).toBe(0);
    expect(gen.out).toContain(
      "danger: n: Int64 → Int8: 1 row(s) hold values that do not fit (e.g. 1000)",
    );
    const id = fs.readdirSync(path.join(root, "migrations")).sort().at(-1)!.replace(".yaml", "");

    const stopped = moose(root, "migrate", "--clickhouse-url", ENGINE);
    expect(stopped.code).toBe(1);
    expect(stopped.err).toContain("Error [DATA_LOSS_RISK]");
    expect(stopped.err).toContain(`Migration '${id}' would lose data; nothing of it was applied`);
    expect(stopped.err).toContain(
      "T.n Int64 → Int8: 1 row(s) hold values that do not fit (e.g. 1000)",
    );
    expect(stopped.err).toContain(`moose migrate --accept-data-loss ${id}`);
    noStack(stopped.err);
    // Nothing ran: the column is as it was and the file never started.
    expect(columnType("e2e_safety_narrow", "n")).toBe("Int64");
    expect(journal("e2e_safety_narrow").filter((r) => r.migration_id === id)).toEqual([]);

    const json = moose(root, "migrate", "--clickhouse-url", ENGINE, "--json");
    expect(JSON.parse(json.out).error).toMatchObject({
      code: "DATA_LOSS_RISK",
      details: { migration: id, losses: [{ table: "T", column: "n", count: 1, example: "1000" }] },
    });

    const ok = moose(root, "migrate", "--clickhouse-url", ENGINE, "--accept-data-loss", id);
    expect(ok.code).toBe(0);
    expect(columnType("e2e_safety_narrow", "n")).toBe("Int8");
    expect(
      journal("e2e_safety_narrow").find((r) => r.migration_id === id && r.event === "started")
        ?.detail,
    ).toContain("data loss accepted");
  });

  it("Nullable → required with NULLs is stopped; nothing changes", () => {
    const root = project("e2e_safety_nulls", "m?: Int64;", "('a', NULL), ('b', 2)", "m: Int64;");
    expect(
      moose(root, "generate", "migration", "--save", "--yes-all", "--clickhouse-url", ENGINE).code,
    ).toBe(0);
    const r = moose(root, "migrate", "--clickhouse-url", ENGINE);
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error [DATA_LOSS_RISK]");
    expect(r.err).toContain("T.m Nullable(Int64) → Int64: 1 row(s) hold NULL");
    expect(r.err).toContain("Hint:");
    expect(columnType("e2e_safety_nulls", "m")).toBe("Nullable(Int64)");
    expect(chdbShell(DIR, "SELECT count() AS n FROM e2e_safety_nulls.T")[0]?.n).toBe(2);
  });

  it("a widening (Int32 → Int64) is not stopped and is shown as safe", () => {
    const root = project("e2e_safety_widen", "w: Int32;", "('a', 2147483647)", "w: Int64;");
    const gen = moose(
      root,
      "generate",
      "migration",
      "--save",
      "--json",
      "--clickhouse-url",
      ENGINE,
    );
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.out).risks).toMatchObject([{ level: "safe" }]);
    expect(moose(root, "migrate", "--clickhouse-url", ENGINE).code).toBe(0);
    expect(columnType("e2e_safety_widen", "w")).toBe("Int64");
  });
});
