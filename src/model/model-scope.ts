import path from "node:path";
import ts from "typescript";

/** A stretch of a source file whose errors would corrupt a model's columns or config. */
interface Span {
  start: number;
  end: number;
}

/** Spans by absolute file path: plain data, kept between loads without the checker. */
export type ScopeSpans = ReadonlyMap<string, readonly Span[]>;

/**
 * Where a type error blocks loading: inside a `new OlapTable<T>(…)` (or Stream, IngestPipeline,
 * MaterializedView, View) expression, and inside every declaration its row type reaches —
 * interfaces, type aliases and property declarations, followed through nested objects, arrays,
 * unions, intersections and type arguments. An error anywhere else (an API handler, a
 * workflow, a web app) cannot change what the tool plans, so it is only a warning.
 */
export class ModelScope {
  private readonly spans = new Map<string, Span[]>();
  private readonly seen = new Set<ts.Type>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly isUserFile: (file: string) => boolean,
  ) {}

  /**
   * Records a schema construction: the expression itself and, when its row type becomes
   * columns, the declarations that type reaches.
   */
  addConstruction(node: ts.NewExpression, rowTypeIsColumns = true): void {
    this.addNode(node);
    const typeArg = node.typeArguments?.[0];
    if (typeArg && rowTypeIsColumns) this.addType(this.checker.getTypeFromTypeNode(typeArg));
  }

  /** What was recorded so far. */
  recorded(): ScopeSpans {
    return this.spans;
  }

  private addNode(node: ts.Node): void {
    const sf = node.getSourceFile();
    const file = path.resolve(sf.fileName);
    if (!this.isUserFile(file)) return;
    const list = this.spans.get(file) ?? [];
    list.push({ start: node.getFullStart(), end: node.getEnd() });
    this.spans.set(file, list);
  }

  private addDeclarations(symbol: ts.Symbol | undefined): boolean {
    let user = false;
    for (const d of symbol?.declarations ?? []) {
      if (!this.isUserFile(path.resolve(d.getSourceFile().fileName))) continue;
      user = true;
      this.addNode(d);
    }
    return user;
  }

  private addType(type: ts.Type): void {
    if (this.seen.has(type)) return;
    this.seen.add(type);
    this.addDeclarations(type.aliasSymbol);
    for (const t of type.aliasTypeArguments ?? []) this.addType(t);
    if (type.isUnionOrIntersection()) {
      for (const t of type.types) this.addType(t);
      return;
    }
    if (type.flags & ts.TypeFlags.Object) {
      const obj = type as ts.ObjectType;
      if (obj.objectFlags & ts.ObjectFlags.Reference)
        for (const t of this.checker.getTypeArguments(obj as ts.TypeReference)) this.addType(t);
      this.addDeclarations(type.getSymbol());
      // Only properties the user declared are followed (also through Omit<>, Pick<> and other
      // mapped types); library and SDK types (Date, Array, branded helpers) are not walked.
      for (const prop of this.checker.getPropertiesOfType(type)) {
        if (!this.addDeclarations(prop)) continue;
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        if (decl) this.addType(this.checker.getTypeOfSymbolAtLocation(prop, decl));
      }
    }
  }
}

/**
 * The scope of the whole project: the union of what each file's constructions recorded (a
 * long-lived loader records only the files it re-checks and keeps the others').
 */
export class ScopeIndex {
  private readonly spans = new Map<string, Span[]>();

  constructor(parts: Iterable<ScopeSpans>) {
    for (const part of parts)
      for (const [file, list] of part)
        this.spans.set(file, [...(this.spans.get(file) ?? []), ...list]);
  }

  /** Whether an error at `start` in `file` is inside a model. */
  contains(file: string, start: number): boolean {
    return (this.spans.get(path.resolve(file)) ?? []).some(
      (s) => start >= s.start && start < s.end,
    );
  }

  /** Whether `file` declares any part of a model (its syntax errors then block too). */
  touches(file: string): boolean {
    return this.spans.has(path.resolve(file));
  }
}
