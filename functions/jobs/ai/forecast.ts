/**
 * Demand forecasting with Holt's linear exponential smoothing (additive trend, no seasonality):
 *
 *   level  ℓ_t = α·y_t + (1−α)·(ℓ_{t−1} + b_{t−1})
 *   trend  b_t = β·(ℓ_t − ℓ_{t−1}) + (1−β)·b_{t−1}
 *   forecast ŷ_{n+h} = ℓ_n + h·b_n
 *
 * started at ℓ_0 = y_0, b_0 = y_1 − y_0. α and β are chosen on a 0.05 grid by the smallest sum of
 * squared one-step-ahead errors. The prediction interval of step h is ŷ ± z·σ_h with σ² the mean
 * squared one-step error and, for this model (ETS(A,A,N)),
 *
 *   σ_h² = σ²·[1 + (h−1)·(α² + αβh + β²h(2h−1)/6)]
 *
 * (Hyndman & Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., §8.7, Table 8.8).
 * A series on a straight line has no one-step error, so it forecasts the line with a zero-width interval.
 */

export interface ForecastPoint {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

export interface ForecastResult {
  readonly forecast: readonly ForecastPoint[];
  readonly method: 'holt-linear';
  readonly params: { readonly alpha: number; readonly beta: number };
  /** Root mean squared one-step-ahead error on the history: the σ of the intervals. */
  readonly rmse: number;
  /** Two-sided coverage of [low, high]. */
  readonly interval: number;
}

/** z of the two-sided 80 % and 95 % normal intervals. */
const Z: Readonly<Record<number, number>> = { 0.8: 1.2815515655446004, 0.95: 1.959963984540054 };

const GRID = Array.from({ length: 19 }, (_, i) => round((i + 1) * 0.05, 2));

interface Fit {
  readonly alpha: number;
  readonly beta: number;
  readonly level: number;
  readonly trend: number;
  readonly sse: number;
  readonly errors: number;
}

function fit(series: readonly number[], alpha: number, beta: number): Fit {
  let level = series[0]!;
  let trend = series[1]! - series[0]!;
  let sse = 0;
  for (let t = 1; t < series.length; t++) {
    const y = series[t]!;
    const predicted = level + trend;
    sse += (y - predicted) ** 2;
    const previous = level;
    level = alpha * y + (1 - alpha) * predicted;
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  return { alpha, beta, level, trend, sse, errors: series.length - 1 };
}

/** Forecasts the next `horizon` points of `series` (at least 3 points) with `interval` coverage (0.8 or 0.95). */
export function holtForecast(series: readonly number[], horizon: number, interval: 0.8 | 0.95 = 0.95): ForecastResult {
  if (series.length < 3) throw new RangeError('a forecast needs at least 3 points');
  let best: Fit | undefined;
  for (const alpha of GRID) {
    for (const beta of GRID) {
      const candidate = fit(series, alpha, beta);
      // Ties (a perfect fit everywhere) keep the first, smallest smoothing: deterministic.
      if (!best || candidate.sse < best.sse - 1e-12 * Math.max(1, best.sse)) best = candidate;
    }
  }
  const { alpha, beta, level, trend, sse, errors } = best!;
  const sigma2 = sse / errors;
  const z = Z[interval]!;
  const forecast = Array.from({ length: horizon }, (_, i) => {
    const h = i + 1;
    const value = level + h * trend;
    const spread = z * Math.sqrt(sigma2 * (1 + (h - 1) * (alpha ** 2 + alpha * beta * h + (beta ** 2 * h * (2 * h - 1)) / 6)));
    return { value: clean(value), low: clean(value - spread), high: clean(value + spread) };
  });
  return { forecast, method: 'holt-linear', params: { alpha, beta }, rmse: clean(Math.sqrt(sigma2)), interval };
}

/** 12 significant digits: hides float noise (0.30000000000000004) without losing real precision. */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
