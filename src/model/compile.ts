import path from "node:path";
import ts from "typescript";
import { MooseError } from "../errors";
import { columnsOfType, UnsupportedTypeError } from "./type-mapper";

/** Classes whose `new X<T>(…)` calls get the columns of `T` injected as an extra argument. */
const SCHEMA_CLASSES: Record<string, number> = {
  OlapTable: 2,
  Stream: 2,
  IngestPipeline: 2,
  MaterializedView: 1,
  View: 3,
};
/** Classes without a row type: only where they are declared is injected. */
const UNTYPED_CLASSES = new Set(["View"]);

export const MOOSE_LIB = "@514labs/moose-lib";

export interface CompiledProject {
  /** Emitted CommonJS per absolute source path. */
  outputs: Map<string, string>;
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

/**
 * Type-checks the project and emits it, injecting into every `new OlapTable<T>(name, config)`
 * (and Stream / IngestPipeline) the columns of `T` as read by the type checker, the way Moose's
 * compiler plugin does. Type errors and unsupported column types fail with file:line.
 */
/** typia's tags shim beside the SDK entry (`typia.ts` in dev, `typia.d.ts` when built). */
const typiaEntry = (sdkEntry: string): string =>
  sdkEntry.replace(/index(\.d)?\.ts$/, (_m, d: string | undefined) => `typia${d ?? ""}.ts`);

export const compileProject = (entry: string, root: string, sdkEntry: string): CompiledProject => {
  const sdkDir = path.resolve(path.dirname(sdkEntry));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    experimentalDecorators: true,
    sourceMap: false,
    noEmitOnError: false,
    types: [],
    paths: {
      [MOOSE_LIB]: [sdkEntry],
      [`${MOOSE_LIB}/*`]: [sdkEntry],
      typia: [typiaEntry(sdkEntry)],
    },
  };
  const program = ts.createProgram([entry], options);
  const userFiles = program
    .getSourceFiles()
    .filter(
      (sf) =>
        !sf.isDeclarationFile &&
        !path.resolve(sf.fileName).startsWith(sdkDir) &&
        !sf.fileName.includes("/node_modules/"),
    );

  const errors = userFiles
    .flatMap((sf) => [
      ...program.getSyntacticDiagnostics(sf),
      ...program.getSemanticDiagnostics(sf),
    ])
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const lines = errors.slice(0, 10).map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file || d.start === undefined) return msg;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.relative(root, d.file.fileName)}:${line + 1}:${character + 1} - ${msg}`;
    });
    throw new MooseError(
      "MODEL_TYPE_ERROR",
      `The model code has ${errors.length} type error(s):\n  ${lines.join("\n  ")}`,
      {
        hint: "Fix the TypeScript errors above; the models must type-check before the tool can read their columns.",
      },
    );
  }

  const checker = program.getTypeChecker();
  const transformer: ts.TransformerFactory<ts.SourceFile> = (context) => (sf) => {
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isNewExpression(node)) {
        const cls = isSdkClass(checker, node.expression, sdkDir);
        if (cls) {
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
          let columns: ReturnType<typeof columnsOfType> = [];
          try {
            if (type) columns = columnsOfType(checker, type);
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
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sf, visit) as ts.SourceFile;
  };

  const outputs = new Map<string, string>();
  for (const sf of userFiles) {
    program.emit(
      sf,
      (fileName, text) => {
        if (fileName.endsWith(".js")) outputs.set(path.resolve(sf.fileName), text);
      },
      undefined,
      false,
      { before: [transformer] },
    );
  }
  return { outputs };
};
