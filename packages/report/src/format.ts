import type { Summary } from './stats.js';

/**
 * Characters that must not reach a terminal or a report raw: C0 controls other than tab and line
 * feed (ESC starts ANSI sequences, CR overwrites a line), DEL, C1 controls, and the Unicode
 * direction marks, embeddings, overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as output may carry it: each control character (see above) written as a visible escape,
 * `\x1b` or `\u202e`, so text from records and definitions cannot colour, move or rewrite
 * what a terminal or a report shows. Tabs and line breaks stay. Applied once at each output
 * boundary: the lines `losslab report` and `losslab run` print, and the Markdown, HTML and SVG
 * written.
 *
 * @example printable('ok\u001b[2J') // 'ok\\x1b[2J'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Formats a metric value for prose and tables: 3 decimals below 100 (2 significant digits below
 * 0.001), 1 decimal below 1000, integers with thousands separators above.
 *
 * @example formatValue(0.97912) // '0.979'; formatValue(5923) // '5,923'
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(1);
  // Tiny non-zero values (a spread of 0.0003) keep two significant digits instead of reading 0.000.
  if (magnitude > 0 && magnitude < 0.001) return value.toPrecision(2);
  const fixed = value.toFixed(3);
  return fixed === '-0.000' ? '0.000' : fixed;
}

/** Like {@link formatValue} with an explicit sign: `+0.210`, `-0.030`. */
export function formatSigned(value: number): string {
  const text = formatValue(value);
  return value > 0 && !text.startsWith('+') && text !== '0.000' ? `+${text}` : text;
}

/** A p-value: `p < 0.001` or `p = 0.108`. */
export function formatP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/**
 * A standard deviation beside a mean: as {@link formatValue}, but never finer than the mean's
 * three decimals (a spread of 0.00097 reads `0.001`, not `0.00097`), to keep table cells short.
 *
 * @example formatSd(0.1414) // '0.141'; formatSd(0.00034) // '0.000'
 */
export function formatSd(sd: number): string {
  return Number.isFinite(sd) && Math.abs(sd) < 0.001 ? Math.abs(sd).toFixed(3) : formatValue(sd);
}

/** `3 seeds`, `1 seed`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A summary as `mean ± sd [lo, hi]`, or just the mean for one seed.
 *
 * @example formatSummary(summarize([1, 2, 3, 4, 5])) // '3.000 ± 1.581 [1.037, 4.963]'
 */
export function formatSummary(summary: Summary): string {
  if (summary.sd === null || summary.ci === null) return formatValue(summary.mean);
  return `${formatValue(summary.mean)} ± ${formatValue(summary.sd)} [${formatValue(summary.ci[0])}, ${formatValue(summary.ci[1])}]`;
}
