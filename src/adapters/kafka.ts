import type { Admin, KafkaConfig, SASLOptions } from "kafkajs";
import { MooseError } from "../errors";
import { describeKafkaTarget, type KafkaTarget } from "../config/kafka";

/** kafkajs, loaded when a command first talks to a broker (most never do). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = (): typeof import("kafkajs") => require("kafkajs") as typeof import("kafkajs");

/** A topic as the broker reports it. */
export interface BrokerTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
}

/** A topic's config entries, split by where each value comes from. */
export interface TopicConfigs {
  /** Effective values (dynamic or default). */
  effective: Record<string, string>;
  /** Only the values set on the topic itself (what an AlterConfigs would otherwise reset). */
  dynamic: Record<string, string>;
}

/**
 * The port every Kafka caller uses. kafkajs is constructed here and nowhere else; its errors
 * come back as MooseErrors naming the broker (never credentials).
 */
export interface KafkaPort {
  /** Every topic on the cluster, in one Metadata request (never a named lookup: a named
   *  lookup can auto-create the topic on brokers with `auto.create.topics.enable`). */
  topics(): Promise<BrokerTopic[]>;
  brokerCount(): Promise<number>;
  /** Configs of many topics in one DescribeConfigs request. */
  topicConfigs(names: readonly string[]): Promise<Map<string, TopicConfigs>>;
  /** `created`, or `exists` when a topic of that name is already there. */
  createTopic(spec: {
    name: string;
    partitions: number;
    replicationFactor: number;
    configs: Record<string, string>;
  }): Promise<"created" | "exists">;
  /** Deletes a topic; one that is already gone is not an error. */
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, total: number): Promise<void>;
  /** Replaces the topic's dynamic configs with exactly `configs` (Kafka's AlterConfigs). */
  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  close(): Promise<void>;
  readonly target: KafkaTarget;
}

interface KafkaJsError {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
  errors?: KafkaJsError[];
  originalError?: unknown;
}

const CONNECTION_ERRORS = new Set([
  "KafkaJSConnectionError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
]);

const innermost = (e: KafkaJsError): KafkaJsError => {
  let cur = e;
  for (let i = 0; i < 5; i++) {
    const next = (cur.originalError ?? cur.cause) as KafkaJsError | undefined;
    if (next === undefined || next === null || typeof next !== "object") break;
    cur = next;
  }
  return cur;
};

/** What to do when no broker answers (shared by every KAFKA_UNREACHABLE). */
export const UNREACHABLE_HINT =
  'Start the broker, or point at the right one with --kafka-broker host:port, MOOSE_REDPANDA_CONFIG__BROKER or [redpanda_config] broker in moose.config.toml (and security_protocol = "SSL" if it speaks TLS). ' +
  "To run the ClickHouse side alone, set MOOSE_FEATURES__STREAMING_ENGINE=false (or [features] streaming_engine = false): no Kafka connection is made and topics are left out of planning (a pending file with topic deltas still needs the broker).";

const unreachable = (
  target: KafkaTarget,
  action: string,
  reason: string,
  hint = UNREACHABLE_HINT,
) =>
  new MooseError(
    "KAFKA_UNREACHABLE",
    `Cannot reach the Kafka broker at ${describeKafkaTarget(target)} while trying to ${action}: ${reason}`,
    { hint },
  );

/** Passwords never appear in what the tool prints. */
const scrubber =
  (target: KafkaTarget) =>
  (text: string): string =>
    target.sasl ? text.split(target.sasl.password).join("****") : text;

