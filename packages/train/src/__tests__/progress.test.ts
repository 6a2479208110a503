import { describe, expect, it } from 'vitest';
import { formatEta, kerasProgress, progressBar } from '../index.js';

describe('progressBar', () => {
  it('draws Keras-style bars', () => {
    expect(progressBar(468, 468)).toBe('468/468 [==============================]');
    expect(progressBar(0, 468)).toBe('  0/468 [..............................]');
    expect(progressBar(234, 468)).toBe('234/468 [==============>...............]');
    expect(progressBar(1, 3)).toBe('1/3 [=========>....................]');
  });
});

function capture(isTTY: boolean, label?: string) {
  const chunks: string[] = [];
  let clock = 0;
  const now = (): number => clock;
  const stream = { isTTY, write: (text: string) => chunks.push(text) };
  const reporter = kerasProgress(stream, label === undefined ? now : { now, label });
  return { chunks, reporter, advance: (ms: number) => (clock += ms) };
}

/**
 * What a terminal shows after `output`: `\r` moves to column 0, `\x1b[K` erases from the cursor to
 * the end of the line, `\n` starts a new line, any other character overwrites the one under the
 * cursor. Any other escape sequence fails the test.
 */
function renderTerminal(output: string): string[] {
  const lines: string[][] = [[]];
  let column = 0;
  for (let i = 0; i < output.length; i++) {
    const line = lines[lines.length - 1]!;
    const char = output[i]!;
    if (char === '\r') column = 0;
    else if (char === '\n') {
      lines.push([]);
      column = 0;
    } else if (char === '\x1b') {
      expect(output.slice(i, i + 3), 'escape sequence').toBe('\x1b[K');
      line.length = column;
      i += 2;
    } else {
      line[column] = char;
      column++;
    }
  }
  return lines.map((line) => line.join(''));
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
    expect(chunks.at(-1)).toBe('\r\x1b[K468/468 [==============================] - 6s 13ms/step - loss: 0.1372\n');
  });

  it('leaves no characters of a longer previous line on the terminal', () => {
    const { chunks, reporter, advance } = capture(true);
    reporter.epochStart(1, 1, 20);
    // The ETA shrinks from 2 digits to 1 and the loss from 10.x to 9.x: each line is shorter.
    const losses = [12.3456, 11.1, 10.5, 10.25, 9.75, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1];
    const drawn: string[] = [];
    losses.forEach((loss, i) => {
      advance(1000);
      reporter.step(i + 1, loss);
      const shown = renderTerminal(chunks.join(''));
      drawn.push(shown.at(-1)!);
      // Exactly the latest line: nothing of the one before survives.
      const latest = chunks.at(-1)!;
      const text = latest.startsWith('\r\x1b[K') ? latest.slice(4) : latest.replace(/^\r/, '');
      expect(shown.at(-1)).toBe(text);
    });
    expect(drawn[3]).toBe(`${progressBar(4, 20)} - ETA: 16s - loss: 10.2500`);
    expect(drawn[4]).toBe(`${progressBar(5, 20)} - ETA: 15s - loss: 9.7500`);
    expect(drawn.at(-1)).toBe(`${progressBar(11, 20)} - ETA: 9s - loss: 1.1000`);
    reporter.epochEnd({ epoch: 1, steps: 20, seconds: 20, loss: 1.1 });
    expect(renderTerminal(chunks.join(''))).toEqual([
      'Epoch 1/1',
      '20/20 [==============================] - 20s 1000ms/step - loss: 1.1000',
      '',
    ]);
  });

  it('shows the epoch ETA from the mean step time so far, then the total time at the end', () => {
    const { chunks, reporter, advance } = capture(true);
    reporter.epochStart(1, 2, 100);
    // 10 fast steps (100 ms) and 10 slow ones (500 ms): 6 s for 20 steps, 300 ms a step on
    // average, so 80 steps left take 24 s (the last step's 500 ms would say 40 s).
    for (let step = 1; step <= 20; step++) {
      advance(step <= 10 ? 100 : 500);
      reporter.step(step, 0.5);
    }
    expect(chunks.at(-1)).toBe('\r\x1b[K 20/100 [=====>........................] - ETA: 24s - loss: 0.5000');
    for (let step = 21; step <= 100; step++) {
      advance(300);
      reporter.step(step, 0.5);
    }
    expect(chunks.at(-1)).toBe('\r\x1b[K100/100 [==============================] - 30s 300ms/step - loss: 0.5000');
    reporter.epochEnd({ epoch: 1, steps: 100, seconds: 30, loss: 0.5 });
    expect(chunks.at(-1)).toBe('\r\x1b[K100/100 [==============================] - 30s 300ms/step - loss: 0.5000\n');
  });

  it('formats the ETA like Keras: seconds, m:ss, h:mm:ss', () => {
    expect([formatEta(0.4), formatEta(12.7), formatEta(59.9), formatEta(99), formatEta(3725)]).toEqual([
      '0s',
      '12s',
      '59s',
      '1:39',
      '1:02:05',
    ]);
  });

  it('puts an optional label before every line', () => {
    const tty = capture(true, 'run 3/9:');
    tty.reporter.epochStart(1, 1, 2);
    tty.advance(500);
    tty.reporter.step(1, 0.25);
    tty.reporter.epochEnd({ epoch: 1, steps: 2, seconds: 1, loss: 0.25 });
    expect(renderTerminal(tty.chunks.join(''))).toEqual([
      'run 3/9: Epoch 1/1',
      'run 3/9: 2/2 [==============================] - 1s 500ms/step - loss: 0.2500',
      '',
    ]);
    const plain = capture(false, 'run 3/9:');
    plain.reporter.epochStart(1, 1, 2);
    plain.reporter.epochEnd({ epoch: 1, steps: 2, seconds: 1, loss: 0.25 });
    expect(plain.chunks).toEqual(['run 3/9: epoch 1: 2 steps - 1s 500ms/step - loss: 0.2500\n']);
  });
});
