/**
 * The Kafka side on its own: the tool's kafkajs adapter (SASL PLAIN / SCRAM, TLS, error
 * mapping) and the wire-protocol behaviour the migrations rely on (Kafka's validation and error
 * codes, AlterConfigs vs IncrementalAlterConfigs, DescribeCluster). Runs on the in-process test
 * broker, and the protocol part on a real broker with KAFKA_BROKERS.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectKafka, DEFAULT_CONNECT_TIMEOUT_MS, type KafkaPort } from "../../src/adapters/kafka";
import { applyEnvOverrides, configSchema } from "../../src/config/config";
import { resolveKafkaTarget } from "../../src/config/kafka";
import { MooseError } from "../../src/errors";
import { ApiKey } from "../support/kafka/broker";
import { Reader, Writer } from "../support/kafka/codec";
import {
  NEEDS_TEST_BROKER,
  REAL_BROKERS,
  startKafka,
  type KafkaFixture,
} from "../support/kafka/fixture";
import { describeCluster, incrementalAlterTopic, rawRequest } from "../support/kafka/raw-client";

const TLS_DIR = path.join(__dirname, "..", "fixtures", "tls");
const tlsFiles = {
  key: fs.readFileSync(path.join(TLS_DIR, "broker.key"), "utf8"),
  cert: fs.readFileSync(path.join(TLS_DIR, "broker.crt"), "utf8"),
};

/** The tool's own Kafka port, configured the way moose.config.toml would configure it. */
const toolPort = (brokers: string[], redpanda: Record<string, unknown> = {}): KafkaPort =>
  connectKafka(
    resolveKafkaTarget(
      configSchema.parse({ redpanda_config: { broker: brokers.join(","), ...redpanda } }),
      TLS_DIR,
    ),
  );

const failure = async (p: Promise<unknown>): Promise<MooseError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof MooseError) return e;
    throw e;
  }
  throw new Error("expected a failure");
};

describe.skipIf(REAL_BROKERS !== undefined)(`authentication and TLS (${NEEDS_TEST_BROKER})`, () => {
  const users = { alice: "s3cret-Pa55" };
  for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    it(`SASL ${mechanism}: right password lists topics, wrong one is refused without echoing it`, async () => {
      const k = await startKafka({ sasl: { mechanisms: [mechanism], users } });
      const good = toolPort(k.brokers, {
        security_protocol: "SASL_PLAINTEXT",
        sasl_mechanism: mechanism,
        sasl_username: "alice",
        sasl_password: users.alice,
      });
      const bad = toolPort(k.brokers, {
        sasl_mechanism: mechanism,
        sasl_username: "alice",
        sasl_password: "wrong-Pa55word",
      });
      try {
        expect((await good.topics()).map((t) => t.name)).toContain("__consumer_offsets");
        const err = await failure(bad.topics());
        expect(err.code).toBe("KAFKA_AUTH_FAILED");
        expect(err.message).toContain(`SASL ${mechanism} as alice`);
        expect(err.message).not.toContain("wrong-Pa55word");
        expect(err.hint).toContain("sasl_password");
      } finally {
        await good.close();
        await bad.close();
        await k.stop();
      }
    });
  }

  it("a mechanism the broker does not offer is an authentication error", async () => {
    const k = await startKafka({ sasl: { mechanisms: ["SCRAM-SHA-512"], users } });
    const port = toolPort(k.brokers, {
      sasl_mechanism: "PLAIN",
      sasl_username: "alice",
      sasl_password: users.alice,
    });
    try {
      expect((await failure(port.topics())).code).toBe("KAFKA_AUTH_FAILED");
    } finally {
      await port.close();
      await k.stop();
    }
  });

  it("TLS: security_protocol SSL with ssl_ca_location connects; plaintext to a TLS port does not", async () => {
    const k = await startKafka({ tls: tlsFiles });
    const tlsPort = toolPort(k.brokers, {
      security_protocol: "SSL",
      ssl_ca_location: "broker.crt",
    });
    const plain = toolPort(k.brokers);
    try {
      expect((await tlsPort.topics()).length).toBeGreaterThan(0);
      expect((await failure(plain.topics())).code).toBe("KAFKA_UNREACHABLE");
    } finally {
      await tlsPort.close();
      await plain.close();
      await k.stop();
    }
  });

  it("config mistakes are named before any connection", () => {
    const bad = (redpanda: Record<string, unknown>) => {
      try {
        toolPort(["127.0.0.1:9092"], redpanda);
      } catch (e) {
        return (e as MooseError).message;
      }
      return "no error";
    };
    expect(bad({ sasl_mechanism: "GSSAPI", sasl_username: "a", sasl_password: "b" })).toMatch(
      /sasl_mechanism: expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; found 'GSSAPI'/,
    );
    expect(bad({ sasl_mechanism: "PLAIN" })).toMatch(/SASL needs sasl_username and sasl_password/);
    expect(bad({ security_protocol: "TLS" })).toMatch(/security_protocol: expected PLAINTEXT/);
    expect(bad({ broker: "not a broker" })).toMatch(/broker: expected host:port/);
    expect(bad({ connect_timeout_ms: 0 })).toMatch(/connect_timeout_ms: expected a whole number/);
  });
});

