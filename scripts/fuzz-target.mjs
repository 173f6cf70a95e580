// Builds the fuzz target: src/core transpiled with a step counter at the head of every loop body, so a
// hang is a case that runs out of steps (a count, not a clock), plus the fuzz engine and the helpers it
// uses (test/helpers/fuzz.ts, synth.ts, boxes.ts), transpiled as they are. Used by `npm run fuzz`
// (scripts/fuzz.mjs) and the CI fuzz test (test/property/fuzz.test.ts).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HELPERS = ['test/helpers/fuzz.ts', 'test/helpers/synth.ts', 'test/helpers/boxes.ts'];

/** The counter every loop iteration of the core decrements; it throws once the case's budget is spent. */
const FUEL = `export const meter = { left: Infinity };
export class OutOfSteps extends Error {}
export function __step() {
  if (--meter.left < 0) throw new OutOfSteps('step budget spent');
}
`;

/** A TypeScript transformer that puts `__step();` first in the body of every for, for-of, for-in, while and do loop. */
function stepCounter(context) {
  const f = context.factory;
  const step = () =>
    f.createExpressionStatement(
      f.createCallExpression(f.createIdentifier('__step'), undefined, []),
    );
  const counted = (body) =>
    ts.isBlock(body)
      ? f.updateBlock(body, [step(), ...body.statements])
      : f.createBlock([step(), body], true);
  const visit = (node) => {
    const n = ts.visitEachChild(node, visit, context);
    if (ts.isForStatement(n))
      return f.updateForStatement(
        n,
        n.initializer,
        n.condition,
        n.incrementor,
        counted(n.statement),
      );
    if (ts.isForOfStatement(n))
      return f.updateForOfStatement(
        n,
        n.awaitModifier,
        n.initializer,
        n.expression,
        counted(n.statement),
      );
    if (ts.isForInStatement(n))
      return f.updateForInStatement(n, n.initializer, n.expression, counted(n.statement));
    if (ts.isWhileStatement(n))
      return f.updateWhileStatement(n, n.expression, counted(n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, counted(n.statement), n.expression);
    return n;
  };
  return (file) => ts.visitNode(file, visit);
}

function tsFiles(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath ?? e.path, e.name)));
}

function transpile(file, out, counted) {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const result = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
    transformers: counted ? { before: [stepCounter] } : undefined,
  });
  const target = join(out, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  let js = result.outputText;
  if (counted) {
    const fuel = relative(dirname(target), join(out, 'fuel.js')).replaceAll('\\', '/');
    js = `import { __step } from '${fuel.startsWith('.') ? fuel : `./${fuel}`}';\n${js}`;
  }
  writeFileSync(target, js);
}

/** Transpiles the target into a fresh folder under the OS temp dir and imports it. */
export async function loadFuzzTarget() {
  const out = mkdtempSync(join(tmpdir(), 'h264mux-fuzz-'));
  writeFileSync(join(out, 'fuel.js'), FUEL);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  for (const file of tsFiles('src/core')) transpile(file, out, true);
  for (const file of HELPERS) transpile(file, out, false);
  const fuel = await import(pathToFileURL(join(out, 'fuel.js')).href);
  const engine = await import(pathToFileURL(join(out, 'test/helpers/fuzz.js')).href);
  return {
    engine,
    meter: fuel.meter,
    dir: out,
    dispose: () => rmSync(out, { recursive: true, force: true }),
  };
}

/** The fixtures the fuzzer starts from: every stream of the corpus, plus the hand-built ones. */
export function fixtureCorpus() {
  const dir = join(ROOT, 'test/fixtures');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.h264'))
    .sort()
    .map((name) => new Uint8Array(readFileSync(join(dir, name))));
}
