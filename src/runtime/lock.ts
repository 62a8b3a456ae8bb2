import { randomBytes } from "node:crypto";
import os from "node:os";
import { ClickHouseServerError, type ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { qualified, quoteString } from "../core/sql-quote";
import { currentProcess, hostKey, provablyDead, type ProcessIdentity } from "./process-identity";

/** What the lock table's COMMENT records. */
interface LockInfo extends Partial<ProcessIdentity> {
  holder: string;
  /** Random per acquisition: a lock table of the same number made later is not ours. */
  nonce?: string;
  acquired_at: string;
  expires_at: string;
  released?: boolean;
  broken_by?: string;
}

export interface HeldLock {
  /** Fencing token: the lock table's number (higher than any lock table present when taken). */
  token: number;
  /** Whom the lock was taken over from, when it was (a provably dead or expired holder). */
  tookOverFrom?: string;
  /**
   * Throws LOCK_LOST unless this run still holds the lock: called before each operation, so a
   * holder that was taken over (it stalled past the expiry, or `--break-lock` was run) stops
   * before writing anything more.
   */
  assertHeld(): Promise<void>;
  /** Stops the heartbeat and drops the lock table, so a clean run leaves no lock behind. */
  release(): Promise<void>;
}

/** How long a holder on another host is trusted without a heartbeat. */
export const LOCK_TTL_MS = 20_000;
/** How often the holder renews its expiry. */
export const HEARTBEAT_MS = 5_000;

export interface AcquireOptions {
  /** Wait up to this long for a live holder instead of failing at once (`--wait-lock`). */
  waitMs?: number;
  /** Told once when the lock is busy and the call waits. */
  onWait?: (holder: string, waitMs: number) => void;
  /** Test seam: the poll interval while waiting. */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The migration lock. `CREATE TABLE <prefix>_lock_<n+1>` is atomic in ClickHouse (a second
 * creator gets TABLE_ALREADY_EXISTS), so whoever creates the next number holds the lock and
 * there is no takeover race. Holder, nonce and expiry live in the table's COMMENT, renewed by a
 * heartbeat. A holder is taken over at once when it is provably dead (same host key, pid gone
 * or reused), after LOCK_TTL_MS without a heartbeat otherwise, and at once after
 * `--break-lock`. Older lock tables are dropped by the new holder; a clean release drops its
 * own, so nothing stays in the user's database.
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

  private tableOf(n: number) {
    return qualified(this.database, `${this.lockPrefix}${n}`);
  }

  /** One catalog read: every lock table and the newest one's record. */
  private async latest(): Promise<{ n: number; info: LockInfo | null; all: number[] }> {
    const rows = await this.ch.query<{ name: string; comment: string }>(
      "SELECT name, comment FROM system.tables WHERE database = {db:String} AND startsWith(name, {p:String})",
      { db: this.database, p: this.lockPrefix },
    );
    let best: { n: number; comment: string } | null = null;
    const all: number[] = [];
    for (const r of rows) {
      const suffix = r.name.slice(this.lockPrefix.length);
      if (!/^\d+$/.test(suffix)) continue;
      const n = Number(suffix);
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

  /**
   * Why the current record does not stop a new holder, or null when it does (a live holder).
   * "free" when nobody holds it. A record we cannot read (no JSON) is free: only this tool
   * writes them.
   */
  private freeBecause(info: LockInfo | null): string | null {
    if (!info || info.released) return "free";
    if (new Date(info.expires_at) <= this.now()) return `its lock expired at ${info.expires_at}`;
    if (info.host === hostKey() && info.pid !== undefined) {
      const pid = { pid: info.pid, ...(info.pid_start ? { pid_start: info.pid_start } : {}) };
      if (info.pid === process.pid) return "it was this process's own earlier run";
      if (provablyDead(pid)) return `its process ${info.pid} is gone`;
    }
    return null;
  }

  async acquire(options: AcquireOptions = {}): Promise<HeldLock> {
    const waitMs = options.waitMs ?? 0;
    const deadline = Date.now() + waitMs;
    let told = false;
    for (;;) {
      const { n, info, all } = await this.latest();
      const free = this.freeBecause(info);
      if (free !== null) {
        const took = await this.tryCreate(n + 1, all);
        if (took) {
          return took(free === "free" || !info ? undefined : `${info.holder} (${free})`);
        }
      }
      // Free but another run created the next table first: that run is the holder now.
      const current = free === null ? info : null;
      const holder = current?.holder ?? "another migration";
      if (Date.now() >= deadline) throw this.heldError(current, waitMs);
      if (!told) {
        options.onWait?.(holder, waitMs);
        told = true;
      }
      await sleep(Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now())));
    }
  }

  private heldError(info: LockInfo | null, waitedMs: number): MooseError {
    const who = info
      ? `${info.holder}, since ${info.acquired_at}, heartbeat expires ${info.expires_at}`
      : "another migration took it at the same moment";
    const sameHost = info?.host === hostKey();
    return new MooseError(
      "LOCK_HELD",
      `Another migration holds the lock (${who})${waitedMs > 0 ? `; waited ${Math.round(waitedMs / 1000)} s` : ""}. Nothing was applied by this run.`,
      {
        hint: sameHost
          ? "That process is still running on this machine. Wait for it, or run `moose migrate --wait-lock` to wait for it and then apply what is left."
          : `Run \`moose migrate --wait-lock\` to wait for it and then apply what is left. If its process died, the lock is free within ${LOCK_TTL_MS / 1000} s of its last heartbeat; \`moose migrate --break-lock\` frees it at once (only when you are sure it is dead).`,
        details: info ? { holder: info.holder, expires_at: info.expires_at } : undefined,
      },
    );
  }

  /** Creates lock table `token`; on success returns the held lock (minus the takeover note). */
  private async tryCreate(
    token: number,
    all: number[],
  ): Promise<((tookOverFrom: string | undefined) => HeldLock) | null> {
    const me = currentProcess();
    const now = this.now();
    const mine: LockInfo = {
      ...me,
      nonce: randomBytes(8).toString("hex"),
      acquired_at: now.toISOString(),
      expires_at: new Date(now.getTime() + LOCK_TTL_MS).toISOString(),
    };
    try {
      await this.ch.command(
        `CREATE TABLE ${this.tableOf(token)} (token UInt64) ENGINE = Memory COMMENT ${this.comment(mine)}`,
      );
    } catch (e) {
      if (
        e instanceof ClickHouseServerError &&
        (e.serverCode === "57" || e.serverType === "TABLE_ALREADY_EXISTS")
      )
        return null;
      throw e;
    }
    // Older lock tables are history now (their holders' fencing checks fail on them).
    for (const old of all.filter((x) => x < token))
      await this.ch.command(`DROP TABLE IF EXISTS ${this.tableOf(old)}`).catch(() => undefined);
    return (tookOverFrom) => this.held(token, mine, tookOverFrom);
  }

  private held(token: number, mine: LockInfo, tookOverFrom: string | undefined): HeldLock {
    let lost: string | null = null;
    const table = this.tableOf(token);
    const beat = async () => {
      const renewed: LockInfo = {
        ...mine,
        expires_at: new Date(this.now().getTime() + LOCK_TTL_MS).toISOString(),
      };
      await this.ch.command(`ALTER TABLE ${table} MODIFY COMMENT ${this.comment(renewed)}`);
    };
    const timer = setInterval(() => {
      void beat().catch((e: unknown) => {
        // The table is gone: a new holder dropped it. Anything else (a network blip) is retried.
        if (e instanceof ClickHouseServerError && e.serverType === "UNKNOWN_TABLE")
          lost = "the lock table was dropped by a new holder";
      });
    }, HEARTBEAT_MS);
    timer.unref();
    const check = async (): Promise<string | null> => {
      if (lost) return lost;
      const { n, info } = await this.latest();
      if (n !== token) return n > token ? `lock ${n} was taken` : "the lock table is gone";
      if (!info || info.nonce !== mine.nonce) return "the lock was taken by another process";
      if (info.released)
        return info.broken_by ? `it was broken by ${info.broken_by}` : "it was released";
      return null;
    };
    return {
      token,
      ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
      assertHeld: async () => {
        const why = await check();
        if (why === null) return;
        lost = why;
        throw new MooseError(
          "LOCK_LOST",
          `This run no longer holds the migration lock (${why}); it stopped before its next operation`,
          {
            hint: "Another `moose migrate` took over (this run stalled past the lock expiry, or `--break-lock` was used). Run `moose migrate --wait-lock` again: it resumes from the journal once the other run is done.",
          },
        );
      },
      release: async () => {
        clearInterval(timer);
        if ((await check()) === null)
          await this.ch.command(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      },
    };
  }

  /** Who holds the lock now (a live holder), or undefined when it is free. Reads, never takes. */
  async holder(): Promise<string | undefined> {
    const { info } = await this.latest();
    return info && this.freeBecause(info) === null ? info.holder : undefined;
  }

  /** Marks the current lock released, whoever holds it (`moose migrate --break-lock`). */
  async break(): Promise<{ broken: boolean; holder?: string }> {
    const { n, info } = await this.latest();
    if (n === 0 || !info || info.released) return { broken: false };
    const updated: LockInfo = {
      ...info,
      released: true,
      broken_by: currentProcess().holder || os.hostname(),
    };
    await this.ch.command(`ALTER TABLE ${this.tableOf(n)} MODIFY COMMENT ${this.comment(updated)}`);
    return { broken: true, holder: info.holder };
  }
}
