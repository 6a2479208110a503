import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import { liveTensorCount, selectBackend, type BackendInfo } from '@losslab/runtime';
import { temporaryFolders } from '@losslab/test-utils';
import { carveValidation, registry, resolveExperiment, runOne, subsample, type ResolvedExperiment } from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

const runsFolders = temporaryFolders('losslab-seed-sources-');
const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function resolve(raw: unknown, variants?: string[]): ResolvedExperiment {
  const result = resolveExperiment(raw, 'fixture', variants === undefined ? {} : { variants });
  if (E.isLeft(result)) throw new Error(result.left.problems.join('\n'));
  return result.right;
}

const problemsOf = (raw: unknown): readonly string[] => {
  const result = resolveExperiment(raw, 'fixture');
  return E.isLeft(result) ? result.left.problems : [];
};

/** tiny mnist-odd with an unseeded transform, so the run seed also draws the data. */
const definition = (overrides: Record<string, unknown> = {}) => ({
  ...tinyMnistOdd({ transforms: [subsample({ classes: [1, 3], keep: 0.5 })] }),
  ...overrides,
});

describe('seed designs and variance studies resolve', () => {
  it('a list and a design that varies every source resolve to the same settings hashes (old runs stay theirs)', () => {
    const list = resolve(definition({ seeds: [0, 1, 2] }));
    const design = resolve(definition({ seeds: { count: 3 } }));
    const allSources = resolve(definition({ seeds: { count: 3, vary: ['data', 'order', 'init'] } }));
    expect(design.definition.seeds).toEqual([0, 1, 2]);
    expect(design.variants.map((v) => v.hash)).toEqual(list.variants.map((v) => v.hash));
    expect(allSources.variants.map((v) => v.hash)).toEqual(list.variants.map((v) => v.hash));
    expect(list.variants[0]!.spec.seeding).toBeUndefined();
  });

  it('a design that fixes a source puts it in the settings (a hash of its own); --seeds keeps the design', () => {
    const list = resolve(definition({ seeds: [0, 1] }));
    const fixed = resolve(definition({ seeds: { count: 2, vary: ['order', 'init'] } }));
    expect(fixed.variants[0]!.spec.seeding).toEqual({ vary: ['init', 'order'], base: 0 });
    expect(fixed.variants[0]!.hash).not.toBe(list.variants[0]!.hash);
    const child = resolveExperiment(definition({ seeds: { count: 2, vary: ['order', 'init'] } }), 'fixture', {
      overrides: [['seeds', [1]]],
    });
    if (E.isLeft(child)) throw new Error(child.left.problems.join('\n'));
    expect(child.right.definition.seeds).toEqual([1]);
    expect(child.right.variants[0]!.hash).toBe(fixed.variants[0]!.hash);
  });

  it('names an unknown source, a bad count and a hand-written seeding by path', () => {
    const unknown = problemsOf(definition({ seeds: { count: 2, vary: ['init', 'weights'] } }));
    // the root README shows this line as it is printed
    expect(README).toContain(`\n${unknown[0]}\n`);
    expect(unknown.join('\n')).toMatch(
      /^seeds\.vary\.1: expected a seed source: one of "init", "order", "data", got "weights"$/m,
    );
    expect(problemsOf(definition({ variance: { seeds: 3, sources: ['dropout'] } })).join('\n')).toMatch(
      /variance\.sources\.0.*"dropout"/,
    );
    expect(problemsOf(definition({ variance: { seeds: 1 } })).join('\n')).toMatch(/variance\.seeds.*≥ 2/);
    expect(problemsOf(definition({ seeds: { count: 2, list: [0, 1] } })).join('\n')).toMatch(
      /seeds: expected exactly one of count .* or list/,
    );
    expect(problemsOf(definition({ variance: { seeds: 2, variants: ['nope'] } })).join('\n')).toMatch(
      /variance\.variants\.0: .*"nope"/,
    );
    expect(
      problemsOf(definition({ variants: { masked: { seeding: { vary: ['init'], base: 0 } } } })).join('\n'),
    ).toMatch(/variants\.masked\.seeding: unknown key/);
  });

  it('a study without `variants` studies every variant without a search (a searched one must first choose)', () => {
    const tuned = {
      train: { epochs: 2 },
      transforms: [carveValidation({ fraction: 0.25, seed: 1 })],
      search: {
        space: { 'optimizer.learningRate': { kind: 'grid', values: [0.01, 0.1] } },
        seed: 0,
        select: { metric: 'accuracy', direction: 'max', split: 'validation' },
      },
    };
    const raw = definition({ variance: { seeds: 2, sources: ['init'] }, variants: { masked: {}, tuned } });
    expect(resolve(raw).variants.map((v) => v.name)).toEqual(['masked', 'tuned', 'masked~vary=init']);
    const named = definition({ variance: { seeds: 2, variants: ['tuned'] }, variants: { masked: {}, tuned } });
    expect(problemsOf(named).join('\n')).toMatch(
      /variance\.variants\.0: expected a variant without a search .* got "tuned"/,
    );
  });

  it("the README shows blink's variance study as blink declares it", () => {
    const line = "variance: { seeds: 3, sources: ['init', 'order'], variants: ['sgd-sample-weighted'] },";
    expect(README).toContain(line);
    expect(readFileSync(new URL('../../../../experiments/blink.ts', import.meta.url), 'utf8')).toContain(line);
  });

  it('a variance study adds one variant per source, with its own seeds and hash; run-one resolves one alone', () => {
    const raw = definition({ seeds: [0, 1, 2], variance: { seeds: 2, sources: ['order', 'init'] } });
    const study = resolve(raw);
    expect(study.variants.map((v) => [v.name, v.seeds])).toEqual([
      ['masked', undefined],
      ['masked~vary=init', [1, 2]],
      ['masked~vary=order', [1, 2]],
    ]);
    expect(study.variants[2]!.spec.seeding).toEqual({ vary: ['order'], base: 0, studyOf: 'masked' });
    expect(new Set(study.variants.map((v) => v.hash)).size).toBe(3);
    // the plain variant is unchanged by the study
    expect(study.variants[0]!.hash).toBe(resolve(definition({ seeds: [0, 1, 2] })).variants[0]!.hash);
    // a variant named alone is that variant alone (a run-one child, a queue job); its study variants are named
    expect(resolve(raw, ['masked']).variants.map((v) => v.name)).toEqual(['masked']);
    const alone = resolve(raw, ['masked~vary=order']);
    expect(alone.variants.map((v) => [v.name, v.hash])).toEqual([['masked~vary=order', study.variants[2]!.hash]]);
  });
});

