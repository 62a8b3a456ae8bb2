/**
 * The Kafka a test runs against: the project's in-process wire-protocol broker by default, or
 * the real broker(s) named by `KAFKA_BROKERS` (e.g. `KAFKA_BROKERS=localhost:19092`). Tests
 * touch the broker "by hand" only through kafkajs, as an operator would, so the same test body
 * runs on both. Each fixture gets its own namespace, so runs never see each other's topics on a
 * shared broker.
 */
import crypto from "node:crypto";
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel, type Admin } from "kafkajs";
import { TestKafkaCluster, type TestKafkaOptions } from "./broker";

export const REAL_BROKERS = process.env.KAFKA_BROKERS?.split(",")
  .map((b) => b.trim())
  .filter((b) => b !== "");

/** The reason broker-specific tests give when they cannot run against a real broker. */
export const NEEDS_TEST_BROKER =
  "needs the in-process test broker (its SASL users, TLS certificate or broker count are set up by the test); skipped under KAFKA_BROKERS";

export interface KafkaFixture {
  brokers: string[];
  /** A namespace unique to this fixture (`redpanda_config.namespace`). */
  namespace: string;
  /** The in-process cluster, when that is what runs. */
  cluster: TestKafkaCluster | undefined;
  /** An operator's admin client (plain connection). */
  admin: Admin;
  /** Full broker name of a topic id in this fixture's namespace. */
  topicName(id: string): string;
  describe(
    name: string,
  ): Promise<
    { partitions: number; replicationFactor: number; dynamic: Record<string, string> } | undefined
  >;
  /** Sets one config by hand, keeping the topic's other dynamic configs (read, merge, write). */
  setConfigByHand(name: string, key: string, value: string): Promise<void>;
  stop(): Promise<void>;
}

export const startKafka = async (opts: TestKafkaOptions = {}): Promise<KafkaFixture> => {
  const cluster = REAL_BROKERS ? undefined : await TestKafkaCluster.start(opts);
  const brokers = REAL_BROKERS ?? cluster!.brokers;
  const kafka = new Kafka({
    clientId: "moose-test-operator",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
    ...(opts.tls ? { ssl: { ca: [opts.tls.cert] } } : {}),
    ...(opts.sasl
      ? {
          sasl: {
            mechanism: opts.sasl.mechanisms[0]!.toLowerCase() as "plain",
            username: Object.keys(opts.sasl.users)[0]!,
            password: Object.values(opts.sasl.users)[0]!,
          },
        }
      : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  const namespace = `t${crypto.randomBytes(4).toString("hex")}`;
  const dynamicConfigs = async (name: string) => {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name }],
    });
    return Object.fromEntries(
      res.resources[0]!.configEntries.filter(
        (c) => c.configSource === ConfigSource.TOPIC_CONFIG,
      ).map((c) => [c.configName, c.configValue]),
    );
  };
  return {
    brokers,
    namespace,
    cluster,
    admin,
    topicName: (id) => `${namespace}.${id}`,
    describe: async (name) => {
      const md = await admin.fetchTopicMetadata();
      const t = md.topics.find((x) => x.name === name);
      if (!t) return undefined;
      return {
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        dynamic: await dynamicConfigs(name),
      };
    },
    setConfigByHand: async (name, key, value) => {
      const current = await dynamicConfigs(name);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name,
            configEntries: Object.entries({ ...current, [key]: value }).map(([n, v]) => ({
              name: n,
              value: v,
            })),
          },
        ],
      });
    },
    stop: async () => {
      if (REAL_BROKERS) {
        // Leave a shared broker as it was: delete this run's topics (every namespace a test
        // derived from this one starts with it).
        const mine = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      }
      await admin.disconnect();
      await cluster?.stop();
    },
  };
};

/** `[redpanda_config]` for a project talking to the fixture. */
export const redpandaConfig = (k: KafkaFixture, extra = "", namespace = k.namespace): string =>
  `[redpanda_config]\nbroker = "${k.brokers.join(",")}"\nnamespace = "${namespace}"\n${extra}`;
