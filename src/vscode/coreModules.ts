// Lazy entry points into src/core: activation stays fast because the parsers (yaml, ajv, ...),
// the resolver, the study engine and the report renderer are only evaluated the first time a
// feature needs them.
export const configModule = () => import('../core/config');
export const resolveModule = () => import('../core/resolve');
export const studyModule = () => import('../core/study');
export const runnerModule = () => import('../core/runner');
export const reportModule = () => import('../core/report');
export const scheduleModule = () => import('../core/schedule/validate');
