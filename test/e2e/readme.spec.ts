// The README's code runs as written. Every ```ts block of README.md is an example, marked with the
// environments it runs in (`<!-- example: node worker -->` on the line before the fence). Each is
// type-checked against the installed package (the tarball, as users get it, strict, with the package's
// own .d.ts checked), then run in each of its environments on p04 (B-frames: frames held back until the
// end) and p01, and what it appends must decode with ffmpeg to the raw stream's frames, every one of them.
//
// Environments: 'node', 'worker' (the library examples, checked with ffmpeg) and 'page' (the player
// example, into a <video>, every frame decoded). To add one, add an entry to ENVIRONMENTS: the globals
// its examples may use, and how to run one and check it. An example naming an environment that is not
// there fails, saying so.
import { copyFile, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { build } from 'vite';
import { framemd5, type FrameHash } from '../helpers/ffmpeg.js';
import type { Fixture } from '../helpers/fixtures.js';
import { FIXTURES, ROOT, expect, loadManifest, test } from './support/fixtures.js';
import { packAndInstall, runIn, type InstalledPackage } from './support/installed-package.js';
import type { ExampleResult, PageResult, RunRequest } from './support/readme/page.js';
import { startStaticServer, type StaticServer } from './support/static-server.mjs';

test.describe.configure({ mode: 'serial' });

interface Example {
  /** 1-based, in README order. */
  readonly number: number;
  /** Line of README.md where the code starts. */
  readonly line: number;
  /** From the marker; empty when the block has none. */
  readonly environments: readonly string[];
  readonly code: string;
}

/** The ```ts blocks of a Markdown text with the `<!-- example: … -->` marker before each. */
function examplesIn(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = /^<!-- example: ([\w ]+) -->$/.exec(lines[before]?.trim() ?? '');
    const end = lines.indexOf('```', i + 1);
    examples.push({
      number: examples.length + 1,
      line: i + 2,
      environments: marker ? marker[1]!.trim().split(/\s+/) : [],
      code: lines.slice(i + 1, end).join('\n') + '\n',
    });
    i = end;
  }
  return examples;
}

interface Context {
  readonly project: InstalledPackage;
  readonly example: Example;
  readonly fixture: Fixture;
  readonly page: Page;
}

interface Environment {
  /** Global names its examples may use, with their TypeScript types (for the type check). */
  readonly globals: Readonly<Record<string, string>>;
  /** Runs `example` on `fixture` and checks the result. */
  run(context: Context): Promise<void>;
}

const rawFrames = new Map<string, Promise<FrameHash[]>>();

/** Our MP4 bytes against the raw stream: ffmpeg decodes both to the same frames, all of them. */
async function expectEveryFrame(mp4: string, fixture: Fixture): Promise<void> {
  let raw = rawFrames.get(fixture.name);
  if (!raw) rawFrames.set(fixture.name, (raw = framemd5(join(FIXTURES, fixture.name))));
  const [ours, theirs] = await Promise.all([framemd5(mp4), raw]);
  expect(theirs).toHaveLength(fixture.frames);
  expect(ours.map((h) => h.md5)).toEqual(theirs.map((h) => h.md5));
}

const COMMON_GLOBALS = { input: 'ReadableStream<Uint8Array>', sourceBuffer: 'SourceBuffer' };

