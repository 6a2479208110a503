import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import * as t from 'io-ts';
import { Claim, formatErrors, ReportSettings } from '@losslab/schema';
import { beats } from '../builders.js';
import { parseReportArguments } from '../command-options.js';
import { loadDefinitionFile } from '../load-definition.js';
import { resolveExperiment } from '../resolve.js';

/** The README section "The verdict": its definition snippet and command are what runs. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = README.slice(README.indexOf('### The verdict'), README.indexOf('## Run a sweep on several machines'));
const block = (language: string, start: string): string => {
  const found = [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))]
    .map((match) => match[1] ?? '')
    .find((code) => code.startsWith(start));
  if (found === undefined) throw new Error(`README "The verdict" has no ${language} block starting with ${start}`);
  return found;
};

describe('README: the verdict', () => {
  const snippet = block('ts', '// verdict settings (experiments/mnist-lt.ts)');

  it('shows settings and a claim that are in experiments/mnist-lt.ts, in that order', () => {
    const definition = readFileSync(join(ROOT, 'experiments/mnist-lt.ts'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    let at = 0;
    for (const line of snippet.split('\n').slice(1)) {
      const wanted = line.trim();
      if (wanted === '') continue;
      const found = definition.indexOf(wanted, at);
      expect(found, `"${wanted}" in experiments/mnist-lt.ts after line ${at}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it('the snippet is valid definition data: report settings and a beats claim', async () => {
    // Evaluates the README's own snippet, as a reader would paste it into a definition.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const evaluate = new Function('beats', `return ({\n${snippet}\n});`) as (builder: typeof beats) => {
      report: unknown;
      claims: unknown[];
    };
    const value = evaluate(beats);
    // Decoded (not `is`): a problem is named by path, and a decoded value keeps only known keys.
    const decoded = (codec: t.Decoder<unknown, unknown>, input: unknown): unknown => {
      const result = codec.decode(input);
      return E.isRight(result) ? result.right : formatErrors(result.left);
    };
    expect(decoded(ReportSettings, value.report)).toEqual(value.report);
    expect(decoded(t.array(Claim), value.claims)).toEqual(value.claims);
    expect(value.claims).toEqual([
      expect.objectContaining({
        kind: 'beats',
        variant: 'logit-adjusted',
        than: 'ce',
        metric: 'balancedAccuracy',
        alpha: 0.05,
      }),
    ]);
    // And the whole definition, with them, resolves.
    const file = join(ROOT, 'experiments/mnist-lt.ts');
    expect(E.isRight(resolveExperiment(await loadDefinitionFile(file), file))).toBe(true);
  });

  it('the report command line parses', () => {
    const line = block('sh', 'npx losslab report').trim();
    const { options, problems } = parseReportArguments(line.split(/\s+/).slice(3));
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      experiment: 'mnist-lt',
      check: true,
      primary: [{ metric: 'macroF1' }, { metric: 'accuracy' }],
    });
  });
});
