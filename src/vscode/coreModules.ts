// Lazy entry points into src/core: activation stays fast because the parsers (yaml, ajv, ...)
// and the study engine are only evaluated the first time a feature needs them.
export const configModule = () => import('../core/config');
export const studyModule = () => import('../core/study');
export const trainerRunnerModule = () => import('../core/runner/trainerProcess');
export const externalRunnerModule = () => import('../core/runner/external');
export const externalConfigModule = () => import('../core/runner/externalConfig');
