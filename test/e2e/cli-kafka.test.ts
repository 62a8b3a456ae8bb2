/**
 * The built CLI with streams: spawned (asynchronously, so the in-process broker keeps
 * answering) on temp projects against the embedded ClickHouse and the test broker.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../support/golden";
import {
  NEEDS_TEST_BROKER,
  REAL_BROKERS,
  startKafka,
  type KafkaFixture,
} from "../support/kafka/fixture";

const CLI = path.resolve(__dirname, "../../dist/src/cli.js");
const ENGINE = `chdb://${path.join(os.tmpdir(), `moose-e2e-kafka-chdb-${process.pid}`)}`;
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("MOOSE_")),
);

const moose = (cwd: string, env: Record<string, string>, ...args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...cleanEnv, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });

const model = (parallelism: number) => `import { Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const S = new Stream<Ev>("cli_events", { parallelism: ${parallelism} });
`;

/** A TCP listener that accepts connections and never answers (a hung broker, a dead proxy). */
const silentListener = async () => {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    broker: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);

let kafka: KafkaFixture;
let saslKafka: KafkaFixture | undefined;
beforeAll(async () => {
  kafka = await startKafka();
  if (!REAL_BROKERS)
    saslKafka = await startKafka({
      sasl: { mechanisms: ["SCRAM-SHA-256"], users: { ci: "topsecret-pw" } },
    });
});
afterAll(async () => {
  await kafka?.stop();
  await saslKafka?.stop();
});

const project = (parallelism: number, db: string, redpanda = "") =>
  makeProject({
    model: model(parallelism),
    config: `[clickhouse_config]\ndb_name = "${db}"\n\n[redpanda_config]\nnamespace = "${kafka.namespace}"\n${redpanda}`,
  });

