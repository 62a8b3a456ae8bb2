import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { moose } from "../support/cli";
import { makeProject } from "../support/golden";

const CHDB = path.resolve(__dirname, "../../node_modules/chdb");
const DIR = path.join(os.tmpdir(), `moose-e2e-recreate-chdb-${process.pid}`);
const ENGINE = `chdb://${DIR}`;
const DB = "recreate_e2e";

const model = (idType: string) => `import { OlapTable, Key, Int32 } from "@514labs/moose-lib";
export interface Row { id: Key<${idType}>; name: string; }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;

/** SQL on the CLI's embedded database from another short-lived process (one engine per process). */
const sql = (query: string): string => {
  const script = `const { Session } = require(${JSON.stringify(CHDB)}); const s = new Session(${JSON.stringify(DIR)}); process.stdout.write(s.query(${JSON.stringify(query)}, "TSV")); s.cleanup?.();`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};

describe("a failed migrate says where it stopped and the way out", () => {
  it("a recreate whose rows do not convert: ClickHouse's code, the table intact, the next commands", () => {
    const root = makeProject({ dbName: DB, model: model("string") });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    expect(moose(root, "migrate", "--clickhouse-url", ENGINE).code).toBe(0);
    sql(`INSERT INTO ${DB}.T VALUES ('1', 'a'), ('2', 'b'), ('abc', 'c')`);

    fs.writeFileSync(path.join(root, "app", "index.ts"), model("Int32"));
    const saved = moose(root, "generate", "migration", "--save", "--yes-destructive");
    expect(saved.code).toBe(0);
    const id = fs
      .readdirSync(path.join(root, "migrations"))
      .sort()
      .at(-1)!
      .replace(/\.yaml$/, "");

    // The precheck finds the row first; approved, the copy itself refuses it.
    const stopped = moose(root, "migrate", "--clickhouse-url", ENGINE);
    expect(stopped.err).toContain("Error [DATA_LOSS_RISK]");
    expect(stopped.err).toContain(
      "T.id String → Int32: 1 row(s) hold values that do not fit (e.g. abc)",
    );
    const r = moose(root, "migrate", "--clickhouse-url", ENGINE, "--accept-data-loss", id);
    expect(r.code).toBe(1);
    expect(r.out).toContain("[1/1] Recreate table 'T'");
    expect(r.out).toContain("copying 3 row(s) of 'T' into its new schema");
    expect(r.err).toContain(`Error [RECREATE_COPY_FAILED]: Migration '${id}' failed at delta 1/1`);
    expect(r.err).toContain("CANNOT_PARSE_TEXT (code 6): Cannot parse string 'abc' as Int32");
    expect(r.err).toContain("'T' is unchanged with all its rows");
    expect(r.err).toContain("No delta of this file ran; failed: 1.");
    expect(r.err).toContain("Hint: Every existing row must convert to the new column types");
    // The commands to run next repeat the target given on the command line.
    expect(r.err).toContain(
      `run \`moose migrate --clickhouse-url ${ENGINE}\` again (it resumes at delta 1)`,
    );
    expect(r.err).toContain(`\`rm migrations/${id}.yaml\`, fix the model`);
    expect(r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(sql(`SELECT count(), toTypeName(id) FROM ${DB}.T GROUP BY toTypeName(id)`)).toBe(
      "3\tString",
    );

    const j = moose(
      root,
      "migrate",
      "--clickhouse-url",
      ENGINE,
      "--json",
      "--accept-data-loss",
      id,
    );
    expect(j.code).toBe(1);
    const { error } = JSON.parse(j.out) as { error: { code: string; details: unknown } };
    expect(error.code).toBe("RECREATE_COPY_FAILED");
    expect(error.details).toMatchObject({
      migration: id,
      failedDelta: 1,
      completed: 0,
      clickhouseCode: "CANNOT_PARSE_TEXT",
      clickhouseErrorNumber: 6,
    });

    // Way (a): fix the data, migrate again.
    sql(`ALTER TABLE ${DB}.T DELETE WHERE id = 'abc' SETTINGS mutations_sync = 2`);
    const ok = moose(root, "migrate", "--clickhouse-url", ENGINE);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("copying 2 row(s) of 'T' into its new schema");
    expect(sql(`SELECT count(), toTypeName(id) FROM ${DB}.T GROUP BY toTypeName(id)`)).toBe(
      "2\tInt32",
    );
  });
});
