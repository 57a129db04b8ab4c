import { describe, expect, it } from 'vitest';
import { detectAnomalies, median } from '../../../functions/jobs/ai/anomaly.js';
import { holtForecast } from '../../../functions/jobs/ai/forecast.js';

describe('Function: holtForecast', () => {
  it('forecasts a straight line exactly, with a zero-width interval', () => {
    // Prepare: y = 3 + 2.5 t
    const series = Array.from({ length: 12 }, (_, t) => 3 + 2.5 * t);

    // Act
    const result = holtForecast(series, 4);

    // Assess: the next points of the line, and no one-step error to widen the intervals
    expect(result.forecast.map((p) => p.value)).toEqual([33, 35.5, 38, 40.5]);
    for (const point of result.forecast) {
      expect(point.low).toBe(point.value);
      expect(point.high).toBe(point.value);
    }
    expect(result.rmse).toBeLessThan(1e-9);
    expect(result.method).toBe('holt-linear');
  });

  it('forecasts a constant series as that constant', () => {
    // Act
    const result = holtForecast([7, 7, 7, 7, 7], 3);

    // Assess
    expect(result.forecast).toEqual([{ value: 7, low: 7, high: 7 }, { value: 7, low: 7, high: 7 }, { value: 7, low: 7, high: 7 }]);
  });

  it('brackets each forecast with an interval that widens with the horizon, the 95 % wider than the 80 %', () => {
    // Prepare: a trend with a fixed, repeating wobble
    const wobble = [0.8, -1.1, 0.3, -0.4, 1.2, -0.9, 0.1];
    const series = Array.from({ length: 28 }, (_, t) => 100 + 4 * t + wobble[t % wobble.length]!);

    // Act
    const wide = holtForecast(series, 6, 0.95);
    const narrow = holtForecast(series, 6, 0.8);

    // Assess
    const widths = wide.forecast.map((p) => p.high - p.low);
    for (let h = 1; h < widths.length; h++) expect(widths[h]!).toBeGreaterThan(widths[h - 1]!);
    wide.forecast.forEach((p, i) => {
      expect(p.low).toBeLessThan(p.value);
      expect(p.high).toBeGreaterThan(p.value);
      expect(p.high - p.low).toBeGreaterThan(narrow.forecast[i]!.high - narrow.forecast[i]!.low);
    });
    // The trend carries on: about 4 per step beyond the last point (211 at t = 27).
    expect(wide.forecast[0]!.value).toBeGreaterThan(211);
    expect(wide.forecast[5]!.value).toBeGreaterThan(wide.forecast[0]!.value + 15);
  });

  it('refuses fewer than three points', () => {
    expect(() => holtForecast([1, 2], 1)).toThrow(RangeError);
  });
});

describe('Function: detectAnomalies', () => {
  it('flags exactly the spike of a flat series', () => {
    // Prepare
    const series = Array.from({ length: 20 }, () => 10);
    series[13] = 55;

    // Act
    const result = detectAnomalies(series);

    // Assess
    expect(result.anomalies.map((a) => [a.index, a.value])).toEqual([[13, 55]]);
    expect(result.anomalies[0]!.score).toBeGreaterThan(3.5);
    expect(result.median).toBe(10);
  });

  it('flags a dip and a spike in a noisy series and nothing else', () => {
    // Prepare
    const noise = [0.4, -0.3, 0.1, -0.5, 0.2, 0.6, -0.2, 0.3, -0.1, 0.5];
    const series = Array.from({ length: 40 }, (_, i) => 50 + noise[i % noise.length]!);
    series[7] = 80;
    series[31] = 20;

    // Act
    const result = detectAnomalies(series);

    // Assess
    expect(result.anomalies.map((a) => a.index)).toEqual([7, 31]);
  });

  it('finds nothing in a series with no spread', () => {
    expect(detectAnomalies([3, 3, 3, 3]).anomalies).toEqual([]);
  });

  it('takes the median of odd and even lengths', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