describe("moose CLI with streams", () => {
  it("generate --save and migrate with --kafka-broker; partition decrease exits 1 with a hint", async () => {
    const root = project(2, `cli_k_${process.pid}`);
    const broker = kafka.brokers.join(",");
    const targets = ["--clickhouse-url", ENGINE, "--kafka-broker", broker];
    const g = await moose(root, {}, "generate", "migration", "--save", ...targets, "--json");
    expect(g.code, g.err).toBe(0);
    const result = JSON.parse(g.out) as {
      deltas: { type: string }[];
      file: { parent_stream_hash: string };
    };
    expect(result.deltas.map((d) => d.type)).toEqual(["CreateTopic"]);
    expect(result.file.parent_stream_hash).toMatch(/^[0-9a-f]{64}$/);
    const m = await moose(root, {}, "migrate", ...targets);
    expect(m.code, m.err).toBe(0);
    expect(m.out + m.err).toContain("Create topic 'cli_events'");
    expect((await kafka.describe(kafka.topicName("cli_events")))?.partitions).toBe(2);
    // The broker from the environment works as well as the flag.
    const st = await moose(
      root,
      { MOOSE_REDPANDA_CONFIG__BROKER: broker },
      "migrate",
      "--status",
      "--clickhouse-url",
      ENGINE,
    );
    expect(st.code, st.err).toBe(0);

    fs.writeFileSync(path.join(root, "app", "index.ts"), model(1));
    const shrink = await moose(root, {}, "generate", "migration", "--save", ...targets);
    expect(shrink.code).toBe(1);
    expect(shrink.err).toContain("Error [TOPIC_PARTITION_DECREASE]");
    expect(shrink.err).toContain("cannot decrease parallelism from 2 to 1");
    expect(shrink.err).toContain("Hint:");
    noStack(shrink.err);
  });

  it("an unreachable broker exits 1 naming it", async () => {
    const root = project(1, `cli_k_unreach_${process.pid}`);
    const r = await moose(
      root,
      {},
      "generate",
      "migration",
      "--clickhouse-url",
      ENGINE,
      "--kafka-broker",
      "127.0.0.1:1",
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error [KAFKA_UNREACHABLE]");
    expect(r.err).toContain("127.0.0.1:1");
    // The hint says how to run the ClickHouse side alone.
    expect(r.err).toMatch(/Hint:.*MOOSE_FEATURES__STREAMING_ENGINE=false/);
    noStack(r.err);
  });

  it("a broker that accepts and never answers is given up at the connect deadline", async () => {
    const hole = await silentListener();
    try {
      const root = project(1, `cli_k_hole_${process.pid}`);
      const r = await moose(
        root,
        { MOOSE_REDPANDA_CONFIG__CONNECT_TIMEOUT_MS: "300" },
        "migrate",
        "--status",
        "--clickhouse-url",
        ENGINE,
        "--kafka-broker",
        hole.broker,
        "--json",
      );
      expect(r.code).toBe(1);
      const error = (
        JSON.parse(r.out) as { error: { code: string; message: string; hint: string } }
      ).error;
      expect(error.code).toBe("KAFKA_UNREACHABLE");
      expect(error.message).toContain(hole.broker);
      // Ended by the configured deadline, not by kafkajs's request timeout and retries.
      expect(error.message).toContain("no answer within 0.3 s");
      expect(error.hint).toContain("MOOSE_FEATURES__STREAMING_ENGINE=false");
      expect(error.hint).toContain("connect_timeout_ms");
      expect(hole.connections()).toBeGreaterThan(0);
    } finally {
      await hole.close();
    }
  });

  it("MOOSE_FEATURES__STREAMING_ENGINE=false: streams and a dead broker, tables only, Kafka never dialled", async () => {
    const hole = await silentListener();
    try {
      const root = makeProject({
        model: `${model(1)}import { OlapTable } from "@514labs/moose-lib";
export const T = new OlapTable<Ev>("cli_only_table");
`,
        config: `[clickhouse_config]\ndb_name = "cli_k_off_${process.pid}"\n\n[redpanda_config]\nbroker = "${hole.broker}"\n`,
      });
      const off = { MOOSE_FEATURES__STREAMING_ENGINE: "false" };
      const g = await moose(
        root,
        off,
        "generate",
        "migration",
        "--save",
        "--clickhouse-url",
        ENGINE,
        "--json",
      );
      expect(g.code, g.err).toBe(0);
      const result = JSON.parse(g.out) as {
        deltas: { type: string }[];
        file: { parent_stream_hash?: string };
      };
      expect(result.deltas.map((d) => d.type)).toEqual(["CreateTable"]);
      expect(result.file.parent_stream_hash).toBeUndefined();
      const m = await moose(root, off, "migrate", "--clickhouse-url", ENGINE);
      expect(m.code, m.err).toBe(0);
      const st = await moose(root, off, "migrate", "--status", "--clickhouse-url", ENGINE);
      expect(st.code, st.out + st.err).toBe(0);
      expect(hole.connections()).toBe(0);
      // With the streaming engine on, the same project does dial the broker.
      const on = await moose(
        root,
        { MOOSE_REDPANDA_CONFIG__CONNECT_TIMEOUT_MS: "300" },
        "migrate",
        "--status",
        "--clickhouse-url",
        ENGINE,
      );
      expect(on.code).toBe(1);
      expect(on.err).toContain("Error [KAFKA_UNREACHABLE]");
      expect(hole.connections()).toBeGreaterThan(0);
    } finally {
      await hole.close();
    }
  });

  it.skipIf(REAL_BROKERS !== undefined)(
    `a wrong SASL password exits 1 and is never printed (${NEEDS_TEST_BROKER})`,
    async () => {
      const root = project(
        1,
        `cli_k_auth_${process.pid}`,
        `sasl_mechanism = "SCRAM-SHA-256"\nsasl_username = "ci"\n`,
      );
      const generate = (password: string, ...extra: string[]) =>
        moose(
          root,
          { MOOSE_REDPANDA_CONFIG__SASL_PASSWORD: password },
          "generate",
          "migration",
          "--clickhouse-url",
          ENGINE,
          "--kafka-broker",
          saslKafka!.brokers.join(","),
          ...extra,
        );
      const bad = await generate("not-the-pw-123", "--json");
      expect(bad.code).toBe(1);
      const error = (JSON.parse(bad.out) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("KAFKA_AUTH_FAILED");
      expect(error.message).toContain("as ci");
      expect(bad.out + bad.err).not.toContain("not-the-pw-123");
      const good = await generate("topsecret-pw");
      expect(good.code, good.err).toBe(0);
      expect(good.out + good.err).not.toContain("topsecret-pw");
    },
  );
});
