/**
 * Streams → topics through the whole loop (generate → migrate → introspect → generate) on the
 * embedded ClickHouse and a Kafka broker: the project's in-process wire-protocol broker, or a
 * real one with KAFKA_BROKERS set. Broker answers are Kafka's; the client is the real kafkajs.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { MooseError } from "../../src/errors";
import { makeProject } from "../support/golden";
import { topic as topicOf } from "../support/fixtures";
import { gen, mig, setModel, withEngine } from "../support/run";
import { validateMigrations } from "../../src/commands/migrate";
import {
  startKafka,
  redpandaConfig,
  REAL_BROKERS,
  type KafkaFixture,
} from "../support/kafka/fixture";
import { ApiKey } from "../support/kafka/broker";
import { connectKafka, type KafkaPort } from "../../src/adapters/kafka";
import { loadConfig } from "../../src/config/config";
import { resolveKafkaTarget, type KafkaTarget } from "../../src/config/kafka";
import type { Topic } from "../../src/core/infra-map";
import { applyTopicDelta } from "../../src/runtime/apply-topic";

let kafka: KafkaFixture;
beforeAll(async () => {
  kafka = await startKafka();
});
afterAll(async () => {
  await kafka?.stop();
});

/** What the tool sets on a stream with `retentionPeriod: 60`. */
const MINUTE_RETENTION = [
  { name: "retention.ms", value: "60000" },
  { name: "max.message.bytes", value: "1048576" },
];

let dbCounter = 0;
const project = (model: string, extraConfig = "") =>
  makeProject({
    model,
    config: `[clickhouse_config]\ndb_name = "kt_${process.pid}_${++dbCounter}"\n\n${redpandaConfig(kafka, extraConfig)}`,
  });

const streams = (...defs: string[]) => `import { Stream, Key, LifeCycle } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; at: Date; n: number }
${defs.map((d, i) => `export const S${i} = new Stream<Ev>(${d});`).join("\n")}`;

