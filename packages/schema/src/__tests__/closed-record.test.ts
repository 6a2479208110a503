import { describe, expect, it } from 'vitest';
import type * as t from 'io-ts';
import { Claim, EpochRecord, formatErrors, Reference, RunEnvironment, RunRecord } from '../index.js';

/** The problems of decoding `value`, one line each; [] when it decodes. */
const problems = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  const result = codec.decode(value);
  return result._tag === 'Left' ? formatErrors(result.left) : [];
};

const environment = {
  backend: 'cpu',
  backendVersion: '4.22.0',
  node: 'v20.19.0',
  platform: 'linux-x64',
  packages: { '@tensorflow/tfjs-core': '4.22.0' },
  git: { commit: null, dirty: null },
};
const epoch = { epoch: 1, loss: 0.5, seconds: 1, samplesPerSecond: 100, validation: { accuracy: 0.9 } };
const reference = { source: 'Keras', groups: [{ name: 'even', accuracy: 0 }], notes: ['3 epochs'] };
const claim = { kind: 'threshold', metric: 'accuracy', op: '>=', value: 0.5, variant: 'sgd' };

const record = {
  schema: 'losslab.run/1',
  runId: 'adam-s0-1',
  experiment: 'tiny',
  variant: 'adam',
  seed: 0,
  definition: {},
  definitionHash: 'a'.repeat(64),
  environment,
  dataFingerprint: {},
  timing: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', totalSeconds: 60 },
  history: [epoch],
  evaluation: { split: 'test', size: 10, metrics: { accuracy: 0.9 } },
  claims: [claim],
  reference,
};

describe('the contract is closed: an unknown key is an error by path, naming the known keys', () => {
  it('accepts the keys it knows', () => {
    expect(problems(Claim, claim)).toEqual([]);
    expect(problems(Reference, reference)).toEqual([]);
    expect(problems(EpochRecord, epoch)).toEqual([]);
    expect(
      problems(RunEnvironment, { ...environment, definitionFile: { path: 'a.ts', sha256: 'b', git: 'tracked' } }),
    ).toEqual([]);
    expect(problems(RunRecord, record)).toEqual([]);
  });

  it('a claim of each kind', () => {
    expect(problems(Claim, { ...claim, varaint: 'sgd' })).toEqual([
      'varaint: unknown key (expected one of: kind, metric, op, value, group, class, variant, description)',
    ]);
    expect(
      problems(Claim, { kind: 'fasterToTarget', metric: 'f1', target: 0.8, faster: 'a', slower: 'b', slowr: 'c' }),
    ).toEqual(['slowr: unknown key (expected one of: kind, metric, target, faster, slower, description)']);
    expect(
      problems(Claim, {
        kind: 'epochsToPlateau',
        metric: 'loss',
        within: 0.05,
        variant: 'a',
        relation: 'fewer',
        than: 'b',
        facter: 2,
      }),
    ).toEqual([
      'facter: unknown key (expected one of: kind, metric, within, variant, relation, than, factor, description)',
    ]);
    expect(problems(Claim, { kind: 'beats', variant: 'a', than: 'b', metric: 'f1', alpah: 0.01 })).toEqual([
      'alpah: unknown key (expected one of: kind, variant, than, metric, alpha, direction, description)',
    ]);
    expect(problems(Claim, { ...claim, kind: 'treshold' })).toEqual([
      'kind: expected one of "threshold", "fasterToTarget", "epochsToPlateau", "beats", got "treshold"',
    ]);
  });

  it('a reference, its groups, an epoch record and the environment (git and definition file too)', () => {
    expect(problems(Reference, { ...reference, note: 'x' })).toEqual([
      'note: unknown key (expected one of: source, metrics, notes, groups)',
    ]);
    expect(problems(Reference, { source: 'Keras', groups: [{ name: 'even', acuracy: 0 }] })).toEqual([
      'groups.0.acuracy: unknown key (expected one of: name, accuracy, trueCounts, predictedCounts, note)',
    ]);
    expect(problems(EpochRecord, { ...epoch, learningrate: 0.1 })).toEqual([
      'learningrate: unknown key (expected one of: epoch, loss, seconds, samplesPerSecond, validation, learningRate)',
    ]);
    expect(problems(RunEnvironment, { ...environment, threads: 2 })).toEqual([
      'threads: unknown key (expected one of: backend, backendVersion, node, platform, packages, git, definitionFile)',
    ]);
    expect(problems(RunEnvironment, { ...environment, git: { commit: null, dirty: null, branch: 'main' } })).toEqual([
      'git.branch: unknown key (expected one of: commit, dirty)',
    ]);
    expect(
      problems(RunEnvironment, {
        ...environment,
        definitionFile: { path: 'a.ts', sha256: 'b', git: 'tracked', size: 1 },
      }),
    ).toEqual(['definitionFile.size: unknown key (expected one of: path, sha256, git)']);
  });

  it('a record names the path of an unknown key in its history or environment', () => {
    // formatErrors keeps the index of RunRecord's intersection member (`0.`); the report's loader drops it.
    expect(problems(RunRecord, { ...record, history: [{ ...epoch, los: 1 }] })).toEqual([
      '0.history.0.los: unknown key (expected one of: epoch, loss, seconds, samplesPerSecond, validation, learningRate)',
    ]);
    expect(problems(RunRecord, { ...record, environment: { ...environment, gpu: 'none' } })).toEqual([
      '0.environment.gpu: unknown key (expected one of: backend, backendVersion, node, platform, packages, git, definitionFile)',
    ]);
  });

  it('a record written before claims were closed still loads: the misspelt key it copied is dropped', () => {
    // Such a claim applied to every variant then, and still does: the report of old runs is unchanged.
    const old = {
      ...record,
      claims: [{ ...claim, varaint: 'sgd' }],
      reference: { ...reference, note: 'x', groups: [{ name: 'even', acuracy: 0 }] },
    };
    const decoded = RunRecord.decode(old);
    expect(decoded._tag).toBe('Right');
    if (decoded._tag !== 'Right') return;
    expect(decoded.right.claims).toEqual([claim]);
    expect(decoded.right.reference).toEqual({ source: 'Keras', groups: [{ name: 'even' }], notes: ['3 epochs'] });
    // A claim that breaks a rule of its own (not a misspelt key) is still an error by path.
    expect(problems(RunRecord, { ...record, claims: [{ ...claim, op: '=' }] })).toEqual([
      '0.claims.0.0.op: expected "<" | "<=" | ">" | ">=", got "="',
    ]);
  });
});