describe("the first connection has a deadline", () => {
  /** Accepts connections and never answers: kafkajs alone would wait out its request timeout and retries. */
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let hole: string;
  beforeAll(async () => {
    server = net.createServer((s) => {
      sockets.add(s);
      s.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hole = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("defaults to a few seconds, and connect_timeout_ms (or its env variable) sets it", () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(3000);
    const target = (env: NodeJS.ProcessEnv, redpanda: Record<string, unknown> = {}) =>
      resolveKafkaTarget(
        configSchema.parse(
          applyEnvOverrides({ redpanda_config: { broker: "localhost:9092", ...redpanda } }, env),
        ),
        TLS_DIR,
      );
    expect(target({}).connectTimeoutMs).toBeUndefined();
    expect(target({}, { connect_timeout_ms: 5000 }).connectTimeoutMs).toBe(5000);
    expect(target({ MOOSE_REDPANDA_CONFIG__CONNECT_TIMEOUT_MS: "750" }).connectTimeoutMs).toBe(750);
  });

  it("a broker that never answers is KAFKA_UNREACHABLE at the deadline, naming it and never the password", async () => {
    const port = toolPort([hole], {
      connect_timeout_ms: 200,
      sasl_mechanism: "PLAIN",
      sasl_username: "alice",
      sasl_password: "hole-Pa55",
    });
    try {
      const err = await failure(port.topics());
      expect(err.code).toBe("KAFKA_UNREACHABLE");
      expect(err.message).toContain(hole);
      expect(err.message).toContain("no answer within 0.2 s");
      expect(err.hint).toContain("MOOSE_FEATURES__STREAMING_ENGINE=false");
      expect(err.hint).toContain("connect_timeout_ms");
      expect(`${err.message} ${err.hint}`).not.toContain("hole-Pa55");
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      await port.close();
    }
  });

  it("a listed broker that refuses does not stop the next one from answering", async () => {
    const k = await startKafka();
    const port = toolPort(["127.0.0.1:1", ...k.brokers], { connect_timeout_ms: 1000 });
    try {
      expect(await port.brokerCount()).toBeGreaterThan(0);
    } finally {
      await port.close();
      await k.stop();
    }
  });
});

describe("Kafka's rules, as the broker enforces them", () => {
  let k: KafkaFixture;
  beforeAll(async () => {
    k = await startKafka({ brokers: 3 });
  });
  afterAll(async () => {
    await k?.stop();
  });

  it("validates names, partitions, replication factor and configs with Kafka's error codes", async () => {
    const create = (topic: Record<string, unknown>) =>
      k.admin
        .createTopics({ topics: [topic as never] })
        .then(() => "ok")
        .catch(
          (e: { errors?: { type: string }[]; type?: string }) => e.errors?.[0]?.type ?? e.type,
        );
    expect(await create({ topic: "bad name!" })).toBe("INVALID_TOPIC_EXCEPTION");
    expect(await create({ topic: k.topicName("p0"), numPartitions: 0 })).toBe("INVALID_PARTITIONS");
    expect(await create({ topic: k.topicName("rf"), replicationFactor: 9 })).toBe(
      "INVALID_REPLICATION_FACTOR",
    );
    expect(
      await create({
        topic: k.topicName("cfg"),
        configEntries: [{ name: "retention.ms", value: "soon" }],
      }),
    ).toBe("INVALID_CONFIG");
    expect(
      await create({
        topic: k.topicName("unknown"),
        configEntries: [{ name: "no.such", value: "1" }],
      }),
    ).toBe("INVALID_CONFIG");
    expect(await create({ topic: k.topicName("fine"), numPartitions: 2 })).toBe("ok");
    expect(await create({ topic: k.topicName("fine") })).toBe("ok"); // kafkajs: exists → false
  });

  it("partitions only grow", async () => {
    const name = k.topicName("grow");
    await k.admin.createTopics({ topics: [{ topic: name, numPartitions: 3 }] });
    const shrink = await k.admin
      .createPartitions({ topicPartitions: [{ topic: name, count: 2 }] })
      .catch((e: { type: string }) => e.type);
    expect(shrink).toBe("INVALID_PARTITIONS");
    await k.admin.createPartitions({ topicPartitions: [{ topic: name, count: 5 }] });
    expect((await k.describe(name))!.partitions).toBe(5);
  });

  it.skipIf(REAL_BROKERS !== undefined)(
    "replication spreads over the brokers; the tool's port reads the factor back",
    async () => {
      const port = toolPort(k.brokers);
      try {
        expect(await port.brokerCount()).toBe(3);
        await port.createTopic({
          name: k.topicName("rf3"),
          partitions: 2,
          replicationFactor: 3,
          configs: {},
        });
        expect((await port.topics()).find((t) => t.name === k.topicName("rf3"))).toEqual({
          name: k.topicName("rf3"),
          partitions: 2,
          replicationFactor: 3,
        });
      } finally {
        await port.close();
      }
    },
  );

  it("IncrementalAlterConfigs sets, appends and deletes one key at a time; bad values refused", async () => {
    const name = k.topicName("incr");
    await k.admin.createTopics({
      topics: [{ topic: name, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
    const broker = k.brokers[0]!;
    expect(
      await incrementalAlterTopic(broker, name, [{ name: "retention.ms", op: 0, value: "5000" }]),
    ).toEqual({
      code: 0,
      message: null,
    });
    expect((await k.describe(name))!.dynamic).toMatchObject({
      "cleanup.policy": "compact",
      "retention.ms": "5000",
    });
    await incrementalAlterTopic(broker, name, [{ name: "cleanup.policy", op: 2, value: "delete" }]);
    expect((await k.describe(name))!.dynamic["cleanup.policy"]).toBe("compact,delete");
    await incrementalAlterTopic(broker, name, [{ name: "retention.ms", op: 1, value: null }]);
    expect((await k.describe(name))!.dynamic["retention.ms"]).toBeUndefined();
    const bad = await incrementalAlterTopic(broker, name, [
      { name: "retention.ms", op: 0, value: "-7" },
    ]);
    expect(bad.code).toBe(40);
    expect(bad.message).toContain("retention.ms");
  });

  it("DescribeCluster (flexible version) names every broker and the controller", async () => {
    const d = await describeCluster(k.brokers[0]!);
    expect(d.brokers.length).toBe(REAL_BROKERS ? d.brokers.length : 3);
    expect(d.brokers.map((b) => b.id)).toContain(d.controller);
  });

  it.skipIf(REAL_BROKERS !== undefined)(
    "admin requests to a broker that is not the controller get NOT_CONTROLLER",
    async () => {
      const body = new Writer()
        .array([k.topicName("nc")], (w, t) =>
          w
            .string(t)
            .int32(1)
            .int16(1)
            .array([], () => undefined)
            .array([], () => undefined),
        )
        .int32(1000)
        .toBuffer();
      const r: Reader = await rawRequest(k.brokers[1]!, ApiKey.CreateTopics, 0, body);
      const [res] = r.array((x) => ({ name: x.string(), code: x.int16() }));
      expect(res).toEqual({ name: k.topicName("nc"), code: 41 });
    },
  );

  it("an ApiVersions version the broker does not know is answered in v0 form with UNSUPPORTED_VERSION", async () => {
    const r = await rawRequest(k.brokers[0]!, ApiKey.ApiVersions, 99, Buffer.alloc(0));
    expect(r.int16()).toBe(35);
    const keys = r.array((x) => ({ key: x.int16(), min: x.int16(), max: x.int16() }));
    expect(keys.map((x) => x.key)).toEqual(expect.arrayContaining([3, 19, 20, 32, 33, 37]));
  });
});