const files = (root: string) =>
  fs
    .readdirSync(path.join(root, "migrations"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map(
      (f) =>
        YAML.parse(fs.readFileSync(path.join(root, "migrations", f), "utf8")) as Record<
          string,
          unknown
        >,
    );

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof MooseError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
};

describe("topics converge like tables", () => {
  it("creates, grows and re-configures topics; the next generate is empty each time", async () => {
    const root = project(streams(`"orders", { parallelism: 2, retentionPeriod: 3600 }`));
    const first = await gen(root);
    expect(first.status).toBe("written");
    expect(first.deltas.map((d) => d.type)).toEqual(["CreateTopic"]);
    const written = files(root)[0]!;
    expect(written.parent_stream_hash).toMatch(/^[0-9a-f]{64}$/);
    await mig(root);
    const created = await kafka.describe(kafka.topicName("orders"));
    expect(created).toMatchObject({ partitions: 2, replicationFactor: 1 });
    expect(created!.dynamic).toMatchObject({
      "retention.ms": "3600000",
      "max.message.bytes": "1048576",
    });
    expect((await gen(root, { save: false })).status).toBe("no-changes");

    setModel(root, streams(`"orders", { parallelism: 5, retentionPeriod: 7200 }`));
    const grow = await gen(root);
    expect(grow.deltas.map((d) => d.type)).toEqual(["UpdateTopic"]);
    await mig(root);
    const grown = await kafka.describe(kafka.topicName("orders"));
    expect(grown!.partitions).toBe(5);
    expect(grown!.dynamic["retention.ms"]).toBe("7200000");
    expect((await gen(root, { save: false })).status).toBe("no-changes");

    // Removing the stream deletes the topic (fully managed), after approval.
    setModel(root, streams());
    const drop = await gen(root);
    expect(drop.deltas.map((d) => d.type)).toEqual(["DeleteTopic"]);
    expect(drop.approvedDestructive).toEqual([expect.stringContaining("DELETE TOPIC")]);
    await mig(root);
    expect(await kafka.describe(kafka.topicName("orders"))).toBeUndefined();
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("a topic with a version is its own topic: a new version creates one and deletes the old", async () => {
    const root = project(streams(`"clicks", { version: "1.0" }`));
    await gen(root);
    await mig(root);
    expect(await kafka.describe(kafka.topicName("clicks_1_0"))).toBeDefined();
    setModel(root, streams(`"clicks", { version: "2.0" }`));
    const bump = await gen(root);
    expect(bump.deltas.map((d) => d.type)).toEqual(["DeleteTopic", "CreateTopic"]);
    await mig(root);
    expect(await kafka.describe(kafka.topicName("clicks_1_0"))).toBeUndefined();
    expect(await kafka.describe(kafka.topicName("clicks_2_0"))).toBeDefined();
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("a schema-only change of a stream is recorded without touching the broker", async () => {
    const root = project(streams(`"schemaonly"`));
    await gen(root);
    await mig(root);
    setModel(
      root,
      `import { Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; at: Date; n: number; extra: string }
export const S0 = new Stream<Ev>("schemaonly");`,
    );
    const r = await gen(root);
    expect(r.deltas.map((d) => d.type)).toEqual(["UpdateTopic"]);
    await mig(root);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("a retention change keeps a dynamic config set by hand (cleanup.policy)", async () => {
    const root = project(streams(`"ledger", { retentionPeriod: 3600 }`));
    await gen(root);
    await mig(root);
    const name = kafka.topicName("ledger");
    await kafka.setConfigByHand(name, "cleanup.policy", "compact");
    await kafka.setConfigByHand(name, "min.cleanable.dirty.ratio", "0.2");
    setModel(root, streams(`"ledger", { retentionPeriod: 86400 }`));
    await gen(root);
    await mig(root);
    const after = await kafka.describe(name);
    expect(after!.dynamic).toMatchObject({
      "retention.ms": "86400000",
      "cleanup.policy": "compact",
      "min.cleanable.dirty.ratio": "0.2",
    });
  });

  it("the broker resets unset dynamic configs on AlterConfigs (why the tool reads, merges, writes)", async () => {
    const name = kafka.topicName("resetdemo");
    await kafka.admin.createTopics({
      topics: [{ topic: name, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
    await kafka.admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name, configEntries: [{ name: "retention.ms", value: "1000" }] }],
    });
    const after = await kafka.describe(name);
    expect(after!.dynamic["cleanup.policy"]).toBeUndefined();
    expect(after!.dynamic["retention.ms"]).toBe("1000");
  });
});

describe("lifecycle through the loop", () => {
  it("DELETION_PROTECTED: removed from code, the topic stays; EXTERNALLY_MANAGED: never created or changed", async () => {
    const root = project(
      streams(
        `"kept", { lifeCycle: LifeCycle.DELETION_PROTECTED, parallelism: 2 }`,
        `"external", { lifeCycle: LifeCycle.EXTERNALLY_MANAGED }`,
      ),
    );
    const first = await gen(root);
    expect(first.deltas.map((d) => d.type)).toEqual(["CreateTopic"]);
    expect(first.blocked.map((b) => b.reason)).toEqual([
      expect.stringContaining("'external' has ExternallyManaged lifecycle - addition blocked"),
    ]);
    await mig(root);
    expect(await kafka.describe(kafka.topicName("external"))).toBeUndefined();
    // Protected topics still grow; removing them from code keeps them.
    setModel(root, streams(`"kept", { lifeCycle: LifeCycle.DELETION_PROTECTED, parallelism: 3 }`));
    await gen(root);
    await mig(root);
    expect((await kafka.describe(kafka.topicName("kept")))?.partitions).toBe(3);
    setModel(root, streams());
    const removed = await gen(root, { save: false });
    expect(removed.status).toBe("no-changes");
    expect(removed.blocked.map((b) => b.reason)).toEqual([
      expect.stringContaining("'kept' has DeletionProtected lifecycle - deletion blocked"),
    ]);
    expect((await kafka.describe(kafka.topicName("kept")))?.partitions).toBe(3);
  });

  it("an IngestPipeline's stream and a stream with a destination table migrate with their tables", async () => {
    const root =
      project(`import { IngestPipeline, OlapTable, Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const P = new IngestPipeline<Ev>("piped", { table: true, stream: true, ingestApi: false });
export const T = new OlapTable<Ev>("sink", { orderByFields: ["id"] });
export const S = new Stream<Ev>("tosink", { destination: T });`);
    const r = await gen(root);
    expect(r.deltas.map((d) => d.type)).toEqual([
      "CreateTable",
      "CreateTable",
      "CreateTopic",
      "CreateTopic",
    ]);
    await mig(root);
    expect(await kafka.describe(kafka.topicName("piped"))).toBeDefined();
    expect(await kafka.describe(kafka.topicName("tosink"))).toBeDefined();
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});

describe("what generate sees on the broker", () => {
  it("ignores internal topics, other namespaces and undeclared topics", async () => {
    await kafka.admin.createTopics({
      topics: [
        { topic: `${kafka.namespace}other.orders` },
        { topic: `${kafka.namespace}.handmade` },
      ],
    });
    const root = project(streams(`"seen"`));
    const r = await gen(root, { save: false });
    expect(r.deltas.map((d) => (d.type === "CreateTopic" ? d.topic.name : d.type))).toEqual([
      "seen",
    ]);
  });

  it("a topic changed by hand is answered by the next file (drift back to the code)", async () => {
    const root = project(streams(`"handtuned", { retentionPeriod: 3600 }`));
    await gen(root);
    await mig(root);
    await kafka.setConfigByHand(kafka.topicName("handtuned"), "retention.ms", "5000");
    const r = await gen(root);
    // The file first records what the broker has (so the committed files fold), then answers it.
    expect(r.records).toBe(1);
    expect(r.deltas).toEqual([
      expect.objectContaining({
        type: "UpdateTopic",
        before: expect.objectContaining({ retention_period: { secs: 3600, nanos: 0 } }),
        after: expect.objectContaining({ retention_period: { secs: 5, nanos: 0 } }),
      }),
      expect.objectContaining({
        type: "UpdateTopic",
        before: expect.objectContaining({ retention_period: { secs: 5, nanos: 0 } }),
        after: expect.objectContaining({ retention_period: { secs: 3600, nanos: 0 } }),
      }),
    ]);
    expect((await validateMigrations({ root, env: {} })).conflicts).toEqual([]);
    await mig(root);
    expect((await kafka.describe(kafka.topicName("handtuned")))!.dynamic["retention.ms"]).toBe(
      "3600000",
    );
  });

  it("a file whose topics changed on the broker before it was applied is refused (stream hash)", async () => {
    const root = project(streams(`"raced", { retentionPeriod: 3600 }`));
    await gen(root);
    await mig(root);
    setModel(root, streams(`"raced", { retentionPeriod: 7200 }`));
    await gen(root);
    await kafka.setConfigByHand(kafka.topicName("raced"), "retention.ms", "1000");
    const err = await codeOf(mig(root));
    expect(err).toMatch(/^PARENT_HASH_MISMATCH: .*topics on the broker differ/s);
    expect(err).toContain("retention.ms 3600000 -> 1000");
  });

  it("a declared topic someone already made: the file creates it, migrate accepts it if it matches", async () => {
    const configEntries = MINUTE_RETENTION;
    await kafka.admin.createTopics({
      topics: [
        { topic: kafka.topicName("premade"), numPartitions: 2, configEntries },
        { topic: kafka.topicName("premade_wrong"), numPartitions: 5, configEntries },
      ],
    });
    const root = project(streams(`"premade", { parallelism: 2, retentionPeriod: 60 }`));
    expect((await gen(root)).deltas.map((d) => d.type)).toEqual(["CreateTopic"]);
    await mig(root);
    expect((await gen(root, { save: false })).status).toBe("no-changes");

    const wrong = project(streams(`"premade_wrong", { parallelism: 2, retentionPeriod: 60 }`));
    await gen(wrong);
    const err = await codeOf(mig(wrong));
    expect(err).toMatch(
      /^TOPIC_EXISTS_MISMATCH: .*'t[0-9a-f]+\.premade_wrong' already exists .*5 partition/s,
    );
  });

  it("creating a topic that already exists is fine when it matches, refused when it differs", async () => {
    const port = connectKafka(resolveKafkaTarget(loadConfig(project(streams())), "/"));
    const topic = (name: string, partitions: number): Topic =>
      topicOf(name, { partition_count: partitions, retention_period: { secs: 60, nanos: 0 } });
    try {
      const configEntries = MINUTE_RETENTION;
      await kafka.admin.createTopics({
        topics: [
          { topic: kafka.topicName("prebuilt"), numPartitions: 2, configEntries },
          { topic: kafka.topicName("prebuilt_other"), numPartitions: 3, configEntries },
        ],
      });
      await applyTopicDelta(port, { type: "CreateTopic", topic: topic("prebuilt", 2) });
      const err = await codeOf(
        applyTopicDelta(port, { type: "CreateTopic", topic: topic("prebuilt_other", 2) }),
      );
      expect(err).toMatch(/^TOPIC_EXISTS_MISMATCH: .*has 3 partition\(s\).*asks for 2/);
    } finally {
      await port.close();
    }
  });
});

describe("branches", () => {
  it("two branches that each added a topic fork on the stream parent: --validate names both", async () => {
    const offline = { clickhouseUrl: undefined };
    const root = project(streams(`"from_a"`));
    const a = await gen(root, offline);
    // Branch B started from the same commit: its file was generated without A's.
    fs.renameSync(a.path!, `${a.path!}.hidden`);
    setModel(root, streams(`"from_b"`));
    const b = await gen(root, offline);
    fs.renameSync(`${a.path!}.hidden`, a.path!);
    expect(a.file!.parent_state_hash).toBe(b.file!.parent_state_hash);
    expect(a.file!.parent_stream_hash).toBe(b.file!.parent_stream_hash);
    let err: unknown;
    try {
      await validateMigrations({ root, env: {} });
    } catch (e) {
      err = e;
    }
    expect((err as MooseError).code).toBe("MIGRATION_CONFLICT");
    expect((err as MooseError).message).toContain(`${a.file!.id} and ${b.file!.id}`);
    expect((err as MooseError).message).toContain("topic:from_a, topic:from_b");
  });
});

describe("resume", () => {
  it("a migrate that died after the broker made the topic is finished by the next one", async () => {
    const root = project(
      `import { OlapTable, Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const T = new OlapTable<Ev>("resume_table", { orderByFields: ["id"] });
export const S = new Stream<Ev>("resume_topic", { parallelism: 3 });`,
    );
    await gen(root);
    // The process "dies" right after Kafka created the topic, before the journal records it.
    const dying = (target: KafkaTarget): KafkaPort => {
      const inner = connectKafka(target);
      return {
        ...inner,
        target,
        createTopic: async (spec) => {
          await inner.createTopic(spec);
          throw new MooseError("INTERNAL", "simulated crash after CreateTopics");
        },
      };
    };
    expect(await codeOf(mig(root, undefined, { connectKafka: dying }))).toMatch(/simulated crash/);
    expect((await kafka.describe(kafka.topicName("resume_topic")))?.partitions).toBe(3);
    const r = await mig(root);
    expect(r.applied).toHaveLength(1);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});

describe("error cases give one clear message", () => {
  it("partition decrease is a planning error with a hint, nothing written", async () => {
    const root = project(streams(`"shrink", { parallelism: 4 }`));
    await gen(root);
    await mig(root);
    setModel(root, streams(`"shrink", { parallelism: 2 }`));
    const err = await gen(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MooseError);
    expect((err as MooseError).code).toBe("TOPIC_PARTITION_DECREASE");
    expect((err as MooseError).message).toContain("cannot decrease parallelism from 4 to 2");
    expect((err as MooseError).hint).toMatch(/new version of the stream/);
    expect(files(root)).toHaveLength(1);
  });

  it("an invalid config value is refused by the broker and named; the table delta before it stays applied", async () => {
    // 10^16 s of retention is 10^19 ms: more than Kafka's LONG holds, so the broker says no.
    const root = project(
      `import { OlapTable, Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const T = new OlapTable<Ev>("cfg_table", { orderByFields: ["id"] });
export const S = new Stream<Ev>("badcfg", { retentionPeriod: 10_000_000_000_000_000 });`,
    );
    await gen(root);
    const err = await codeOf(mig(root));
    expect(err).toMatch(
      /^KAFKA_REQUEST_FAILED: Migration '.*' failed at delta 2\/2 \(Create topic 'badcfg'/s,
    );
    expect(err).toContain("retention.ms=10000000000000000000");
    expect(err).toContain("INVALID_CONFIG");
    expect(await kafka.describe(kafka.topicName("badcfg"))).toBeUndefined();
    const db = loadConfig(root).clickhouse_config.db_name;
    const tables = await withEngine((ch) =>
      ch.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${db}'`),
    );
    expect(tables.map((t) => t.name)).toContain("cfg_table");
  });

  it("replication factor above the broker count is refused before anything is applied", async () => {
    const root = project(
      `import { OlapTable, Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const T = new OlapTable<Ev>("rf_table", { orderByFields: ["id"] });
export const S = new Stream<Ev>("rf_topic");`,
      "replication_factor = 99\n",
    );
    await gen(root);
    const err = await codeOf(mig(root));
    expect(err).toMatch(
      /^KAFKA_REQUEST_FAILED: .*replication factor 99: the cluster has \d+ broker/,
    );
    expect(await kafka.describe(kafka.topicName("rf_topic"))).toBeUndefined();
  });

  it("an unreachable broker is named, with a hint", async () => {
    const root = makeProject({
      model: streams(`"nowhere"`),
      config: `[clickhouse_config]\ndb_name = "kt_${process.pid}_unreach"\n\n[redpanda_config]\nbroker = "127.0.0.1:1"\n`,
    });
    const err = await gen(root).catch((e: unknown) => e as MooseError);
    expect(err).toBeInstanceOf(MooseError);
    expect((err as MooseError).code).toBe("KAFKA_UNREACHABLE");
    expect((err as MooseError).message).toContain("127.0.0.1:1");
    expect((err as MooseError).hint).toContain("--kafka-broker");
  });
});

describe.skipIf(REAL_BROKERS !== undefined)(
  "introspection cost (test broker counts requests)",
  () => {
    it("reads the broker in a constant number of requests, whatever the number of topics", async () => {
      const count = async (n: number) => {
        const defs = Array.from({ length: n }, (_, i) => `"cost${n}_${i}"`);
        const root = project(streams(...defs));
        await gen(root);
        await mig(root);
        kafka.cluster!.resetCounts();
        expect((await gen(root, { save: false })).status).toBe("no-changes");
        const c = kafka.cluster!.requestCounts;
        return {
          metadata: c.get(ApiKey.Metadata) ?? 0,
          configs: c.get(ApiKey.DescribeConfigs) ?? 0,
        };
      };
      const one = await count(1);
      const many = await count(12);
      expect(many).toEqual(one);
      expect(one.configs).toBe(1);
    });
  },
);
