/**
 * The loop against real servers in containers: a ClickHouse server (over HTTP) and a Redpanda
 * broker, started by testcontainers. Runs where a Docker daemon is reachable; elsewhere the
 * suite is skipped with the reason in its title.
 */
import fs from "node:fs";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../support/golden";
import { gen, mig, setModel } from "../support/run";

const dockerReachable =
  process.env.DOCKER_HOST !== undefined ||
  fs.existsSync("/var/run/docker.sock") ||
  fs.existsSync(`${process.env.HOME ?? ""}/.docker/run/docker.sock`);

const REDPANDA_PORT = 29092;

describe.skipIf(!dockerReachable)(
  "ClickHouse server + Redpanda in containers (skipped: no Docker daemon reachable here)",
  () => {
    let clickhouse: StartedTestContainer;
    let redpanda: StartedTestContainer;
    let url: string;
    const broker = `localhost:${REDPANDA_PORT}`;

    beforeAll(async () => {
      clickhouse = await new GenericContainer("clickhouse/clickhouse-server:24.8")
        .withEnvironment({
          CLICKHOUSE_USER: "moose",
          CLICKHOUSE_PASSWORD: "moosepw",
          CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: "1",
        })
        .withExposedPorts(8123)
        .withWaitStrategy(Wait.forHttp("/ping", 8123))
        .start();
      url = `http://moose:moosepw@${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}/ctest`;
      // Redpanda advertises the address clients must use, so its host port is fixed.
      redpanda = await new GenericContainer("redpandadata/redpanda:v24.2.7")
        .withExposedPorts({ container: 9092, host: REDPANDA_PORT })
        .withCommand([
          "redpanda",
          "start",
          "--overprovisioned",
          "--smp",
          "1",
          "--memory",
          "512M",
          "--reserve-memory",
          "0M",
          "--node-id",
          "0",
          "--check=false",
          "--kafka-addr",
          "PLAINTEXT://0.0.0.0:9092",
          "--advertise-kafka-addr",
          `PLAINTEXT://localhost:${REDPANDA_PORT}`,
        ])
        .withWaitStrategy(Wait.forLogMessage(/Successfully started Redpanda/))
        .start();
    }, 300_000);

    afterAll(async () => {
      await redpanda?.stop();
      await clickhouse?.stop();
    });

    it("tables and topics converge; a retention change keeps cleanup.policy", async () => {
      const model = (
        retention: number,
        partitions: number,
      ) => `import { OlapTable, Stream, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const T = new OlapTable<Ev>("events", { orderByFields: ["id"] });
export const S = new Stream<Ev>("events", { parallelism: ${partitions}, retentionPeriod: ${retention} });`;
      const root = makeProject({
        model: model(3600, 1),
        config: `[clickhouse_config]\ndb_name = "ctest"\n\n[redpanda_config]\nbroker = "${broker}"\nnamespace = "ct"\n`,
      });
      const o = { clickhouseUrl: url };
      expect((await gen(root, o)).deltas.map((d) => d.type)).toEqual([
        "CreateTable",
        "CreateTopic",
      ]);
      await mig(root, undefined, o);
      expect((await gen(root, { ...o, save: false })).status).toBe("no-changes");

      const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: "ct.events",
              configEntries: [
                { name: "retention.ms", value: "3600000" },
                { name: "max.message.bytes", value: "1048576" },
                { name: "cleanup.policy", value: "compact" },
              ],
            },
          ],
        });
        setModel(root, model(7200, 3));
        await gen(root, o);
        await mig(root, undefined, o);
        expect((await gen(root, { ...o, save: false })).status).toBe("no-changes");
        const md = await admin.fetchTopicMetadata({ topics: ["ct.events"] });
        expect(md.topics[0]!.partitions).toHaveLength(3);
        const cfg = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: "ct.events" }],
        });
        const entries = Object.fromEntries(
          cfg.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]),
        );
        expect(entries["retention.ms"]).toBe("7200000");
        expect(entries["cleanup.policy"]).toBe("compact");
      } finally {
        await admin.disconnect();
      }
    }, 300_000);
  },
);
