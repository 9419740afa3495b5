/** Escaping for text placed in HTML and SVG (both XML-ish: the same five characters). */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A number for display: 4 significant digits, no exponent for ordinary magnitudes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2).replace(/\.?0+e/, "e"); // 5.00e-4 -> 5e-4
  return Number(value.toPrecision(4)).toString();
}

/** A fraction as a percentage with one decimal: 0.4567 -> "45.7%". */
export function formatPercent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}
