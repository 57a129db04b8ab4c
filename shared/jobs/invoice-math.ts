/**
 * Invoice arithmetic in integers: amounts in minor units (cents) as bigint, quantities in
 * thousandths, tax rates in basis points. Floating point never touches a total, so 0.1 + 0.2 is
 * 0.30 and the same invoice always adds up to the same cent. Used at enqueue (to check a declared
 * total) and by the renderer (which also checks that the printed lines add up).
 */

export interface InvoiceLineInput {
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface InvoiceTotals {
  /** Per line, quantity × unit price, rounded half away from zero to the cent. */
  readonly lineCents: readonly bigint[];
  readonly subtotalCents: bigint;
  readonly taxCents: bigint;
  readonly totalCents: bigint;
}

/** `value` scaled by 10^decimals, when it has at most that many decimals (else undefined). */
export function toScaledInteger(value: number, decimals: number): bigint | undefined {
  if (!Number.isFinite(value)) return undefined;
  const scaled = value * 10 ** decimals;
  const rounded = Math.round(scaled);
  // Decimal literals are not exact in binary (0.29 * 100 = 28.999999999999996): accept what is a
  // representation error, refuse what is a real extra decimal.
  if (Math.abs(scaled - rounded) > 1e-6 * Math.max(1, Math.abs(scaled))) return undefined;
  return BigInt(rounded);
}

/** numerator / denominator rounded half away from zero (commercial rounding). */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const sign = numerator < 0n !== denominator < 0n ? -1n : 1n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  return sign * ((2n * n + d) / (2n * d));
}

export function computeInvoiceTotals(items: readonly InvoiceLineInput[], taxRatePercent: number): InvoiceTotals {
  const lineCents = items.map((item) => {
    const quantityMilli = toScaledInteger(item.quantity, 3);
    const priceCents = toScaledInteger(item.unitPrice, 2);
    if (quantityMilli === undefined || priceCents === undefined) throw new RangeError('quantity has more than 3 decimals or unit price more than 2');
    return divideRounded(quantityMilli * priceCents, 1_000n);
  });
  const subtotalCents = lineCents.reduce((sum, cents) => sum + cents, 0n);
  const rateBasisPoints = toScaledInteger(taxRatePercent, 2);
  if (rateBasisPoints === undefined) throw new RangeError('tax rate has more than 2 decimals');
  const taxCents = divideRounded(subtotalCents * rateBasisPoints, 10_000n);
  return { lineCents, subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

/** 123456n → "1,234.56"; the currency code is printed beside it by the caller. */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const units = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${units}.${fraction}`;
}
