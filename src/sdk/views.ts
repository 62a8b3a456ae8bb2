/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's metadata maps and "any row type" tables */
import { isInjectedSchema } from "./column";
import { ClickHouseEngines, type LifeCycle } from "./enums";
import { OlapTable, type OlapConfig } from "./olap-table";
import { declared, registry, type InjectedSchema } from "./registry";
import { selectText, toQuery, type Sql } from "./sql";

/** A table or view a SELECT reads. */
export type SelectSource = OlapTable<any> | View;

/** How Moose records a table or view a SELECT reads: `` `t` `` or `` `db`.`t` ``. */
export const tableReference = (t: SelectSource): string => {
  const database = t instanceof OlapTable ? t.config.database : t.database;
  const name = t instanceof OlapTable ? t.generateTableName() : t.name;
  return database ? `\`${database}\`.\`${name}\`` : `\`${name}\``;
};

export interface ViewConfig {
  /** The SELECT, as text or `sql` (without parameters). */
  selectStatement: string | Sql;
  /** The tables and views it reads. */
  baseTables: SelectSource[];
  /** The view's database (the project's when absent). */
  database?: string;
  metadata?: { [key: string]: any };
}

const isViewConfig = (v: unknown): v is ViewConfig =>
  typeof v === "object" && v !== null && "selectStatement" in v && !("strings" in v);

/** A plain view: `new View(name, { selectStatement, baseTables })` (or the older positional form). */
export class View {
  readonly kind = "View";
  name: string;
  database?: string;
  selectSql: string;
  sourceTables: string[];
  metadata: { [key: string]: any };

  constructor(name: string, config: ViewConfig);
  /** @deprecated Use `new View(name, { selectStatement, baseTables, metadata })`. */
  constructor(
    name: string,
    selectStatement: string | Sql,
    baseTables: SelectSource[],
    metadata?: { [key: string]: any },
  );
  constructor(
    name: string,
    configOrSelect: ViewConfig | string | Sql,
    baseTables?: SelectSource[],
    metadataOrSchema?: { [key: string]: any },
    schemaArg?: InjectedSchema,
  ) {
    // The compile step appends the schema after the arguments the call has (at least three).
    const schema = isInjectedSchema(schemaArg)
      ? schemaArg
      : isInjectedSchema(metadataOrSchema)
        ? metadataOrSchema
        : undefined;
    const positionalMetadata = isInjectedSchema(metadataOrSchema) ? undefined : metadataOrSchema;
    const config: ViewConfig = isViewConfig(configOrSelect)
      ? configOrSelect
      : {
          selectStatement: configOrSelect,
          baseTables: baseTables ?? [],
          ...(positionalMetadata ? { metadata: positionalMetadata } : {}),
        };
    this.name = name;
    this.database = config.database;
    this.selectSql = selectText(config.selectStatement);
    this.sourceTables = (config.baseTables ?? []).map(tableReference);
    this.metadata = config.metadata ? { ...config.metadata } : {};
    if (!this.metadata.source && schema?.sourceFile)
      this.metadata.source = { file: schema.sourceFile };
    registry().resources.push({
      kind: "View",
      name,
      ...(config.database !== undefined ? { database: config.database } : {}),
      selectStatement: this.selectSql,
      sourceTables: this.sourceTables,
      metadata: config.metadata,
      sourceFile: schema?.sourceFile,
    });
    const key = config.database ? `${config.database}::${name}` : name;
    const views = declared("views");
    if (!views.has(key)) views.set(key, this);
  }
}

export interface MaterializedViewConfig<T> {
  /** The SELECT, as text or `sql` (without parameters). */
  selectStatement: string | Sql;
  /** The tables and views it reads. */
  selectTables: SelectSource[];
  materializedViewName: string;
  /** The table the view writes into: an OlapTable, or the config of one to create. */
  targetTable?:
    OlapTable<T> | ({ name: string } & Omit<OlapConfig<T>, "lifeCycle" | "version" | "database">);
  /** @deprecated Use targetTable. */
  tableName?: string;
  /** @deprecated Use targetTable. */
  engine?: ClickHouseEngines;
  /** @deprecated Use targetTable. */
  orderByFields?: (keyof T & string)[];
  lifeCycle?: LifeCycle;
  metadata?: { [key: string]: any };
}

