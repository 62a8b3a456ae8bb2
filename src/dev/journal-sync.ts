import type { ClickHousePort } from "../adapters/clickhouse";
import { foldFileInPlace, foldFiles } from "../core/fold";
import { createStateHasher } from "../core/hash";
import { qualified } from "../core/sql-quote";
import { Journal, summarizeJournal } from "../runtime/journal";
import { checksumMatches, journalChecksum } from "../runtime/migration-store";
import type { ProjectContext } from "../commands/context";

/** The detail of the journal rows dev writes (how a journal dev may rewrite is told apart). */
export const DEV_JOURNAL_DETAIL = "recorded by moose dev: its database follows the code";

/**
 * Rows of the journal that `moose migrate` wrote (not dev): a database with such history is
 * a deployment target, which dev must not take over.
 */
export const migrateHistory = async (ch: ClickHousePort, ctx: ProjectContext): Promise<number> => {
  const table = ctx.config.clickhouse_config.migrations_table;
  const exists = await ch.query<{ n: string | number }>(
    "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}",
    { db: ctx.defaultDb, t: table },
  );
  if (Number(exists[0]?.n ?? 0) === 0) return 0;
  const rows = await ch.query<{ n: string | number }>(
    `SELECT count() AS n FROM ${qualified(ctx.defaultDb, table)} WHERE detail != {d:String}`,
    { d: DEV_JOURNAL_DETAIL },
  );
  return Number(rows[0]?.n ?? 0);
};

/**
 * Keeps the journal of dev's database listing every committed file as applied. Dev keeps that
 * database at the code, which is the committed files plus `pending.yaml`, so each committed
 * file is in effect there; recording it lets `moose migrate` and `--status` run against dev's
 * database and report exactly the pending change (as unmigrated), nothing else. A journal
 * that is not a prefix of the files (another branch's, a half-applied file, an edited file) is
 * rewritten: the database is dev's.
 */
export const syncDevJournal = async (ch: ClickHousePort, ctx: ProjectContext): Promise<number> => {
  const table = ctx.config.clickhouse_config.migrations_table;
  const journal = new Journal(ch, ctx.defaultDb, table);
  await journal.ensure();
  const state = summarizeJournal(await journal.read());
  const ids = ctx.migrations.map((m) => m.file.id);
  const applied = state.applied.map((a) => a.id);
  const isPrefix =
    state.incomplete.size === 0 &&
    applied.length <= ids.length &&
    applied.every((id, i) => ids[i] === id) &&
    // A committed file edited since dev recorded it: the journal is rewritten, as for a branch.
    state.applied.every((a, i) => checksumMatches(ctx.migrations[i]!, a.checksum));
  if (!isPrefix) await ch.command(`TRUNCATE TABLE ${qualified(ctx.defaultDb, table)}`);
  const start = isPrefix ? applied.length : 0;
  // Folded in place and hashed incrementally: a long history costs each file's own changes.
  const fold = foldFiles(
    ctx.migrations.slice(0, start).map((m) => m.file),
    ctx.defaultDb,
  );
  const hashOf = createStateHasher();
  for (const m of ctx.migrations.slice(start)) {
    const base = {
      migration_id: m.file.id,
      parent_state_hash: m.file.parent_state_hash,
      file_checksum: journalChecksum(m),
    };
    const changed = new Set<string>();
    foldFileInPlace(fold, m.file, ctx.defaultDb, changed);
    const detail = DEV_JOURNAL_DETAIL;
    await journal.append({ ...base, event: "started", op_index: -1, state_hash: "", detail });
    await journal.append({
      ...base,
      event: "applied",
      op_index: m.file.deltas.length,
      state_hash: hashOf(fold, changed),
      detail,
    });
  }
  return ctx.migrations.length - start;
};