describe('a variance-study run varies only its source (cpu)', () => {
  let backend: BackendInfo;
  /** Per built model, its initial weights; per loss call, the labels of its batch. */
  const initialWeights: number[][][] = [];
  const batchLabels: number[][] = [];
  beforeAll(async () => {
    backend = await selectBackend({ requested: 'cpu' });
    const model = registry.models.get('mlp');
    const buildModel = model.build.bind(model);
    vi.spyOn(model, 'build').mockImplementation((spec, context) => {
      const built = buildModel(spec, context);
      initialWeights.push(built.getWeights().map((weight) => Array.from(weight.dataSync())));
      return built;
    });
    const loss = registry.losses.get('masked');
    const buildLoss = loss.build.bind(loss);
    vi.spyOn(loss, 'build').mockImplementation((spec, context) => {
      const inner = buildLoss(spec, context);
      const recording: typeof inner = (yTrue, yPred) => {
        batchLabels.push(Array.from(yTrue.dataSync()));
        return inner(yTrue, yPred);
      };
      return recording;
    });
  });
  afterAll(() => vi.restoreAllMocks());

  /** Runs `name` of the study on seed `seed`: its record, the initial weights it built and the labels of its batches in order. */
  async function run(study: ResolvedExperiment, name: string, seed: number, runsDir: string) {
    const variant = study.variants.find((v) => v.name === name)!;
    initialWeights.length = 0;
    batchLabels.length = 0;
    const outcome = await runOne({ definition: study.definition, variant, seed }, { runsDir, backend, reuse: false });
    if (E.isLeft(outcome)) throw new Error(`${outcome.left.tag}: ${outcome.left.message}`);
    return { record: outcome.right.record, weights: initialWeights[0]!, batches: [...batchLabels] };
  }

  it('only order: same initial weights and data, another batch order; only init: the reverse; the record says which', async () => {
    const study = resolve(definition({ variance: { seeds: 2 } }));
    const runsDir = runsFolders.make();
    const before = liveTensorCount();
    // each study variant on its own seeds (1 and 2: the seeds other than the base 0), and the ordinary run at the base
    const runAll = async (name: string) => {
      const outcomes = [];
      for (const seed of study.variants.find((v) => v.name === name)!.seeds!)
        outcomes.push(await run(study, name, seed, runsDir));
      return outcomes;
    };
    const order = await runAll('masked~vary=order');
    const init = await runAll('masked~vary=init');
    const data = await runAll('masked~vary=data');
    const base = await run(study, 'masked', 0, runsDir);
    expect(liveTensorCount()).toBe(before);
    const drawn = (record: RunRecord) => record.dataFingerprint['train.drawn'];

    expect(order[1]!.weights).toEqual(order[0]!.weights);
    expect(order[1]!.batches).not.toEqual(order[0]!.batches);
    expect(drawn(order[1]!.record)).toBe(drawn(order[0]!.record));

    expect(init[1]!.weights).not.toEqual(init[0]!.weights);
    expect(init[1]!.batches).toEqual(init[0]!.batches);
    expect(drawn(init[1]!.record)).toBe(drawn(init[0]!.record));

    expect(data[1]!.weights).toEqual(data[0]!.weights);
    expect(drawn(data[1]!.record)).not.toBe(drawn(data[0]!.record));

    // a fixed source draws from the base seed: what the ordinary run of seed 0 drew
    expect(order[0]!.weights).toEqual(base.weights);
    expect(init[0]!.batches).toEqual(base.batches);
    expect(init[0]!.weights).not.toEqual(base.weights);
    expect(drawn(order[0]!.record)).toBe(drawn(base.record));
    expect(base.record.seeding).toBeUndefined();

    expect(order[1]!.record.seeding).toEqual({ vary: ['order'], base: 0, studyOf: 'masked' });
    expect(order[1]!.record.variant).toBe('masked~vary=order');
    expect(order[1]!.record.seed).toBe(2);
  }, 60_000);
});
