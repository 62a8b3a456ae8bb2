/*
 * The migration lock on the real embedded engine: one holder at a time, fencing that stops a
 * holder which lost the lock before its next write, and nothing left behind by a clean release.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHousePort } from "../../src/adapters/clickhouse";
import { connectClickHouse } from "../../src/adapters/clickhouse";
import { isMooseError } from "../../src/errors";
import { MigrationLock } from "../../src/runtime/lock";
import { ENGINE_DIR } from "../support/run";

const DB = "lock_it";
let ch: ClickHousePort;

beforeAll(async () => {
  ch = connectClickHouse({ kind: "chdb", path: ENGINE_DIR, database: "default", display: "" });
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${DB}`);
});
afterAll(async () => {
  await ch.command(`DROP DATABASE IF EXISTS ${DB}`);
  await ch.close();
});

const lockTables = async () =>
  (
    await ch.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, 'm_lock_') ORDER BY name",
      { db: DB },
    )
  ).map((r) => r.name);

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return isMooseError(e) ? e.code : String(e);
  }
};

describe("MigrationLock", () => {
  it("admits one holder; a clean release leaves no lock table", async () => {
    const a = new MigrationLock(ch, DB, "m");
    const held = await a.acquire();
    expect(await lockTables()).toEqual([`m_lock_${held.token}`]);
    await held.assertHeld();
    await held.release();
    expect(await lockTables()).toEqual([]);
  });

  it("a holder whose lock was taken over stops at its next fencing check (LOCK_LOST)", async () => {
    const held = await new MigrationLock(ch, DB, "m").acquire();
    // Another process takes over (e.g. after this one stalled past its expiry): it creates
    // the next lock table and drops the older one.
    await ch.command(
      `CREATE TABLE ${DB}.m_lock_${held.token + 1} (token UInt64) ENGINE = Memory COMMENT '{"holder":"other@elsewhere:1","nonce":"n","acquired_at":"2026-01-01T00:00:00Z","expires_at":"2999-01-01T00:00:00Z"}'`,
    );
    await ch.command(`DROP TABLE ${DB}.m_lock_${held.token}`);
    expect(await codeOf(held.assertHeld())).toBe("LOCK_LOST");
    // Releasing a lost lock leaves the new holder's table alone.
    await held.release();
    expect(await lockTables()).toEqual([`m_lock_${held.token + 1}`]);
    // That holder is live and on another host: a new run is refused at once...
    expect(await codeOf(new MigrationLock(ch, DB, "m").acquire())).toBe("LOCK_HELD");
    // ...and --break-lock lets it in, while the broken holder's fencing fails.
    const broken = await new MigrationLock(ch, DB, "m").break();
    expect(broken).toEqual({ broken: true, holder: "other@elsewhere:1" });
    const next = await new MigrationLock(ch, DB, "m").acquire();
    expect(next.token).toBe(held.token + 2);
    expect(await lockTables()).toEqual([`m_lock_${next.token}`]);
    await next.release();
    expect(await lockTables()).toEqual([]);
  });

  it("a lock broken while held fails the holder's fencing check", async () => {
    const held = await new MigrationLock(ch, DB, "m").acquire();
    await new MigrationLock(ch, DB, "m").break();
    expect(await codeOf(held.assertHeld())).toBe("LOCK_LOST");
    await held.release();
  });

  it("waits for a live holder with waitMs, then fails naming it", async () => {
    await ch.command(
      `CREATE TABLE ${DB}.m_lock_50 (token UInt64) ENGINE = Memory COMMENT '{"holder":"ci@runner-2:77","host":"runner-2|pid:[9]","pid":77,"nonce":"q","acquired_at":"2026-01-01T00:00:00Z","expires_at":"2999-01-01T00:00:00Z"}'`,
    );
    const waits: string[] = [];
    const started = Date.now();
    const code = await codeOf(
      new MigrationLock(ch, DB, "m").acquire({
        waitMs: 600,
        pollMs: 100,
        onWait: (holder) => waits.push(holder),
      }),
    );
    expect(code).toBe("LOCK_HELD");
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(waits).toEqual(["ci@runner-2:77"]);
    await ch.command(`DROP TABLE ${DB}.m_lock_50`);
  });
});