/** kafkajs error → MooseError with the broker named and a hint; passwords never appear. */
export const kafkaError = (e: unknown, action: string, target: KafkaTarget): MooseError => {
  if (e instanceof MooseError) return e;
  const err = (e ?? {}) as KafkaJsError;
  const inner = innermost(err);
  const where = describeKafkaTarget(target);
  const scrub = scrubber(target);
  const names = [err.name, inner.name];
  if (names.includes("KafkaJSSASLAuthenticationError") || (inner.type ?? "").includes("SASL")) {
    return new MooseError(
      "KAFKA_AUTH_FAILED",
      `Kafka authentication failed at ${where} while trying to ${action}: ${scrub(inner.message ?? err.message ?? "rejected")}`,
      {
        hint: "Check redpanda_config.sasl_username, sasl_password (MOOSE_REDPANDA_CONFIG__SASL_PASSWORD) and sasl_mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) against the broker's users.",
      },
    );
  }
  if (names.some((n) => n !== undefined && CONNECTION_ERRORS.has(n)))
    return unreachable(target, action, scrub(inner.message ?? err.message ?? "no answer"));
  const parts = err.errors && err.errors.length > 0 ? err.errors : [inner];
  const reasons = parts.map((p) => `${p.type ?? p.name ?? "error"}: ${p.message ?? ""}`);
  return new MooseError(
    "KAFKA_REQUEST_FAILED",
    `Kafka refused to ${action} at ${where}: ${scrub(reasons.join("; "))}`,
    { hint: "See the broker's reason above.", details: { types: parts.map((p) => p.type) } },
  );
};

/** How long the first connection (TCP, TLS, ApiVersions, SASL) may take by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

const clientConfig = (target: KafkaTarget): KafkaConfig => ({
  clientId: "moose-migrate",
  brokers: target.brokers,
  logLevel: kafkajs().logLevel.NOTHING,
  ...(target.ssl ? { ssl: target.ssl.ca ? { ca: target.ssl.ca } : true } : {}),
  // Our mechanism names are kafkajs's; TypeScript cannot match a union-typed field against
  // kafkajs's union of per-mechanism option types, hence the cast.
  ...(target.sasl ? { sasl: { ...target.sasl } as SASLOptions } : {}),
});

/**
 * The first connection, on its own short-lived client: each listed broker is tried once with
 * its share of the deadline, and whatever is still pending when the deadline passes (a
 * dropped SYN, a port that accepts and never answers) is abandoned as KAFKA_UNREACHABLE. The
 * client that does the work keeps kafkajs's patient timeouts and retries for slow brokers.
 */
const probeBroker = async (target: KafkaTarget, action: string): Promise<void> => {
  const deadline = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const share = Math.max(100, Math.floor(deadline / target.brokers.length));
  const admin = new (kafkajs().Kafka)({
    ...clientConfig(target),
    connectionTimeout: share,
    authenticationTimeout: share,
    requestTimeout: share,
    enforceRequestTimeout: true,
    // One attempt per listed broker (kafkajs rotates the seed broker after a failure).
    retry: { retries: target.brokers.length - 1, initialRetryTime: 50, maxRetryTime: 100 },
  }).admin({ retry: { retries: 0 } });
  const attempt = admin.connect();
  attempt.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), deadline);
  });
  let outcome: "connected" | "expired" = "expired";
  try {
    outcome = await Promise.race([attempt.then(() => "connected" as const), expired]);
  } catch (e) {
    const mapped = kafkaError(e, action, target);
    // Whatever else stops a first connection (a peer that is not a Kafka broker, a TLS
    // mismatch) means no broker could be reached there.
    throw mapped.code === "KAFKA_REQUEST_FAILED"
      ? unreachable(target, action, scrubber(target)(innermost(e ?? {}).message ?? "no answer"))
      : mapped;
  } finally {
    clearTimeout(timer);
    // A connected probe closes before the work starts; an abandoned one is left to end on its
    // own short timeouts.
    const closing = admin.disconnect().catch(() => undefined);
    if (outcome === "connected") await closing;
  }
  if (outcome === "expired")
    throw unreachable(
      target,
      action,
      `no answer within ${deadline / 1000} s`,
      `${UNREACHABLE_HINT} A broker that is just slow to answer: raise [redpanda_config] connect_timeout_ms (MOOSE_REDPANDA_CONFIG__CONNECT_TIMEOUT_MS, now ${deadline}).`,
    );
};

