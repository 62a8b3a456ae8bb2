import type { KafkaPort } from "../adapters/kafka";
import { isVisibleTopic, type LiveTopic } from "../core/topics";

/**
 * The topics of the project's namespace with their partitions, replication factor and
 * effective configs: two requests (Metadata, then one DescribeConfigs for all of them),
 * whatever the number of topics. Internal topics and other namespaces are never read.
 */
export const introspectTopics = async (
  kafka: KafkaPort,
  namespace: string | undefined,
): Promise<LiveTopic[]> => {
  const visible = (await kafka.topics()).filter((t) => isVisibleTopic(t.name, namespace));
  const configs = await kafka.topicConfigs(visible.map((t) => t.name));
  return visible
    .map((t) => ({
      name: t.name,
      partitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configs: configs.get(t.name)?.effective ?? {},
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};
