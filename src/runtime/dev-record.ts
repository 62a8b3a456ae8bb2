import fs from "node:fs";
import path from "node:path";
import { quoteIdent, qualified } from "../core/sql-quote";
import { onDisk } from "../errors";
import type { ClickHousePort } from "../adapters/clickhouse";

/**
 * Where a running `moose dev` says how to reach it: `.moose/dev.json` in the project. Other
 * commands of the project that target dev's embedded database go through dev's endpoint (a
 * chDB data directory opens from one process at a time). No secret is written here: clients
 * authenticate with the project's configured user and password, as dev checks them.
 */
export interface DevRecord {
  pid: number;
  /** The endpoint: `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The local database dev serves: the embedded data directory (absolute) or the URL shown. */
  local: { kind: "chdb"; path: string } | { kind: "http"; display: string };
  database: string;
  startedAt: string;
}

export const DEV_RECORD = path.join(".moose", "dev.json");

const recordPath = (root: string) => path.join(root, DEV_RECORD);

/** Whether a process with this pid exists (one owned by another user counts too). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * The record of a `moose dev` running for this project, or nothing. A record left by a dev
 * that died without cleaning up (its pid is gone) is stale and ignored.
 */
export const readDevRecord = (root: string): DevRecord | undefined => {
  let rec: DevRecord;
  try {
    rec = JSON.parse(fs.readFileSync(recordPath(root), "utf8")) as DevRecord;
  } catch {
    return undefined;
  }
  if (typeof rec.pid !== "number" || typeof rec.url !== "string") return undefined;
  // Our own pid in a record we did not write: a dev that died, its pid reused (containers
  // start processes with small pids).
  if (rec.pid === process.pid) return undefined;
  return alive(rec.pid) ? rec : undefined;
};

export const writeDevRecord = (root: string, rec: DevRecord): void => {
  const p = recordPath(root);
  onDisk("write moose dev's record", p, () => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const tmp = `${p}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`);
    fs.renameSync(tmp, p);
  });
};

/** Removes the record if it is this process's (a newer dev may have replaced it). */
export const removeDevRecord = (root: string, pid = process.pid): void => {
  try {
    const rec = JSON.parse(fs.readFileSync(recordPath(root), "utf8")) as DevRecord;
    if (rec.pid === pid) fs.rmSync(recordPath(root), { force: true });
  } catch {
    // Nothing to remove.
  }
};

/**
 * A database `moose dev` keeps at the code (it applies each save to it) carries this table.
 * Its schema runs ahead of the committed files by exactly what `pending.yaml` holds, so
 * `generate` takes the committed files as its base there, and migrate's checks do the same.
 */
export const DEV_MARKER_TABLE = "_moose_dev";

export const markDevDatabase = async (ch: ClickHousePort, database: string): Promise<void> => {
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`);
  await ch.command(
    `CREATE TABLE IF NOT EXISTS ${qualified(database, DEV_MARKER_TABLE)} (marked DateTime) ENGINE = MergeTree ORDER BY tuple() COMMENT 'moose dev applies the code to this database on every save'`,
  );
};
