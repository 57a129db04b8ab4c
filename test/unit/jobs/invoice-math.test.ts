import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeInvoiceTotals, divideRounded, formatCents, toScaledInteger } from '../../../shared/jobs/invoice-math.js';

describe('Function: computeInvoiceTotals', () => {
  it('adds decimal prices exactly (0.10 + 0.20 is 0.30)', () => {
    const totals = computeInvoiceTotals([{ quantity: 1, unitPrice: 0.1 }, { quantity: 1, unitPrice: 0.2 }], 0);
    expect(totals).toEqual({ lineCents: [10n, 20n], subtotalCents: 30n, taxCents: 0n, totalCents: 30n });
  });

  it('rounds a line half away from zero to the cent (1.5 × 19.99 = 29.985 → 29.99)', () => {
    expect(computeInvoiceTotals([{ quantity: 1.5, unitPrice: 19.99 }], 0).lineCents).toEqual([2999n]);
  });

  it('computes tax on the subtotal and rounds it once (10.05 × 7.5 % = 0.75375 → 0.75; 0.10 × 5 % = 0.005 → 0.01)', () => {
    expect(computeInvoiceTotals([{ quantity: 1, unitPrice: 10.05 }], 7.5)).toMatchObject({ subtotalCents: 1005n, taxCents: 75n, totalCents: 1080n });
    expect(computeInvoiceTotals([{ quantity: 1, unitPrice: 0.1 }], 5)).toMatchObject({ taxCents: 1n, totalCents: 11n });
  });

  it('stays exact beyond 2^53 cents (500 lines of 1,000,000 × 10,000,000.00)', () => {
    const totals = computeInvoiceTotals(Array.from({ length: 500 }, () => ({ quantity: 1_000_000, unitPrice: 10_000_000 })), 19);
    expect(totals.subtotalCents).toBe(500n * 1_000_000n * 1_000_000_000n);
    expect(totals.totalCents).toBe(totals.subtotalCents + (totals.subtotalCents * 1900n) / 10_000n);
  });

  it('always adds up: lines to subtotal, subtotal + tax to total, each line within half a cent of the exact product', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ quantityMilli: fc.integer({ min: 1, max: 1_000_000_000 }), priceCents: fc.integer({ min: 0, max: 1_000_000_000 }) }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 10_000 }),
        (lines, rateBasisPoints) => {
          const totals = computeInvoiceTotals(lines.map((l) => ({ quantity: l.quantityMilli / 1000, unitPrice: l.priceCents / 100 })), rateBasisPoints / 100);
          expect(totals.lineCents.reduce((a, b) => a + b, 0n)).toBe(totals.subtotalCents);
          expect(totals.subtotalCents + totals.taxCents).toBe(totals.totalCents);
          lines.forEach((l, i) => {
            // |line × 1000 − exact| ≤ 500 (half a cent, in thousandths of a cent)
            const exactMilliCents = BigInt(l.quantityMilli) * BigInt(l.priceCents);
            const diff = totals.lineCents[i]! * 1000n - exactMilliCents;
            expect(diff <= 500n && diff >= -500n).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Function: toScaledInteger', () => {
  it('accepts binary representation noise and refuses real extra decimals', () => {
    expect(toScaledInteger(0.29, 2)).toBe(29n);
    expect(toScaledInteger(1.005, 3)).toBe(1005n);
    expect(toScaledInteger(0.001, 2)).toBeUndefined();
    expect(toScaledInteger(Number.NaN, 2)).toBeUndefined();
  });
});

describe('Function: divideRounded / formatCents', () => {
  it('rounds half away from zero on both signs', () => {
    expect(divideRounded(5n, 10n)).toBe(1n);
    expect(divideRounded(4n, 10n)).toBe(0n);
    expect(divideRounded(-5n, 10n)).toBe(-1n);
  });

  it('formats with thousands separators and two decimals', () => {
    expect(formatCents(123_456_789n)).toBe('1,234,567.89');
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(-5n)).toBe('-0.05');
  });
});