/** `CREATE MATERIALIZED VIEW … TO <target> AS <select>`; the target table is a regular OlapTable. */
export class MaterializedView<TargetTable> {
  readonly kind = "MaterializedView";
  name: string;
  targetTable: OlapTable<TargetTable>;
  selectSql: string;
  sourceTables: string[];
  metadata: { [key: string]: any };
  lifeCycle?: LifeCycle;

  constructor(options: MaterializedViewConfig<TargetTable>, schema?: InjectedSchema) {
    const selectSql = selectText(options.selectStatement);
    this.name = options.materializedViewName;
    const target = options.targetTable;
    if (target instanceof OlapTable) {
      this.targetTable = target;
    } else {
      const name = target?.name ?? options.tableName;
      if (typeof name !== "string") throw new Error("Name of targetTable is not specified.");
      const config: Record<string, unknown> = { ...(target ?? {}) };
      delete config.name;
      const defaults: OlapConfig<TargetTable> = {
        engine: options.engine ?? ClickHouseEngines.MergeTree,
        ...(options.orderByFields !== undefined ? { orderByFields: options.orderByFields } : {}),
      };
      this.targetTable = new OlapTable<TargetTable>(name, { ...defaults, ...config }, schema);
    }
    if (this.targetTable.name === this.name)
      throw new Error("Materialized view name cannot be the same as the target table name.");
    this.selectSql = selectSql;
    this.sourceTables = (options.selectTables ?? []).map(tableReference);
    this.lifeCycle = options.lifeCycle;
    this.metadata = options.metadata ? { ...options.metadata } : {};
    if (!this.metadata.source && schema?.sourceFile)
      this.metadata.source = { file: schema.sourceFile };
    registry().resources.push({
      kind: "MaterializedView",
      name: this.name,
      selectStatement: selectSql,
      sourceTables: this.sourceTables,
      targetTable: this.targetTable.generateTableName(),
      targetDatabase: this.targetTable.config.database,
      lifeCycle: options.lifeCycle,
      metadata: options.metadata,
      sourceFile: schema?.sourceFile,
    });
    const mvs = declared("materializedViews");
    if (!mvs.has(this.name)) mvs.set(this.name, this);
  }
}

/** A table, view or materialized view a SqlResource reads from or writes to. */
export type SqlObject = OlapTable<any> | SqlResource | View | MaterializedView<any>;

/**
 * Hand-written setup/teardown SQL. Moose runs it; the migration tool does not plan it (it is
 * recorded for getSqlResources() only, and loads whatever moose-lib would refuse).
 */
export class SqlResource {
  readonly kind = "SqlResource";
  setup: readonly string[];
  teardown: readonly string[];
  name: string;
  pullsDataFrom: SqlObject[];
  pushesDataTo: SqlObject[];
  sourceFile?: string;
  sourceLine?: number;
  sourceColumn?: number;

  constructor(
    name: string,
    setup: readonly (string | Sql)[],
    teardown: readonly (string | Sql)[],
    options?: { pullsDataFrom?: SqlObject[]; pushesDataTo?: SqlObject[] },
  ) {
    const resources = declared("sqlResources");
    if (!resources.has(name)) resources.set(name, this);
    this.name = name;
    const text = (s: string | Sql) => (typeof s === "string" ? s : toQuery(s)[0]);
    this.setup = setup.map(text);
    this.teardown = teardown.map(text);
    this.pullsDataFrom = options?.pullsDataFrom ?? [];
    this.pushesDataTo = options?.pushesDataTo ?? [];
  }
}
