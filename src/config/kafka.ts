import fs from "node:fs";
import path from "node:path";
import { MooseError } from "../errors";
import type { MooseConfig } from "./config";

export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** Where and how to reach Kafka/Redpanda, resolved from `[redpanda_config]` and flags. */
export interface KafkaTarget {
  brokers: string[];
  /** TLS: off, on with the system CAs, or on with extra CA certificates (PEM). */
  ssl: false | { ca?: string[] };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  namespace: string | undefined;
  replicationFactor: number;
  /** How long the first connection may take before KAFKA_UNREACHABLE (ms; adapter default if unset). */
  connectTimeoutMs?: number;
}

const MECHANISMS: Record<string, SaslMechanism> = {
  PLAIN: "plain",
  "SCRAM-SHA-256": "scram-sha-256",
  "SCRAM-SHA-512": "scram-sha-512",
};
const PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;

const invalid = (key: string, expected: string, found: string) =>
  new MooseError(
    "KAFKA_CONFIG_INVALID",
    `moose.config.toml [redpanda_config] ${key}: expected ${expected}; found '${found}'`,
    {
      hint: `Fix ${key} in moose.config.toml (or MOOSE_REDPANDA_CONFIG__${key.toUpperCase()}).`,
    },
  );

/** A broker list entry: `host:port` (IPv6 as `[::1]:9092`). */
const BROKER = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;

/**
 * `--kafka-broker`, else `redpanda_config.broker` (which `MOOSE_REDPANDA_CONFIG__BROKER`
 * overrides), with Moose's SASL/SSL keys: `sasl_mechanism` PLAIN / SCRAM-SHA-256 /
 * SCRAM-SHA-512, `sasl_username`, `sasl_password`, `security_protocol` PLAINTEXT / SSL /
 * SASL_PLAINTEXT / SASL_SSL. Ours: `ssl_ca_location`, a PEM file of CAs to trust;
 * `connect_timeout_ms`, how long the first connection may take.
 */
export const resolveKafkaTarget = (
  config: MooseConfig,
  root: string,
  brokerFlag?: string,
): KafkaTarget => {
  const rp = config.redpanda_config;
  const rawBrokers = brokerFlag ?? rp.broker;
  const brokers = rawBrokers
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  const bad = brokers.find((b) => !BROKER.test(b));
  if (brokers.length === 0 || bad !== undefined)
    throw invalid("broker", "host:port[,host:port…]", bad ?? rawBrokers);
  const protocol = (rp.security_protocol ?? "").toUpperCase();
  if (protocol !== "" && !(PROTOCOLS as readonly string[]).includes(protocol))
    throw invalid("security_protocol", PROTOCOLS.join(", "), rp.security_protocol ?? "");
  const rawMechanism = rp.sasl_mechanism;
  const mechanism = rawMechanism === undefined ? undefined : MECHANISMS[rawMechanism.toUpperCase()];
  if (rawMechanism !== undefined && mechanism === undefined)
    throw invalid("sasl_mechanism", Object.keys(MECHANISMS).join(", "), rawMechanism);
  const wantsSasl = mechanism !== undefined || protocol.startsWith("SASL_");
  if (wantsSasl && (rp.sasl_username === undefined || rp.sasl_password === undefined))
    throw new MooseError(
      "KAFKA_CONFIG_INVALID",
      "moose.config.toml [redpanda_config]: SASL needs sasl_username and sasl_password",
      {
        hint: "Set both (the password preferably as MOOSE_REDPANDA_CONFIG__SASL_PASSWORD in the environment).",
      },
    );
  let ca: string[] | undefined;
  if (rp.ssl_ca_location !== undefined && rp.ssl_ca_location !== "") {
    const file = path.resolve(root, rp.ssl_ca_location);
    if (!fs.existsSync(file))
      throw invalid("ssl_ca_location", "a readable PEM file", rp.ssl_ca_location);
    ca = [fs.readFileSync(file, "utf8")];
  }
  const ssl = protocol === "SSL" || protocol === "SASL_SSL" || ca !== undefined;
  if (rp.replication_factor < 1 || !Number.isInteger(rp.replication_factor))
    throw invalid("replication_factor", "a whole number ≥ 1", String(rp.replication_factor));
  const timeout = rp.connect_timeout_ms;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
    throw invalid("connect_timeout_ms", "a whole number of milliseconds > 0", String(timeout));
  return {
    brokers,
    ssl: ssl ? (ca ? { ca } : {}) : false,
    ...(wantsSasl
      ? {
          sasl: {
            mechanism: mechanism ?? "plain",
            username: rp.sasl_username!,
            password: rp.sasl_password!,
          },
        }
      : {}),
    namespace: rp.namespace === undefined || rp.namespace === "" ? undefined : rp.namespace,
    replicationFactor: rp.replication_factor,
    ...(timeout !== undefined ? { connectTimeoutMs: timeout } : {}),
  };
};

/** The broker list as printed in messages: never credentials (they are not part of it). */
export const describeKafkaTarget = (t: KafkaTarget): string =>
  `${t.brokers.join(",")}${t.sasl ? ` (SASL ${t.sasl.mechanism.toUpperCase()} as ${t.sasl.username})` : ""}${t.ssl ? " over TLS" : ""}`;