const ENVIRONMENTS: Readonly<Record<string, Environment>> = {
  // Node, with the compiled example and a recording sourceBuffer (support/readme/node-run.mjs).
  node: {
    globals: COMMON_GLOBALS,
    async run({ project, example, fixture }) {
      const out = join(project.dir, `node-${example.number}-${fixture.name}.mp4`);
      const r = await runIn(project.dir, process.execPath, [
        'node-run.mjs',
        join(project.dir, 'build', 'examples', `example-${example.number}.js`),
        join(FIXTURES, fixture.name),
        out,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      await expectEveryFrame(out, fixture);
    },
  },
  // A module worker in Chromium, bundled by Vite, with a real MediaSource (support/readme/worker.ts).
  worker: {
    globals: COMMON_GLOBALS,
    async run({ project, example, fixture, page }) {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(server.url);
      const request: RunRequest = {
        example: example.number,
        fixtureUrl: `/fixtures/${fixture.name}`,
        mimeType: `video/mp4; codecs="${fixture.codec}"`,
      };
      const result = await page.evaluate(
        (r) =>
          (window as unknown as { runExample(r: RunRequest): Promise<ExampleResult> }).runExample(
            r,
          ),
        request,
      );
      expect(errors).toEqual([]);
      // The real SourceBuffer took every segment: one range, to the end of the last frame.
      expect(result.buffered).toHaveLength(1);
      expect(result.buffered[0]![1]).toBeGreaterThanOrEqual((fixture.frames - 0.5) / fixture.fps!);
      const out = join(project.dir, `worker-${example.number}-${fixture.name}.mp4`);
      await writeFile(out, Buffer.from(result.base64, 'base64'));
      await expectEveryFrame(out, fixture);
    },
  },
  // A page built by Vite in the consumer project, playing into a <video> with the package's player
  // (h264mux/player, its worker bundled from the package): `video`, and the fixture as a Blob `file`.
  page: {
    globals: { video: 'HTMLVideoElement', file: 'Blob' },
    async run({ example, fixture, page }) {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      const request: RunRequest = {
        example: example.number,
        fixtureUrl: `/fixtures/${fixture.name}`,
        mimeType: `video/mp4; codecs="${fixture.codec}"`,
      };
      const result = await page.evaluate(
        (r) =>
          (
            window as unknown as { runPageExample(r: RunRequest): Promise<PageResult> }
          ).runPageExample(r),
        request,
      );
      expect(errors).toEqual([]);
      expect(result.errors).toEqual([]);
      expect(result.ended).toBe(true);
      // Every frame decoded by the browser (p04's B-frames held back to the end included).
      expect(result.decoded).toBe(fixture.frames);
    },
  },
};

const examples = examplesIn(await readFile(join(ROOT, 'README.md'), 'utf8'));
const manifest = loadManifest();
const FIXTURE_NAMES = ['p04', 'p01'];
const fixtures = FIXTURE_NAMES.map((p) => manifest.find((f) => f.name.startsWith(p))!);

let project: InstalledPackage;
let typeCheck: { code: number | null; output: string };
let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  project = await packAndInstall();
  const dir = project.dir;
  await mkdir(join(dir, 'examples'));
  for (const e of examples)
    await writeFile(join(dir, 'examples', `example-${e.number}.ts`), e.code);
  // Every environment's globals, declared once for the type check.
  const globals = new Map<string, string>();
  for (const env of Object.values(ENVIRONMENTS)) {
    for (const [name, type] of Object.entries(env.globals)) {
      if (globals.has(name) && globals.get(name) !== type)
        throw new Error(`README example environments declare ${name} twice, with different types`);
      globals.set(name, type);
    }
  }
  await writeFile(
    join(dir, 'readme-globals.d.ts'),
    [...globals].map(([name, type]) => `declare const ${name}: ${type};\n`).join(''),
  );
  // As strict as this project, and the package's own .d.ts checked too (skipLibCheck off).
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        outDir: 'build',
        rootDir: '.',
      },
      include: ['examples', 'readme-globals.d.ts'],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = await runIn(dir, process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false']);
  typeCheck = { code: r.code, output: r.stdout + r.stderr };
  // The worker environment: a page and a worker built by Vite in the consumer project.
  for (const file of ['node-run.mjs', 'index.html', 'page.ts', 'worker.ts'])
    await copyFile(join(ROOT, 'test/e2e/support/readme', file), join(dir, file));
  await build({
    root: dir,
    configFile: false,
    logLevel: 'error',
    base: './',
    build: { outDir: 'www', target: 'es2022' },
    worker: { format: 'es' },
  });
  const routes: Record<string, { type: string; body: Uint8Array }> = {};
  for (const f of fixtures)
    routes[`/fixtures/${f.name}`] = {
      type: 'application/octet-stream',
      body: await readFile(join(FIXTURES, f.name)),
    };
  server = await startStaticServer(join(dir, 'www'), { routes });
});

test.afterAll(async () => {
  await server?.close();
  await project?.remove();
});

test('README.md has examples, each marked with the environments it runs in', () => {
  expect(examples.length).toBeGreaterThanOrEqual(2);
  for (const e of examples)
    expect(
      e.environments,
      `the \`\`\`ts block at README.md line ${e.line - 1} needs a marker line before it, e.g. <!-- example: node worker -->`,
    ).not.toEqual([]);
});

test('every README example type-checks against the installed package, strict', () => {
  const where = examples.map(
    (e) => `examples/example-${e.number}.ts is README.md from line ${e.line}`,
  );
  expect(typeCheck.output, where.join('\n')).toBe('');
  expect(typeCheck.code).toBe(0);
});

for (const example of examples) {
  for (const name of example.environments) {
    for (const fixture of fixtures) {
      test(`README example ${example.number} (line ${example.line}) in ${name}: ${fixture.name} keeps every frame`, async ({
        page,
      }) => {
        const environment = ENVIRONMENTS[name];
        if (!environment)
          throw new Error(
            `README example ${example.number} asks for the environment "${name}": add it to ENVIRONMENTS in test/e2e/readme.spec.ts`,
          );
        await environment.run({ project, example, fixture, page });
      });
    }
  }
}