const configText = (configs: Record<string, string>): string =>
  Object.entries(configs)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

const isDynamicSource = (source: number): boolean =>
  source === Number(kafkajs().ConfigSource.TOPIC_CONFIG);

export const connectKafka = (target: KafkaTarget): KafkaPort => {
  const kafka = new (kafkajs().Kafka)({
    ...clientConfig(target),
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let admin: Admin | undefined;
  const withAdmin = async <T>(action: string, fn: (a: Admin) => Promise<T>): Promise<T> => {
    try {
      if (!admin) {
        await probeBroker(target, action);
        const a = kafka.admin({ retry: { retries: 2, initialRetryTime: 100 } });
        await a.connect();
        admin = a;
      }
      return await fn(admin);
    } catch (e) {
      throw kafkaError(e, action, target);
    }
  };

  const describe = async (a: Admin, names: readonly string[]) => {
    if (names.length === 0) return new Map<string, TopicConfigs>();
    const res = await a.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: kafkajs().ConfigResourceTypes.TOPIC, name })),
    });
    const out = new Map<string, TopicConfigs>();
    for (const r of res.resources) {
      if (r.errorCode !== 0) continue;
      const effective: Record<string, string> = {};
      const dynamic: Record<string, string> = {};
      for (const c of r.configEntries) {
        if (c.configValue === null || c.configValue === undefined) continue;
        effective[c.configName] = c.configValue;
        const source = (c as { configSource?: number }).configSource;
        if (source !== undefined ? isDynamicSource(source) : !c.isDefault)
          dynamic[c.configName] = c.configValue;
      }
      out.set(r.resourceName, { effective, dynamic });
    }
    return out;
  };

  return {
    target,
    topics: () =>
      withAdmin("list topics", async (a) => {
        const md = await a.fetchTopicMetadata();
        return md.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.length,
          replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicas.length)),
        }));
      }),
    brokerCount: () =>
      withAdmin("describe the cluster", async (a) => (await a.describeCluster()).brokers.length),
    topicConfigs: (names) => withAdmin("read topic configs", (a) => describe(a, names)),
    createTopic: (spec) =>
      withAdmin(
        `create topic '${spec.name}' (${spec.partitions} partition(s), replication factor ${spec.replicationFactor}, ${configText(spec.configs)})`,
        async (a) => {
          const created = await a.createTopics({
            waitForLeaders: true,
            timeout: 5000,
            topics: [
              {
                topic: spec.name,
                numPartitions: spec.partitions,
                replicationFactor: spec.replicationFactor,
                configEntries: Object.entries(spec.configs).map(([name, value]) => ({
                  name,
                  value,
                })),
              },
            ],
          });
          return created ? "created" : "exists";
        },
      ),
    deleteTopic: (name) =>
      withAdmin(`delete topic '${name}'`, async (a) => {
        try {
          await a.deleteTopics({ topics: [name], timeout: 5000 });
        } catch (e) {
          const err = e as KafkaJsError;
          const types = [err.type, ...(err.errors ?? []).map((x) => x.type)];
          if (!types.includes("UNKNOWN_TOPIC_OR_PARTITION")) throw e;
        }
      }),
    createPartitions: (name, total) =>
      withAdmin(`add partitions to topic '${name}'`, (a) =>
        a
          .createPartitions({ timeout: 5000, topicPartitions: [{ topic: name, count: total }] })
          .then(() => undefined),
      ),
    alterTopicConfigs: (name, configs) =>
      withAdmin(`change configs of topic '${name}' to ${configText(configs)}`, (a) =>
        a
          .alterConfigs({
            validateOnly: false,
            resources: [
              {
                type: kafkajs().ConfigResourceTypes.TOPIC,
                name,
                configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
              },
            ],
          })
          .then(() => undefined),
      ),
    close: async () => {
      await admin?.disconnect().catch(() => undefined);
    },
  };
};
