/**
 * Anomaly detection with the modified z-score (Iglewicz & Hoaglin, "How to Detect and Handle
 * Outliers", 1993):
 *
 *   M_i = 0.6745 · (x_i − median) / MAD,   MAD = median(|x_i − median|)
 *
 * and a point is an anomaly when |M_i| > threshold (3.5, their recommendation). Median and MAD are
 * robust: one spike moves neither, where it would inflate a mean and standard deviation and hide
 * itself. When more than half the points are equal the MAD is 0; the score then falls back to the
 * mean absolute deviation, M_i = (x_i − median) / (1.253314 · MeanAD) (1.253314 = √(π/2) makes it
 * estimate σ for normal data, as 1/0.6745 does for the MAD). A series with no spread has no anomalies.
 */

export interface Anomaly {
  readonly index: number;
  readonly value: number;
  /** |modified z-score|: how many robust standard deviations from the median. */
  readonly score: number;
}

export interface AnomalyResult {
  readonly anomalies: readonly Anomaly[];
  readonly method: 'modified-z-score';
  readonly threshold: number;
  readonly median: number;
  readonly mad: number;
}

export const DEFAULT_ANOMALY_THRESHOLD = 3.5;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function detectAnomalies(series: readonly number[], threshold = DEFAULT_ANOMALY_THRESHOLD): AnomalyResult {
  if (series.length < 3) throw new RangeError('anomaly detection needs at least 3 points');
  const center = median(series);
  const deviations = series.map((x) => Math.abs(x - center));
  const mad = median(deviations);
  const meanAd = deviations.reduce((sum, d) => sum + d, 0) / series.length;
  const scale = mad > 0 ? mad / 0.6745 : meanAd * 1.253314;
  const anomalies: Anomaly[] = [];
  if (scale > 0) {
    series.forEach((value, index) => {
      const score = Math.abs(value - center) / scale;
      if (score > threshold) anomalies.push({ index, value, score: Math.round(score * 1000) / 1000 });
    });
  }
  return { anomalies, method: 'modified-z-score', threshold, median: center, mad };
}
