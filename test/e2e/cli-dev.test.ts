/*
 * `moose dev` as users run it: the built CLI in its own process on a temp project, the
 * embedded engine served over ClickHouse's HTTP interface, other commands and
 * @clickhouse/client in other processes, files edited on disk.
 */
import fs from "node:fs";
import path from "node:path";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { moose } from "../support/cli";
import { hasScript, startDev, waitUntil, type DevProcess } from "../support/dev";
import { makeProject } from "../support/golden";

const model = (fields: string, extra = "") => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; ${fields} }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
${extra}`;
const tableU = `export interface URow { id: Key<string>; v: number }
export const U = new OlapTable<URow>("U", { orderByFields: ["id"] });
`;

const running: DevProcess[] = [];
const clients: ClickHouseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of running.splice(0)) await d.stop("SIGKILL");
});
const dev = async (root: string, ...args: string[]) => {
  const d = await startDev(root, ...args);
  running.push(d);
  return d;
};
const client = (url: string, password = "pandapass") => {
  const c = createClient({
    url,
    username: "panda",
    password,
    log: { level: ClickHouseLogLevel.OFF },
  });
  clients.push(c);
  return c;
};

const pendingPath = (root: string) => path.join(root, "migrations", "pending.yaml");
const pendingDeltas = (root: string): { type: string; [k: string]: unknown }[] | undefined =>
  fs.existsSync(pendingPath(root))
    ? (YAML.parse(fs.readFileSync(pendingPath(root), "utf8")) as { deltas: { type: string }[] })
        .deltas
    : undefined;
const typesOf = (root: string) => pendingDeltas(root)?.map((d) => d.type);
const committed = (root: string) =>
  fs.readdirSync(path.join(root, "migrations")).filter((f) => f !== "pending.yaml");

/** Saves the model and waits until dev has reported the cycle it caused. */
const save = async (d: DevProcess, root: string, text: string) => {
  // Every report of a cycle a model save started names the file among its triggers.
  const reports = () =>
    (d.out() + d.err()).match(/\([^()\n]*app\/index\.ts[^()\n]*\)/g)?.length ?? 0;
  const before = reports();
  fs.writeFileSync(path.join(root, "app", "index.ts"), text);
  // A loaded machine is slow, not wrong: a cycle may take a while.
  await waitUntil("the cycle after a save", () => reports() > before, 90_000);
};

const columnsVia = async (c: ClickHouseClient, db: string, table = "T") =>
  (
    await (
      await c.query({
        query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position`,
        query_params: { db, t: table },
        format: "JSONEachRow",
      })
    ).json<{ name: string; type: string }>()
  ).map((r) => `${r.name} ${r.type}`);

