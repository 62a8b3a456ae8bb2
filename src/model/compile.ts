import path from "node:path";
import ts from "typescript";
import { MooseError } from "../errors";
import { ModelScope } from "./model-scope";
import { warningText, withLoadWarnings, type ModelWarning } from "./warnings";
import { projectCompilerSetup } from "./project-tsconfig";
import { createLoaderHost } from "./compiler-host";
import { createModuleResolver, inNodeModules, type ModuleResolver } from "./resolve-modules";
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

export interface CompiledProject {
  /** Emitted CommonJS per absolute source path. */
  outputs: Map<string, string>;
  /** Type errors outside the models, and problems in the project's tsconfig. */
  warnings: ModelWarning[];
  /** How imports were resolved; the runtime resolves them the same way. */
  resolver: ModuleResolver;
}

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

/** typia's tags shim beside the SDK entry (`typia.ts` in dev, `typia.d.ts` when built). */
const typiaEntry = (sdkEntry: string): string =>
  sdkEntry.replace(/index(\.d)?\.ts$/, (_m, d: string | undefined) => `typia${d ?? ""}.ts`);

/** Whether `pos` is inside an import or re-export statement of `sf`. */
const inImportStatement = (sf: ts.SourceFile, pos: number): boolean =>
  sf.statements.some(
    (st) =>
      (ts.isImportDeclaration(st) ||
        ts.isExportDeclaration(st) ||
        ts.isImportEqualsDeclaration(st)) &&
      pos >= st.getStart(sf) &&
      pos < st.getEnd(),
  );

const diagnosticWhere = (d: ts.Diagnostic, root: string): string | undefined => {
  if (!d.file || d.start === undefined) return undefined;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${path.relative(root, d.file.fileName)}:${line + 1}:${character + 1}`;
};

const diagnosticText = (d: ts.Diagnostic, root: string): string =>
  warningText({
    kind: "type-error",
    where: diagnosticWhere(d, root),
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  });

/**
 * Type-checks the project with its own tsconfig and emits it, injecting into every
 * `new OlapTable<T>(name, config)` (and Stream / IngestPipeline / MaterializedView / View) the
 * columns of `T` as read by the type checker, the way Moose's compiler plugin does. Type errors
 * inside models (their row types, or the construction itself) fail with every error's
 * file:line; type errors elsewhere come back as warnings and loading goes on.
 */
export const compileProject = (entry: string, root: string, sdkEntry: string): CompiledProject => {
  const sdkDir = path.resolve(path.dirname(sdkEntry));
  const setup = projectCompilerSetup(root, sdkEntry, typiaEntry(sdkEntry));
  const options = setup.options;
  const isUserFile = (file: string): boolean => !file.startsWith(sdkDir) && !inNodeModules(file);
  const resolver = createModuleResolver(setup.resolutionOptions, root);
  const program = ts.createProgram([entry], options, createLoaderHost(options, resolver, sdkDir));
  const userFiles = program
    .getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && isUserFile(path.resolve(sf.fileName)));
  const checker = program.getTypeChecker();

  // Every schema construction, found once: the scope of blocking errors and the transformer
  // below both work from this map.
  const constructions = new Map<ts.NewExpression, string>();
  const scope = new ModelScope(checker, isUserFile);
  const findConstructions = (node: ts.Node): void => {
    const cls = ts.isNewExpression(node) && isSdkClass(checker, node.expression, sdkDir);
    if (cls) {
      constructions.set(node, cls);
      scope.addConstruction(node, !FIXED_COLUMN_CLASSES.has(cls));
    }
    ts.forEachChild(node, findConstructions);
  };
  for (const sf of userFiles) findConstructions(sf);

  const blocking: ts.Diagnostic[] = [];
  const warnings: ModelWarning[] = [];
  const warn = (d: ts.Diagnostic, kind: ModelWarning["kind"] = "type-error") =>
    warnings.push({
      kind,
      where: diagnosticWhere(d, root),
      message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    });
  for (const d of setup.problems) warn(d, "tsconfig");
  for (const d of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()])
    if (d.category === ts.DiagnosticCategory.Error) warn(d, "tsconfig");
  for (const sf of userFiles) {
    const file = path.resolve(sf.fileName);
    for (const d of program.getSyntacticDiagnostics(sf))
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      else if (scope.touches(file)) blocking.push(d);
      else warn(d);
    for (const d of program.getSemanticDiagnostics(sf)) {
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      // An import that fails in a file declaring a model (a missing module, a renamed export)
      // turns the row types it feeds into error types: it blocks like an error in the model.
      const blocks =
        d.start !== undefined &&
        (scope.contains(file, d.start) || (scope.touches(file) && inImportStatement(sf, d.start)));
      if (blocks) blocking.push(d);
      else warn(d);
    }
  }
  if (blocking.length > 0) {
    throw new MooseError(
      "MODEL_TYPE_ERROR",
      `The models have ${blocking.length} type error(s):\n  ${blocking.map((d) => diagnosticText(d, root)).join("\n  ")}`,
      {
        hint: "Fix the TypeScript errors above: they are in types that become columns, or in a table, stream or view declaration, so the tool cannot read them.",
      },
    );
  }

  const transformer: ts.TransformerFactory<ts.SourceFile> = (context) => (sf) => {
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

  const outputs = new Map<string, string>();
  try {
    for (const sf of userFiles) {
      program.emit(
        sf,
        (fileName, text) => {
          // .js, and .mjs/.cjs for .mts/.cts sources; never .map or declarations.
          if (/\.[mc]?js$/.test(fileName)) outputs.set(path.resolve(sf.fileName), text);
        },
        undefined,
        false,
        { before: [transformer] },
      );
    }
  } catch (e) {
    throw withLoadWarnings(e, warnings);
  }
  return { outputs, warnings, resolver };
};
