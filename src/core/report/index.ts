// The self-contained HTML report of a study.
export { renderStudyReport } from './html';
export { buildCharts, alignSeries, type ChartSpec } from './chartData';
export { formatBytes, formatSeconds, formatNumber } from './format';
