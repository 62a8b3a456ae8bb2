/** How Moose manages a resource when the code and the database differ. */
export enum LifeCycle {
  /** Moose changes (and drops) the resource to match the code. */
  FULLY_MANAGED = "FULLY_MANAGED",
  /** Moose applies additive changes only; nothing is dropped. */
  DELETION_PROTECTED = "DELETION_PROTECTED",
  /** Moose never changes the resource. */
  EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED",
}

/** Table engines of Moose's SDK (the migration tool plans the MergeTree family). */
export enum ClickHouseEngines {
  MergeTree = "MergeTree",
  ReplacingMergeTree = "ReplacingMergeTree",
  SummingMergeTree = "SummingMergeTree",
  AggregatingMergeTree = "AggregatingMergeTree",
  CollapsingMergeTree = "CollapsingMergeTree",
  VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree",
  GraphiteMergeTree = "GraphiteMergeTree",
  S3Queue = "S3Queue",
  S3 = "S3",
  Buffer = "Buffer",
  Distributed = "Distributed",
  IcebergS3 = "IcebergS3",
  Kafka = "Kafka",
  Merge = "Merge",
  ReplicatedMergeTree = "ReplicatedMergeTree",
  ReplicatedReplacingMergeTree = "ReplicatedReplacingMergeTree",
  ReplicatedAggregatingMergeTree = "ReplicatedAggregatingMergeTree",
  ReplicatedSummingMergeTree = "ReplicatedSummingMergeTree",
  ReplicatedCollapsingMergeTree = "ReplicatedCollapsingMergeTree",
  ReplicatedVersionedCollapsingMergeTree = "ReplicatedVersionedCollapsingMergeTree",
}
