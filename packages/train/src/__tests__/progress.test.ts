import { describe, expect, it } from 'vitest';
import { kerasProgress, progressBar } from '../index';

describe('progressBar', () => {
  it('draws Keras-style bars', () => {
    expect(progressBar(468, 468)).toBe('468/468 [==============================]');
    expect(progressBar(0, 468)).toBe('  0/468 [..............................]');
    expect(progressBar(234, 468)).toBe('234/468 [==============>...............]');
    expect(progressBar(1, 3)).toBe('1/3 [=========>....................]');
  });
});

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  let clock = 0;
  const reporter = kerasProgress({ isTTY, write: (text: string) => chunks.push(text) }, () => clock);
  return { chunks, reporter, advance: (ms: number) => (clock += ms) };
}

describe('kerasProgress', () => {
  it('prints one plain line per epoch when the output is not a terminal', () => {
    const { chunks, reporter, advance } = capture(false);
    reporter.epochStart(1, 3, 468);
    for (let step = 1; step <= 468; step++) {
      advance(13);
      reporter.step(step, 0.5);
    }
    reporter.epochEnd({ epoch: 1, steps: 468, seconds: 6.084, loss: 0.13721, validation: { f1: 0.5 } });
    expect(chunks).toEqual(['epoch 1: 468 steps - 6s 13ms/step - loss: 0.1372 - val_f1: 0.5000\n']);
  });

  it('redraws a live bar on a terminal and ends the epoch with the full bar', () => {
    const { chunks, reporter, advance } = capture(true);
    reporter.epochStart(2, 3, 468);
    for (let step = 1; step <= 468; step++) {
      advance(13);
      reporter.step(step, 0.2);
    }
    reporter.epochEnd({ epoch: 2, steps: 468, seconds: 6.084, loss: 0.1372 });
    expect(chunks[0]).toBe('Epoch 2/3\n');
    // throttled: far fewer redraws than steps, but some
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.length).toBeLessThan(100);
    expect(chunks.at(-1)).toBe('\r468/468 [==============================] - 6s 13ms/step - loss: 0.1372\n');
  });
});