describe("moose dev", () => {
  it("serves the local database, keeps pending.yaml true through edits, survives errors, exits 0 on SIGINT", async () => {
    const db = "dev_e2e_main";
    const root = makeProject({ dbName: db, model: model("name: string") });
    const d = await dev(root, "--port", "0", "--yes-all");

    // The endpoint answers like ClickHouse and shows what dev applied.
    expect(await (await fetch(`${d.url}/ping`)).text()).toBe("Ok.\n");
    const c = client(d.url);
    expect(await columnsVia(c, db)).toEqual(["id String", "name String"]);
    expect(typesOf(root)).toEqual(["CreateTable"]);
    const record = JSON.parse(fs.readFileSync(path.join(root, ".moose", "dev.json"), "utf8"));
    expect(record).toMatchObject({ pid: d.child.pid, url: d.url });

    // Committing in another terminal (offline generate) empties pending.yaml.
    const g = moose(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    await waitUntil("pending.yaml removed", () => !fs.existsSync(pendingPath(root)));
    expect(committed(root)).toHaveLength(1);

    // Add, change, add a table, remove: pending.yaml is the net change each time.
    await save(d, root, model("name: string; note: string"));
    expect(pendingDeltas(root), d.out() + d.err()).toMatchObject([
      { type: "AddTableColumn", column: { name: "note" } },
    ]);
    expect(await columnsVia(c, db)).toEqual(["id String", "name String", "note String"]);
    expect(d.out()).toMatch(/~ Table T: \+ note: String/);

    await save(d, root, model("name: string; note: number"));
    expect(fs.readFileSync(pendingPath(root), "utf8")).toMatch(/name: note[\s\S]*Float64/);
    expect(await columnsVia(c, db)).toContain("note Float64");

    await save(d, root, model("name: string; note: number", tableU));
    expect(typesOf(root)?.sort()).toEqual(["AddTableColumn", "CreateTable"]);
    expect(await columnsVia(c, db, "U")).toEqual(["id String", "v Float64"]);

    await save(d, root, model("name: string", tableU));
    expect(typesOf(root)).toEqual(["CreateTable"]);
    // Added, then removed again: nothing pending, nothing left in the local database.
    await save(d, root, model("name: string"));
    expect(fs.existsSync(pendingPath(root))).toBe(false);
    expect(await columnsVia(c, db, "U")).toEqual([]);

    // A syntax error: file:line shown, dev keeps watching, pending.yaml untouched.
    await save(d, root, model("name: string; broken: strin g"));
    expect(d.err()).toMatch(/app\/index\.ts:2:\d+/);
    expect(fs.existsSync(pendingPath(root))).toBe(false);
    await save(d, root, model("name: string; fixed: string"));
    expect(typesOf(root)).toEqual(["AddTableColumn"]);

    // @clickhouse/client from this (other) process: insert, select, errors.
    await c.insert({
      table: `${db}.T`,
      values: [{ id: "a", name: "x", fixed: "y" }],
      format: "JSONEachRow",
    });
    const rows = await (
      await c.query({ query: `SELECT id, fixed FROM ${db}.T`, format: "JSONEachRow" })
    ).json();
    expect(rows).toEqual([{ id: "a", fixed: "y" }]);
    await expect(c.query({ query: "SELEC 1" })).rejects.toMatchObject({
      code: "62",
      type: "SYNTAX_ERROR",
    });
    await expect(client(d.url, "wrong").query({ query: "SELECT 1" })).rejects.toMatchObject({
      code: "516",
    });

    // A schema change made through the endpoint is seen: the next save puts the column back.
    await c.command({ query: `ALTER TABLE ${db}.T DROP COLUMN fixed` });
    await save(d, root, `${model("name: string; fixed: string")}\n`);
    expect(await columnsVia(c, db)).toContain("fixed String");

    // Ctrl-C: exit 0, endpoint closed, record gone.
    expect(await d.stop("SIGINT")).toBe(0);
    expect(d.out()).toContain("moose dev stopped.");
    expect(fs.existsSync(path.join(root, ".moose", "dev.json"))).toBe(false);
    await expect(fetch(`${d.url}/ping`)).rejects.toThrow();
  });

  it("commands targeting dev's embedded database go through its endpoint; generate --save commits the pending change", async () => {
    const db = "dev_e2e_routed";
    const root = makeProject({
      dbName: db,
      // A stream too: the project uses Kafka, yet nothing here needs a broker (dev runs none;
      // through dev's endpoint the topics are what the committed files say).
      model: model(
        "name: string",
        `import { Stream } from "@514labs/moose-lib";\nexport const S = new Stream<Row>("S");\n`,
      ),
      config: `[clickhouse_config]\ndb_name = "${db}"\nurl = "chdb://.moose/clickhouse"\n\n[redpanda_config]\nbroker = "127.0.0.1:1"\nconnect_timeout_ms = 500\n`,
    });
    const d = await dev(root, "--port", "0");
    expect(typesOf(root)?.sort()).toEqual(["CreateTable", "CreateTopic"]);

    // A second dev for the same project is refused with the way out.
    const second = moose(root, "dev", "--port", "0");
    expect(second.code).toBe(1);
    expect(second.err).toContain("DEV_ALREADY_RUNNING");

    // Status through dev: the pending change is unmigrated (exit 4), not an unreachable database.
    const status = moose(root, "migrate", "--status");
    expect(status.code, status.err).toBe(4);
    expect(status.out + status.err).toContain("T");

    const g = moose(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    const [file] = committed(root);
    const deltas = (
      YAML.parse(fs.readFileSync(path.join(root, "migrations", file!), "utf8")) as {
        deltas: { type: string }[];
      }
    ).deltas;
    expect(deltas.map((x) => x.type).sort()).toEqual(["CreateTable", "CreateTopic"]);
    await waitUntil("pending.yaml removed", () => !fs.existsSync(pendingPath(root)));
    await d.waitFor(/pending\.yaml removed/);

    // migrate through dev: the committed file is already in effect there.
    const m = moose(root, "migrate");
    expect(m.code, m.err).toBe(0);
    const up = moose(root, "migrate", "--status");
    expect(up.code, up.out + up.err).toBe(0);

    // SIGTERM ends it as cleanly; afterwards the same commands open the directory directly.
    expect(await d.stop("SIGTERM")).toBe(0);
    // (--break-lock opens the database and nothing else: no broker needed.)
    const direct = moose(root, "migrate", "--break-lock");
    expect(direct.code, direct.err).toBe(0);
    // A URL naming another project's database is refused before anything is opened.
    const other = moose(
      root,
      "migrate",
      "--status",
      "--clickhouse-url",
      "chdb://.moose/clickhouse?database=someone_else",
    );
    expect(other.code).toBe(1);
    expect(other.err).toContain("URL_DATABASE_MISMATCH");
  });

  it("without a terminal or --yes flags a drop is skipped with the flags to pass; a stale record is ignored", async () => {
    const db = "dev_e2e_skip";
    const root = makeProject({ dbName: db, model: model("name: string; note: string") });
    // A record left by a dev that died: its pid is gone.
    fs.mkdirSync(path.join(root, ".moose"), { recursive: true });
    fs.writeFileSync(
      path.join(root, ".moose", "dev.json"),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        url: "http://127.0.0.1:1",
        port: 1,
        local: { kind: "chdb", path: path.join(root, ".moose", "clickhouse") },
      }),
    );
    // A database moose migrate deploys to is not dev's to take.
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    expect(moose(root, "migrate", "--clickhouse-url", "chdb://.moose/deploy").code).toBe(0);
    const taken = moose(root, "dev", "--port", "0", "--clickhouse-url", "chdb://.moose/deploy");
    expect(taken.code).toBe(1);
    expect(taken.err).toContain("DEV_TARGET_IN_USE");
    fs.rmSync(path.join(root, "migrations"), { recursive: true });
    fs.mkdirSync(path.join(root, "migrations"));

    const d = await dev(root, "--port", "0");
    const before = fs.readFileSync(pendingPath(root), "utf8");
    await save(d, root, model("name: string"));
    expect(d.err()).toContain("skipping this change cycle");
    expect(d.err()).toContain("drop-column:T.note");
    expect(d.err()).toContain("--yes-destructive");
    // The local database keeps the column; pending.yaml follows the code all the same.
    expect(fs.readFileSync(pendingPath(root), "utf8")).not.toBe(before);
    expect(fs.readFileSync(pendingPath(root), "utf8")).not.toContain("note");
    expect(await columnsVia(client(d.url), db)).toContain("note String");
    expect(await d.stop()).toBe(0);
  });
});

