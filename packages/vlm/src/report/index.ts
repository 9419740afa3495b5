/** The demo's report: a self-contained report.html (inline CSS, SVG charts, data: URI images). */

export { renderReport, REPORT_SECTIONS, type EvalPoint, type HeadlineMetrics, type ReportData, type RetrievalExample, type StepPoint, type ZeroShotExample } from "./report.js";
export { readReferenceRun, REFERENCE_METRICS, type ReferenceMetric, type ReferenceRun } from "./reference.js";
export { lineChart, niceTicks, smooth, type LineChartOptions, type Series } from "./line-chart.js";
export { similarityHeatmap, viridis } from "./heatmap.js";
export { pngBytes, pngDataUri } from "./png.js";
export { escapeHtml, formatNumber, formatPercent } from "./html.js";
