import os from "node:os";
import { ClickHouseServerError, type ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { qualified, quoteString } from "../core/sql-quote";

interface LockInfo {
  holder: string;
  acquired_at: string;
  expires_at: string;
  released?: boolean;
  broken_by?: string;
}

export interface HeldLock {
  /** Fencing token: the lock table's number, strictly increasing across acquisitions. */
  token: number;
  release(): Promise<void>;
}

const LOCK_TTL_MS = 60_000;
const REFRESH_MS = 15_000;

/**
 * The migration lock. `CREATE TABLE <prefix>_lock_<n+1>` is atomic in ClickHouse (a second
 * creator gets TABLE_ALREADY_EXISTS), so whoever creates the next number holds the lock, and
 * the number is a monotonic fencing token with no takeover race. Holder and expiry live in the
 * table's COMMENT, refreshed while work runs; an expired or released lock can be taken over by
 * creating the next number.
 */
export class MigrationLock {
  constructor(
    private readonly ch: ClickHousePort,
    private readonly database: string,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get lockPrefix() {
    return `${this.prefix}_lock_`;
  }

  private async latest(): Promise<{ n: number; info: LockInfo | null; all: number[] }> {
    const rows = await this.ch.query<{ name: string; comment: string }>(
      "SELECT name, comment FROM system.tables WHERE database = {db:String} AND startsWith(name, {p:String})",
      { db: this.database, p: this.lockPrefix },
    );
    let best: { n: number; comment: string } | null = null;
    const all: number[] = [];
    for (const r of rows) {
      const n = Number(r.name.slice(this.lockPrefix.length));
      if (!Number.isInteger(n)) continue;
      all.push(n);
      if (!best || n > best.n) best = { n, comment: r.comment };
    }
    if (!best) return { n: 0, info: null, all };
    try {
      return { n: best.n, info: JSON.parse(best.comment) as LockInfo, all };
    } catch {
      return { n: best.n, info: null, all };
    }
  }

  private comment(info: LockInfo) {
    return quoteString(JSON.stringify(info));
  }

  async acquire(): Promise<HeldLock> {
    const { n, info, all } = await this.latest();
    const now = this.now();
    if (info && !info.released && new Date(info.expires_at) > now) {
      throw new MooseError(
        "LOCK_HELD",
        `Another migration holds the lock (holder ${info.holder}, since ${info.acquired_at}, expires ${info.expires_at})`,
        {
          hint: "Wait for it to finish. If its process died, the lock expires by itself within a minute, or break it with `moose migrate --break-lock`.",
        },
      );
    }
    const token = n + 1;
    const mine: LockInfo = {
      holder: `${os.userInfo().username}@${os.hostname()}:${process.pid}`,
      acquired_at: now.toISOString(),
      expires_at: new Date(now.getTime() + LOCK_TTL_MS).toISOString(),
    };
    const table = qualified(this.database, `${this.lockPrefix}${token}`);
    try {
      await this.ch.command(
        `CREATE TABLE ${table} (token UInt64) ENGINE = Memory COMMENT ${this.comment(mine)}`,
      );
    } catch (e) {
      if (
        e instanceof ClickHouseServerError &&
        (e.serverCode === "57" || e.serverType === "TABLE_ALREADY_EXISTS")
      ) {
        throw new MooseError("LOCK_HELD", "Another migration took the lock at the same moment", {
          hint: "Run the command again once it has finished.",
        });
      }
      throw e;
    }
    // Older lock tables are history now; dropping them is best-effort housekeeping.
    for (const old of all.filter((x) => x < token)) {
      await this.ch
        .command(`DROP TABLE IF EXISTS ${qualified(this.database, `${this.lockPrefix}${old}`)}`)
        .catch(() => undefined);
    }
    const refresh = async (patch: Partial<LockInfo>) => {
      const updated = { ...mine, ...patch };
      await this.ch.command(`ALTER TABLE ${table} MODIFY COMMENT ${this.comment(updated)}`);
    };
    const timer = setInterval(() => {
      void refresh({
        expires_at: new Date(this.now().getTime() + LOCK_TTL_MS).toISOString(),
      }).catch(() => undefined);
    }, REFRESH_MS);
    timer.unref();
    return {
      token,
      release: async () => {
        clearInterval(timer);
        await refresh({ released: true });
      },
    };
  }

  /** Marks the current lock released, whoever holds it (`moose migrate --break-lock`). */
  async break(): Promise<{ broken: boolean; holder?: string }> {
    const { n, info } = await this.latest();
    if (n === 0 || !info || info.released) return { broken: false };
    const updated: LockInfo = {
      ...info,
      released: true,
      broken_by: `${os.userInfo().username}@${os.hostname()}`,
    };
    await this.ch.command(
      `ALTER TABLE ${qualified(this.database, `${this.lockPrefix}${n}`)} MODIFY COMMENT ${this.comment(updated)}`,
    );
    return { broken: true, holder: info.holder };
  }
}
