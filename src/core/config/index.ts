// The config module: training-config parsing and validation with exact positions, batch-size
// keys in any config or script, and formatting-preserving edits. No `vscode` import here.
export type { BatchSizeSite, ConfigDiagnostic, ConfigFormat, FormatOrFileName, KeyMatch, LoadedConfig, TextEdit } from './types';
export { ConfigError, formatDiagnostic } from './diagnostics';
export { detectFormat } from './format';
export { parseMemorySize } from './memorySize';
export { formatConfigNumber } from './numberFormat';
export { parseTrainingConfig, loadTrainingConfig, validateTrainingConfig, type ParsedConfig, type ParseOptions } from './parse';
export { findBatchSizeSites } from './sites';
export { applyConfigEdits, applyTextEdits, checkBatchValues, primaryBatchSizeSite, withBatchSize, type ConfigChange } from './edit';
export { planApply, invalidChange, APPLY_WRITABLE_KEYS, OUR_WRITABLE_PATHS, type ApplyChanges, type ApplyPlan } from './apply';
export { isOurTrainingFormat } from './ourFormat';
export { CONFIG_DEFAULTS, applyConfigDefaults, taskOf } from './defaults';
export { resolveConfigPath } from './semantic';
export { BATCH_SIZE_KEYS, LEARNING_RATE_KEYS } from './keyNames';
export { trainingConfigSchema } from './schemaErrors';
export {
  readGlobalBatch,
  effectiveGlobalBatchLabel,
  type GlobalBatchReading,
  type GlobalBatchSite,
  type ReadGlobalBatchOptions,
  type WorldSource,
} from './globalBatch';
export { withGlobalBatch, type GlobalBatchTarget, type GlobalBatchEdit, type AddedKey } from './globalBatchEdit';
export { solveGlobalBatch, type BatchNumbers } from './globalBatchMath';
export { GLOBAL_BATCH_KEYS, type GlobalBatchFamily, type GlobalBatchRole } from './keyNames';
