import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published packages as a user gets them: `npm pack` each one (its prepack builds dist/), then
 * install the tarballs with `@tensorflow/tfjs` into a fresh project outside the workspace — no
 * workspace links, no path aliases, no `@losslab/source` condition — and use them there from plain
 * Node ESM, TypeScript (NodeNext), a browser bundle and the `losslab` command.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const PACKAGES = ['schema', 'runtime', 'losses', 'metrics', 'models', 'data', 'train', 'report', 'experiment'];
const exec = promisify(execFile);

/** The environment of a user's shell: nothing of npm's workspace run or of the test's source condition. */
const USER_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !key.startsWith('npm_') && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD' && key !== 'LOSSLAB_BACKEND',
  ),
);

function inProject(cwd: string) {
  return (command: string, args: string[], timeout = 300_000) =>
    exec(command, args, { cwd, env: USER_ENV, timeout, maxBuffer: 64 * 1024 * 1024 });
}

interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}

const work = mkdtempSync(join(tmpdir(), 'losslab-consumer-'));
let project: string;
let packs: PackResult[];
const tarball = (name: string) => join(work, packs.find((pack) => pack.name === name)!.filename);

/** The `npm install …` line of each package README's install block, and of the root README. */
const installLine = (readme: string): string | undefined => /^npm install (\$LOSSLAB[^\n]*)$/m.exec(readme)?.[1];
const packageReadme = (name: string) => readFileSync(join(ROOT, 'packages', name, 'README.md'), 'utf8');
const ROOT_README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The words of an install line as bash expands them, with `$LOSSLAB` the folder holding tarballs/ (the checkout's, for a user). */
async function expanded(line: string): Promise<string[]> {
  const { stdout } = await exec('bash', ['-c', `printf '%s\\n' ${line}`], { env: { ...USER_ENV, LOSSLAB: work } });
  return stdout.trim().split('\n');
}

beforeAll(async () => {
  // `npm run tarballs`, as the READMEs say, into this test's folder instead of the checkout's tarballs/.
  const packDir = join(work, 'tarballs');
  const { stdout } = await exec('npm', ['run', '--silent', 'tarballs', '--', '--json'], {
    cwd: ROOT,
    env: { ...USER_ENV, LOSSLAB_TARBALLS: packDir },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  packs = (JSON.parse(stdout) as PackResult[]).map((pack) => ({ ...pack, filename: join('tarballs', pack.filename) }));
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  writeFileSync(
    join(ROOT, 'test-artifacts', 'tarballs.json'),
    JSON.stringify(
      packs.map(({ name, size, unpackedSize, files }) => ({ name, size, unpackedSize, files: files.length })),
      null,
      2,
    ),
  );

  project = join(work, 'project');
  mkdirSync(project);
  // The project as the root README sets it up; then every README's install line in one install.
  await inProject(project)('npm', ['init', '-y']);
  await inProject(project)('npm', ['pkg', 'set', 'type=module']);
  const lines = [ROOT_README, ...PACKAGES.map(packageReadme)].map(installLine);
  const words = await Promise.all(lines.map((line) => expanded(line ?? '')));
  await inProject(project)('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...new Set(words.flat()),
    'typescript@5.9.3',
    '@types/node@20.19.43',
  ]);
  for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(project, file));
  // The files the README examples name, where they name them (in losslab's repository); the
  // example definition doubles as the tiny definition `npx losslab run` trains.
  cpSync(join(ROOT, 'packages/data/examples'), join(project, 'packages/data/examples'), { recursive: true });
  cpSync(join(ROOT, 'examples'), join(project, 'examples'), { recursive: true });
}, 900_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The JSON a fixture prints on its last line. */
const lastLine = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('the packed packages', () => {
  it('ship dist/, README, LICENSE and package.json — no sources, tests or tsconfig', () => {
    expect(packs.map((pack) => pack.name).sort()).toEqual(PACKAGES.map((name) => `@losslab/${name}`).sort());
    for (const pack of packs) {
      const paths = pack.files.map((file) => file.path);
      expect(paths, pack.name).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      const stray = paths.filter((path) => /__tests__|\.test\.|\.test-d\.|tsconfig|tsbuildinfo|^src\//.test(path));
      expect(stray, pack.name).toEqual([]);
    }
  });

  it('install into a fresh project with every dependency found and one copy of tfjs-core', async () => {
    // npm ls exits non-zero on a missing, invalid or extraneous package.
    await inProject(project)('npm', ['ls', '--all']);
    const { stdout } = await inProject(project)('npm', ['ls', '@tensorflow/tfjs-core', '--all', '--parseable']);
    expect(new Set(stdout.trim().split('\n'))).toEqual(new Set([join(project, 'node_modules/@tensorflow/tfjs-core')]));
  });

  it('import only what they declare', () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const undeclared: string[] = [];
    for (const name of PACKAGES) {
      const root = join(project, 'node_modules/@losslab', name);
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      const declared = new Set([
        `@losslab/${name}`,
        ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }),
      ]);
      for (const file of filesUnder(root).filter((path) => /\.m?js$/.test(path))) {
        for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
          if (specifier.startsWith('.') || builtins.has(specifier)) continue;
          const packageName = specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/');
          if (!declared.has(packageName))
            undeclared.push(`@losslab/${name}/${relative(root, file)} imports ${specifier}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });
});

describe('in plain Node ESM', () => {
  it('(a) trains a tf.sequential model with a class-weighted L1 loss (model.fit) and a masked [batch, k+1] label (losslab fit)', async () => {
    const result = lastLine((await inProject(project)('node', ['train.mjs'])).stdout) as {
      initialLoss: number;
      compiledLosses: number[];
      maskedLosses: number[];
      maskedLossesFlipped: number[];
      sameWeights: boolean;
      labelWidth: number;
    };
    // Zero kernel: every prediction is [0.5, 0.5], L1 per sample 0.5; weights 1, 1, 1, 20 over a batch of 4.
    expect(result.initialLoss).toBeCloseTo((3 * 0.5 + 20 * 0.5) / 4, 5);
    expect(result.compiledLosses.at(-1)!).toBeLessThan(result.compiledLosses[0]!);
    expect(result.labelWidth).toBe(3);
    expect(result.maskedLosses).toHaveLength(3);
    expect(result.maskedLosses.every(Number.isFinite)).toBe(true);
    expect(result.maskedLosses.at(-1)!).toBeLessThan(result.maskedLosses[0]!);
    // Masked rows never reach the loss: flipping their labels changes no loss and no weight.
    expect(result.maskedLossesFlipped).toEqual(result.maskedLosses);
    expect(result.sameWeights).toBe(true);
  });

  it('(b) reads a gzipped IDX file', async () => {
    const result = lastLine((await inProject(project)('node', ['idx.mjs'])).stdout) as {
      dtype: string;
      shape: number[];
      data: number[];
    };
    expect(result).toEqual({
      dtype: 'uint8',
      shape: [2, 2, 3],
      data: [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
    });
  });

  it('(c) computes per-class metrics', async () => {
    const result = lastLine((await inProject(project)('node', ['metrics.mjs'])).stdout) as {
      accuracy: number;
      classes: { name: string; precision: number; recall: number; support: number }[];
    };
    // truth 0 0 0 1 2 2, predicted 0 1 0 1 2 0: cat 2 of 3 right, predicted 3 times; dog 1 of 1, predicted twice; owl 1 of 2, predicted once.
    expect(result.accuracy).toBeCloseTo(4 / 6, 12);
    expect(result.classes.map(({ name, precision, recall, support }) => [name, precision, recall, support])).toEqual([
      ['cat', 2 / 3, 2 / 3, 3],
      ['dog', 0.5, 1, 1],
      ['owl', 1, 0.5, 2],
    ]);
  });
});

describe('the losslab command, installed', () => {
  it("npx losslab run my-experiment.ts: the experiment README's definition, as printed, from the project folder, results there", async () => {
    const definition =
      /```ts\n(\/\/ my-experiment\.ts — run with: npx losslab run my-experiment\.ts\n[\s\S]*?)```/.exec(
        packageReadme('experiment'),
      )?.[1];
    expect(definition, 'the README names the file and the command').toBeDefined();
    writeFileSync(join(project, 'my-experiment.ts'), definition!);
    const { stdout } = await inProject(project)('npx', ['losslab', 'run', 'my-experiment.ts'], 600_000);
    expect(stdout).toContain('4/4 run(s) complete');
    const runsFolder = join(project, 'runs', 'my-mnist-odd');
    expect(readdirSync(runsFolder).filter((id) => existsSync(join(runsFolder, id, 'record.json')))).toHaveLength(4);
    expect(existsSync(join(project, 'reports', 'my-mnist-odd', 'index.html'))).toBe(true);
  });

  it('(f) npx losslab --help lists the commands', async () => {
    const { stdout } = await inProject(project)('npx', ['losslab', '--help']);
    for (const command of ['run', 'report', 'evaluate', 'worker'])
      expect(stdout).toMatch(new RegExp(`\\b${command}\\b`));
  });

  it('(f) npx losslab run trains a tiny definition, and (d) @losslab/report alone renders its report', async () => {
    const { stdout } = await inProject(project)(
      'npx',
      ['losslab', 'run', 'examples/tiny-mnist-odd.ts', '--variant=adam', '--seeds=0', '--epochs=1'],
      600_000,
    );
    expect(stdout).toMatch(/tiny-mnist-odd/);
    const runsFolder = join(project, 'runs', 'tiny-mnist-odd');
    const runIds = readdirSync(runsFolder).filter((name) => !name.startsWith('.'));
    expect(runIds).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(runsFolder, runIds[0]!, 'record.json'), 'utf8')) as {
      environment: { packages: Record<string, string> };
      evaluation: unknown;
    };
    expect(record.environment.packages['@losslab/experiment']).toBe('0.1.0');
    expect(record.evaluation).toBeDefined();
    // Children of --parallel start from the installed launcher too; seed 0 is reused, not retrained.
    const parallel = await inProject(project)(
      'npx',
      ['losslab', 'run', 'examples/tiny-mnist-odd.ts', '--variant=adam', '--seeds=0,1', '--epochs=1', '--parallel=2'],
      600_000,
    );
    expect(parallel.stdout).toMatch(/reus/);
    expect(readdirSync(runsFolder).filter((name) => !name.startsWith('.'))).toHaveLength(2);

    const reportOnly = join(work, 'report-only');
    mkdirSync(reportOnly);
    writeFileSync(
      join(reportOnly, 'package.json'),
      JSON.stringify({ name: 'report-consumer', private: true, type: 'module' }),
    );
    // @losslab/schema is @losslab/report's one losslab dependency; not on a registry, so its tarball too.
    await inProject(reportOnly)('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball('@losslab/schema'),
      tarball('@losslab/report'),
    ]);
    expect(existsSync(join(reportOnly, 'node_modules/@tensorflow'))).toBe(false);
    cpSync(join(project, 'runs'), join(reportOnly, 'runs'), { recursive: true });
    cpSync(join(FIXTURES, 'report.mjs'), join(reportOnly, 'report.mjs'));
    const result = lastLine((await inProject(reportOnly)('node', ['report.mjs', 'tiny-mnist-odd'])).stdout) as {
      runs: number;
      files: string[];
      htmlHasExperiment: boolean;
      written: number;
    };
    expect(result.runs).toBe(2);
    expect(result.htmlHasExperiment).toBe(true);
    expect(result.written).toBeGreaterThan(1000);
  });
});

describe('saved models, in a project with only @tensorflow/tfjs', () => {
  it(
    'an MLP, a CNN (batch norm, dropout) and an LSTM trained by losslab load with plain tf.loadLayersModel and predict what the runs recorded',
    { timeout: 600_000 },
    async () => {
      for (const definition of ['portable-images.ts', 'portable-blink.ts'])
        await inProject(project)('npx', ['losslab', 'run', definition], 600_000);
      const tfjsOnly = join(work, 'tfjs-only');
      mkdirSync(tfjsOnly);
      writeFileSync(
        join(tfjsOnly, 'package.json'),
        JSON.stringify({ name: 'tfjs-only', private: true, type: 'module' }),
      );
      await inProject(tfjsOnly)('npm', [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '@tensorflow/tfjs@4.22.0',
      ]);
      expect(readdirSync(join(tfjsOnly, 'node_modules')).filter((name) => name.startsWith('@losslab'))).toEqual([]);
      cpSync(join(FIXTURES, 'tfjs-only-predict.mjs'), join(tfjsOnly, 'predict.mjs'));

      const layersOf = {
        mlp: ['Flatten', 'Dense', 'Dense'],
        cnn: ['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense'],
        lstm: ['LSTM', 'Dropout', 'Dense'],
      };
      for (const [experiment, variant] of [
        ['portable-images', 'mlp'],
        ['portable-images', 'cnn'],
        ['portable-blink', 'lstm'],
      ] as const) {
        const runsFolder = join(project, 'runs', experiment);
        const runId = readdirSync(runsFolder).find((id) => id.includes(`-${variant}-s0-`));
        expect(runId, `${experiment}: a run of ${variant}`).toBeDefined();
        const folder = join(runsFolder, runId!);
        const dataFile = join(work, `${variant}-data.json`);
        await inProject(project)('node', ['export-split.mjs', folder, dataFile]);
        const { recorded } = JSON.parse(readFileSync(dataFile, 'utf8')) as {
          recorded: { accuracy: number; loss: number };
        };
        const predicted = lastLine((await inProject(tfjsOnly)('node', ['predict.mjs', folder, dataFile])).stdout) as {
          layers: string[];
          accuracy: number;
          loss: number;
        };
        expect(predicted.layers, variant).toEqual(layersOf[variant]);
        expect(predicted.accuracy, `${variant}: test accuracy`).toBe(recorded.accuracy);
        expect(
          Math.abs(predicted.loss - recorded.loss),
          `${variant}: test loss ${predicted.loss} vs ${recorded.loss}`,
        ).toBeLessThan(1e-4);
      }
    },
  );
});

describe('beyond plain Node', () => {
  it('(e) a TypeScript project with NodeNext type-checks against the published .d.ts', async () => {
    // skipLibCheck as every TF.js user needs it (tfjs-layers' own .d.ts fail under strict); the
    // expected-error lines in consumer.ts still fail if losslab's types resolved to any.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    await inProject(project)('npx', ['tsc', '-p', 'tsconfig.json']);
    // The check can fail: a wrong use of a losslab type is an error.
    writeFileSync(
      join(project, 'wrong.ts'),
      "import { perClassMetrics } from '@losslab/metrics';\nperClassMetrics('not a matrix');\n",
    );
    writeFileSync(
      join(project, 'tsconfig.wrong.json'),
      JSON.stringify({ extends: './tsconfig.json', files: ['wrong.ts'] }),
    );
    const failure = await inProject(project)('npx', ['tsc', '-p', 'tsconfig.wrong.json']).then(
      () => undefined,
      (error: unknown) => error as { stdout: string },
    );
    expect(failure?.stdout).toMatch(/wrong\.ts.*TS2345/);
  });

  it('the browser-safe entries bundle for the browser, and a Node-only entry does not', async () => {
    const bundle = (entry: string) =>
      build({
        entryPoints: [entry],
        absWorkingDir: project,
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        external: ['@tensorflow/*'],
      });
    const result = await bundle(join(project, 'browser.mjs'));
    expect(result.errors).toEqual([]);
    writeFileSync(join(project, 'node-entry.mjs'), "export * from '@losslab/data/node';\n");
    await expect(bundle(join(project, 'node-entry.mjs'))).rejects.toThrow(/node:/);
  });
});

/** `@losslab/<name>` and every @losslab package it depends on, directly or not, as installed. */
function losslabClosure(name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (pkg: string) => {
    if (seen.has(pkg)) return;
    seen.add(pkg);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    Object.keys(manifest.dependencies ?? {})
      .filter((dependency) => dependency.startsWith('@losslab/'))
      .forEach(visit);
  };
  visit(`@losslab/${name}`);
  return seen;
}

describe('the install lines', () => {
  it('the root README installs every package from the tarballs of npm run tarballs', async () => {
    const line = installLine(ROOT_README);
    expect(line, 'an npm install line').toBeDefined();
    expect(new Set(await expanded(line!))).toEqual(
      new Set([...PACKAGES.map((name) => tarball(`@losslab/${name}`)), '@tensorflow/tfjs']),
    );
  });

  it.each(PACKAGES)(
    '@losslab/%s: its README installs its tarball and those of the losslab packages it needs, nothing missing',
    async (name) => {
      const words = await expanded(installLine(packageReadme(name)) ?? '');
      const tarballs = [...losslabClosure(name)].map(tarball);
      expect(words.filter((word) => word.endsWith('.tgz')).sort()).toEqual(tarballs.sort());
      for (const word of words.filter((w) => !w.endsWith('.tgz')))
        expect(existsSync(join(project, 'node_modules', word, 'package.json')), word).toBe(true);
    },
  );
});

describe('each package README, as written, in the installed project', () => {
  it.each(PACKAGES)('@losslab/%s: every ts example runs', async (name) => {
    const readme = packageReadme(name);
    const tsx = createRequire(join(project, 'package.json')).resolve('tsx/cli');
    const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(examples.length).toBeGreaterThan(0);
    for (const code of examples) {
      const { stderr } = await exec(process.execPath, [tsx, '--input-type=module', '--eval', code], {
        cwd: project,
        env: { ...USER_ENV, LOSSLAB_BACKEND: 'cpu' },
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(stderr).not.toMatch(/Error/);
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'node_modules'
        ? []
        : filesUnder(join(dir, entry.name))
      : [join(dir, entry.name)],
  );
}

/** Module specifiers of imports, re-exports and dynamic imports (TypeScript's scanner skips comments), and of `require.resolve` calls. */
function importedSpecifiers(code: string): string[] {
  const imports = ts.preProcessFile(code, true, true).importedFiles.map((file) => file.fileName);
  const resolved = [...code.matchAll(/\.resolve\(\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  return [...imports, ...resolved];
}
