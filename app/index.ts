import {
  ClickHouseDefault,
  DateTime64,
  Int32,
  Key,
  LifeCycle,
  LowCardinality,
  OlapTable,
  UInt32,
} from "@514labs/moose-lib";

export enum Plan {
  Free = "free",
  Pro = "pro",
}

/** A registered user. */
export interface User {
  id: Key<string>;
  /** Display name shown in the UI */
  name: string;
  age: Int32;
  plan: Plan;
  createdAt: Date;
}

export interface PageView {
  id: Key<string>;
  userId: string;
  url: string;
  country: string & LowCardinality;
  durationMs: UInt32 & ClickHouseDefault<"0">;
  referrer?: string;
  at: DateTime64<3>;
}

export const UserTable = new OlapTable<User>("User", {
  orderByFields: ["id"],
  lifeCycle: LifeCycle.DELETION_PROTECTED,
});

export const PageViewTable = new OlapTable<PageView>("PageView", {
  orderByFields: ["id", "at"],
  partitionBy: "toYYYYMM(at)",
});