describe("moose dev watches every file the models come from", () => {
  it("an interface in a folder outside source_dir, edited: the change is applied", async () => {
    const db = "dev_e2e_shared";
    const root = makeProject({
      dbName: db,
      model: `import { OlapTable } from "@514labs/moose-lib";
import type { Row } from "../common/row";
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`,
    });
    const shared = path.join(root, "common", "row.ts");
    fs.mkdirSync(path.dirname(shared));
    fs.writeFileSync(
      shared,
      `import { Key } from "@514labs/moose-lib";\nexport interface Row { id: Key<string>; name: string }\n`,
    );
    const d = await dev(root, "--port", "0");
    const c = client(d.url);
    expect(await columnsVia(c, db)).toEqual(["id String", "name String"]);
    fs.writeFileSync(
      shared,
      `import { Key } from "@514labs/moose-lib";\nexport interface Row { id: Key<string>; name: string; extra: string }\n`,
    );
    await d.waitFor(/\+ extra: String/);
    expect(await columnsVia(c, db)).toEqual(["id String", "name String", "extra String"]);
    expect(typesOf(root)).toEqual(["CreateTable"]);
    expect(fs.readFileSync(pendingPath(root), "utf8")).toContain("name: extra");
  });
});

describe("moose dev on a terminal", () => {
  // util-linux's `script` gives dev a pseudo-terminal; Debian has it everywhere (bsdutils).
  it.skipIf(!hasScript())(
    "asks before a drop: no skips the cycle, yes applies it; Ctrl-C in the terminal exits 0",
    async () => {
      const db = "dev_e2e_tty";
      const root = makeProject({ dbName: db, model: model("name: string; note: string") });
      const d = await dev(root, "--terminal", "--port", "0");
      const c = client(d.url);
      fs.writeFileSync(path.join(root, "app", "index.ts"), model("name: string"));
      await d.waitFor(/Proceed with destructive changes\?/);
      expect(d.out()).toContain("drop-column:T.note");
      d.write("n\r");
      await d.waitFor(/Destructive changes rejected — skipping this change cycle/);
      expect(await columnsVia(c, db)).toContain("note String");

      // The next save asks again.
      const asked = d.out().split("Proceed with destructive changes?").length;
      fs.writeFileSync(path.join(root, "app", "index.ts"), `${model("name: string")}\n`);
      await waitUntil(
        "the second question",
        () => d.out().split("Proceed with destructive changes?").length > asked,
      );
      d.write("y\r");
      await d.waitFor(/- note/);
      expect(await columnsVia(c, db)).toEqual(["id String", "name String"]);

      d.write("\x03");
      expect(await d.exited).toBe(0);
      expect(d.out()).toContain("moose dev stopped.");
    },
  );
});
