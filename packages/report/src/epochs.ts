import type { GroupAggregate } from './aggregate.js';
import { lossMix } from './compare.js';
import { defaultDirection, LEARNING_RATE_CURVE, MAJORITY_CURVE } from './metrics.js';
import type { Direction } from '@losslab/schema';

/** One variant's curve of one metric, summarized beyond its last epoch. */
export interface CurveSummary {
  readonly label: string;
  /** Best mean over seeds at any epoch (highest, or lowest for a loss) and the first epoch it occurs. */
  readonly best: number;
  readonly bestEpoch: number;
  /** The mean at the last epoch. */
  readonly final: number;
  readonly epochs: number;
  /** First epoch whose mean reaches the shared target; null when it never does. */
  readonly epochToTarget: number | null;
}

/** Best epoch and epochs to a shared target of one curve, per variant of one experiment. */
export interface EpochSummary {
  readonly experiment: string;
  /** Curve key: `training.loss`, `validation.<metric>`. */
  readonly key: string;
  readonly direction: Direction;
  /**
   * The level every variant reaches at some epoch: the worst of the variants' best means. Its
   * first-reaching epoch is comparable across variants, unlike a fixed number some never reach.
   */
  readonly target: number | null;
  /** Why there is no shared target: the variants' losses are on different scales (see `lossMix`). */
  readonly noTarget: string | null;
  readonly variants: readonly CurveSummary[];
}

/**
 * Summaries beyond the last epoch, from the mean-over-seeds curves: for every curve (training
 * loss, each validation metric) and variant, the best value and its epoch, the final value, and
 * the first epoch reaching a shared target — the worst of the variants' best values, i.e. a
 * level every variant reaches. Loss curves of different loss definitions or reductions are on
 * different scales: they get no shared target (`noTarget` says why), only their own best and final.
 *
 * @example
 * epochSummaries(aggregates)[0]
 * // { key: 'validation.f1', direction: 'higher', target: 0.81, variants: [{ label: 'a', best: 0.9, bestEpoch: 12, epochToTarget: 5, … }] }
 */
export function epochSummaries(aggregates: readonly GroupAggregate[]): EpochSummary[] {
  const summaries: EpochSummary[] = [];
  const experiments = [...new Set(aggregates.map((aggregate) => aggregate.experiment))];
  for (const experiment of experiments) {
    const own = aggregates.filter((aggregate) => aggregate.experiment === experiment);
    const keys = [...new Set(own.flatMap((aggregate) => Object.keys(aggregate.curves)))]
      .filter((key) => key !== MAJORITY_CURVE && key !== LEARNING_RATE_CURVE)
      .sort((a, b) => (a === 'training.loss' ? -1 : b === 'training.loss' ? 1 : a.localeCompare(b)));
    for (const key of keys) {
      const direction = defaultDirection(key);
      const better = (a: number, b: number): boolean => (direction === 'higher' ? a > b : a < b);
      const reaches = (value: number, target: number): boolean =>
        direction === 'higher' ? value >= target : value <= target;
      const curves = own.flatMap((aggregate) => {
        const points = aggregate.curves[key] ?? [];
        return points.length === 0 ? [] : [{ label: aggregate.label, points }];
      });
      if (curves.length === 0) continue;
      const bests = curves.map(({ label, points }) => {
        let best = points[0];
        for (const point of points)
          if (best === undefined || better(point.summary.mean, best.summary.mean)) best = point;
        return { label, points, best: best?.summary.mean ?? Number.NaN, bestEpoch: best?.epoch ?? 0 };
      });
      // Losses of different definitions or reductions share no scale, so no level is shared either.
      const noTarget = /(^|\.)loss$/.test(key)
        ? lossMix(own.filter((aggregate) => aggregate.curves[key] !== undefined))
        : null;
      const target =
        noTarget !== null
          ? null
          : bests.reduce(
              (worst, entry) => (better(worst, entry.best) ? entry.best : worst),
              bests[0]?.best ?? Number.NaN,
            );
      summaries.push({
        experiment,
        key,
        direction,
        target,
        noTarget,
        variants: bests.map(({ label, points, best, bestEpoch }) => {
          const last = points[points.length - 1];
          return {
            label,
            best,
            bestEpoch,
            final: last?.summary.mean ?? Number.NaN,
            epochs: last?.epoch ?? 0,
            epochToTarget:
              target === null ? null : (points.find((point) => reaches(point.summary.mean, target))?.epoch ?? null),
          };
        }),
      });
    }
  }
  return summaries;
}
