// The self-contained HTML report of a study, and the recommendation in words (shared with the CLI).
export { renderStudyReport } from './html';
export { buildCharts, alignSeries, type ChartSpec } from './chartData';
export { formatBytes, formatSeconds, formatNumber, formatCompact } from './format';
export { recommendationHeadline, headlineParts, basisSummary, assumedQuantities, formatSpeedupFactor, type HeadlineParts } from '../headline';
export {
  bandText,
  convergenceText,
  criticalBatchText,
  isExtrapolated,
  learningRateText,
  measuredRange,
  memoryText,
  noiseScaleText,
  parallelismText,
  planText,
  speedupText,
  throughputCell,
  throughputText,
  verdictText,
} from './recommendationText';
