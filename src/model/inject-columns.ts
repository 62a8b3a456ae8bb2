import path from "node:path";
import ts from "typescript";
import { MooseError } from "../errors";
import type { ModelScope } from "./model-scope";
import { columnsOfType, UnsupportedTypeError } from "./type-mapper";

/** Classes whose `new X<T>(…)` calls get the columns of `T` injected as an extra argument. */
const SCHEMA_CLASSES: Record<string, number> = {
  OlapTable: 2,
  Stream: 2,
  IngestPipeline: 2,
  MaterializedView: 1,
  View: 3,
  DeadLetterQueue: 2,
};
/** Classes without a row type: only where they are declared is injected. */
const UNTYPED_CLASSES = new Set(["View"]);
/** Classes whose row type is not their columns: a dead-letter queue always has Moose's fixed
 *  dead-letter columns (its `T` only types the recovered record), so only where it is declared
 *  is injected. */
const FIXED_COLUMN_CLASSES = new Set(["DeadLetterQueue"]);

/** Schema constructions (`new OlapTable<T>(…)`, …) and the SDK class each one makes. */
export type Constructions = Map<ts.NewExpression, string>;

const location = (node: ts.Node, root: string): string => {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return `${path.relative(root, sf.fileName)}:${line + 1}:${character + 1}`;
};

/** Moose records where a resource is declared as the compiled file (`dist/app/index.js`). */
const mooseSourceFile = (file: string, root: string): string =>
  path.posix.join(
    "dist",
    path
      .relative(root, file)
      .split(path.sep)
      .join("/")
      .replace(/\.tsx?$/, ".js"),
  );

const isSdkClass = (
  checker: ts.TypeChecker,
  expr: ts.Expression,
  sdkDir: string,
): string | undefined => {
  let sym = checker.getSymbolAtLocation(expr);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.[0];
  if (!sym || !decl || !(sym.name in SCHEMA_CLASSES)) return undefined;
  const file = path.resolve(decl.getSourceFile().fileName);
  return file.startsWith(sdkDir) ? sym.name : undefined;
};

/**
 * Adds every schema construction in `sf` to `found`, and to `scope` the expression and the
 * declarations its row type reaches.
 */
export const findConstructions = (
  checker: ts.TypeChecker,
  sf: ts.SourceFile,
  sdkDir: string,
  scope: ModelScope,
  found: Constructions,
): void => {
  const visit = (node: ts.Node): void => {
    const cls = ts.isNewExpression(node) && isSdkClass(checker, node.expression, sdkDir);
    if (cls) {
      found.set(node, cls);
      scope.addConstruction(node, !FIXED_COLUMN_CLASSES.has(cls));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
};

/**
 * A transformer that injects into every construction of `constructions` the columns of its `T`
 * as read by the type checker (plus where it is declared), the way Moose's compiler plugin does.
 */
export const columnInjector =
  (
    checker: ts.TypeChecker,
    constructions: Constructions,
    root: string,
  ): ts.TransformerFactory<ts.SourceFile> =>
  (context) =>
  (sf) => {
    const visit = (node: ts.Node): ts.Node => {
      const cls = ts.isNewExpression(node) ? constructions.get(node) : undefined;
      if (cls !== undefined && ts.isNewExpression(node)) {
        const typeArg = node.typeArguments?.[0];
        if (!typeArg && !UNTYPED_CLASSES.has(cls)) {
          throw new MooseError(
            "MODEL_INVALID",
            `${location(node, root)}: new ${cls}(…) needs its row type as a type argument, e.g. new ${cls}<MyRow>("name")`,
            {
              hint: "Moose reads the columns from the type argument; inferred types are not supported.",
            },
          );
        }
        const type = typeArg ? checker.getTypeFromTypeNode(typeArg) : undefined;
        // Never plan a table from a type the checker could not resolve: it has no columns.
        if (type && type.flags & ts.TypeFlags.Any && !FIXED_COLUMN_CLASSES.has(cls))
          throw new MooseError(
            "MODEL_TYPE_ERROR",
            `${location(node, root)}: the row type of new ${cls}<${typeArg?.getText() ?? ""}>(…) is \`any\` (unresolved or untyped), so its columns cannot be read`,
            {
              hint: "Import or declare the row type (an interface or type alias of the columns); check the TypeScript warnings for a failed import.",
            },
          );
        let columns: ReturnType<typeof columnsOfType> = [];
        try {
          if (type && !FIXED_COLUMN_CLASSES.has(cls)) columns = columnsOfType(checker, type);
        } catch (e) {
          if (!(e instanceof UnsupportedTypeError)) throw e;
          const where = e.node ? location(e.node, root) : location(node, root);
          throw new MooseError(
            "MODEL_UNSUPPORTED_TYPE",
            `${where}: unsupported column type in ${type ? checker.typeToString(type) : cls}: ${e.message}`,
            {
              hint: "See the README's type mapping for the supported TypeScript types.",
            },
          );
        }
        const schema = {
          columns,
          sourceFile: mooseSourceFile(sf.fileName, root),
          typeName: type ? checker.typeToString(type) : "",
        };
        const args = [...(node.arguments ?? [])].map(
          (a) => ts.visitNode(a, visit) as ts.Expression,
        );
        while (args.length < (SCHEMA_CLASSES[cls] ?? 2))
          args.push(ts.factory.createIdentifier("undefined"));
        const injected = ts.factory.createCallExpression(
          ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier("JSON"), "parse"),
          undefined,
          [ts.factory.createStringLiteral(JSON.stringify(schema))],
        );
        return ts.factory.updateNewExpression(node, node.expression, node.typeArguments, [
          ...args,
          injected,
        ]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sf, visit) as ts.SourceFile;
  };
