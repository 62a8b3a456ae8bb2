/* eslint-disable @typescript-eslint/no-explicit-any -- "any row type" tables */
/**
 * Row policies. Moose manages them; the migration tool does not plan them yet: they are
 * recorded for getSelectRowPolicies() only, and moose-lib's checks are left to Moose.
 */
import type { OlapTable } from "./olap-table";
import { declared } from "./registry";

/** The ClickHouse role every Moose row policy applies to. */
export const MOOSE_RLS_ROLE = "moose_rls_role";
/** The ClickHouse user Moose runs row-policy-scoped queries as. */
export const MOOSE_RLS_USER = "moose_rls_user";
/** Prefix of the custom settings row policies read (`SQL_moose_rls_<column>`). */
export const MOOSE_RLS_SETTING_PREFIX = "SQL_moose_rls_";

/** The role and settings one query runs with. */
export interface RowPolicyOptions {
  role: string;
  clickhouse_settings: Record<string, string>;
}

/** ClickHouse setting name → JWT claim name. */
export type RowPoliciesConfig = Record<string, string>;

/** The settings for the claims present (missing claims are left out), under Moose's role. */
export function buildRowPolicyOptionsFromClaims(
  config: RowPoliciesConfig,
  claims: Record<string, unknown>,
): RowPolicyOptions {
  const clickhouse_settings = Object.create(null) as Record<string, string>;
  for (const [setting, claim] of Object.entries(config)) {
    const value = claims[claim];
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- claim values are stringified as moose-lib does
    if (value !== undefined && value !== null) clickhouse_settings[setting] = String(value);
  }
  return { role: MOOSE_RLS_ROLE, clickhouse_settings };
}

type RowOf<T> = T extends OlapTable<infer R> ? R : never;

export interface SelectRowPolicyConfig<
  Tables extends readonly OlapTable<any>[] = readonly OlapTable<any>[],
> {
  tables: readonly [...Tables];
  /** A column every table has. */
  column: keyof RowOf<Tables[number]> & string;
  /** The JWT claim holding the value. */
  claim: string;
}

/** `CREATE ROW POLICY … USING <column> = getSetting('SQL_moose_rls_<column>')`. */
export class SelectRowPolicy<Tables extends readonly OlapTable<any>[] = readonly OlapTable<any>[]> {
  readonly kind = "SelectRowPolicy";
  readonly name: string;
  readonly config: Readonly<SelectRowPolicyConfig<Tables>>;

  constructor(name: string, config: SelectRowPolicyConfig<Tables>) {
    this.name = name;
    this.config = Object.freeze({
      ...config,
      tables: Object.freeze([...config.tables]),
    }) as Readonly<SelectRowPolicyConfig<Tables>>;
    const policies = declared("selectRowPolicies");
    if (!policies.has(name)) policies.set(name, this);
  }

  /** The tables as deployed: name (versioned) and database. */
  get tableRefs(): { name: string; database?: string }[] {
    return this.config.tables.map((t) => ({
      name: t.generateTableName(),
      ...(t.config.database ? { database: t.config.database } : {}),
    }));
  }
}
