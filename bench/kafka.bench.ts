/* Prints Kafka introspection time and request count for growing topic counts on the test broker. */
import { connectKafka } from "../src/adapters/kafka";
import { introspectTopics } from "../src/introspect/kafka";
import { ApiKey, TestKafkaCluster } from "../test/support/kafka/broker";

const main = async () => {
  for (const n of [1, 100, 500]) {
    const cluster = await TestKafkaCluster.start();
    for (let i = 0; i < n; i++)
      cluster.state.createTopicByHand(`bench.t${i}`, 3, { "retention.ms": "3600000" });
    const kafka = connectKafka({
      brokers: cluster.brokers,
      ssl: false,
      namespace: "bench",
      replicationFactor: 1,
    });
    await kafka.brokerCount(); // connect first: the figures are the introspection's own
    cluster.resetCounts();
    const t0 = process.hrtime.bigint();
    const topics = await introspectTopics(kafka, "bench");
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const metadata = cluster.requestCounts.get(ApiKey.Metadata) ?? 0;
    const configs = cluster.requestCounts.get(ApiKey.DescribeConfigs) ?? 0;
    // eslint-disable-next-line no-console
    console.log(
      `introspect ${String(topics.length).padStart(4)} topics: ${ms.toFixed(1)} ms, ${metadata} Metadata + ${configs} DescribeConfigs requests`,
    );
    await kafka.close();
    await cluster.stop();
  }
};
void main();
