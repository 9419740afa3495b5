/** The report of a training run (`duet report`, `duet demo`): a self-contained report.html (inline CSS, SVG charts, data: URI images). */

export { CAPTIONING_SECTION, renderReport, REPORT_SECTIONS, RUN_SECTIONS, type EvalPoint, type HeadlineMetrics, type ReportData, type RetrievalExample, type StepPoint, type TestReport, type ZeroShotExample } from "./report.js";
export { isRunFolder, readRunFolder } from "./run-folder.js";
export { captionSection, type CaptionExample, type CaptionReport, type CaptionScores } from "./caption-section.js";
export { stylesSection, transferSection, type StyleMetrics, type TransferRow, type TransferTable } from "./styles-section.js";
export { EVAL_LABELS, scheduleJumps } from "./run-charts.js";
export { readReferenceRun, REFERENCE_METRICS, type ReferenceMetric, type ReferenceRun } from "./reference.js";
export { averageWindow, lineChart, movingAverage, niceTicks, type LineChartOptions, type Mark, type Series } from "./line-chart.js";
export { similarityHeatmap, viridis } from "./heatmap.js";
export { pngBytes, pngDataUri } from "./png.js";
export { escapeHtml, formatNumber, formatPercent } from "./html.js";
