// Public shapes of the config module (implementation in the sibling files; entry: ./index.ts).
import type { TrainingConfig } from '../types';

export type ConfigFormat = 'yaml' | 'json' | 'toml' | 'python';

/**
 * A ConfigFormat, or a file name whose extension (else the text) gives the format. `string & {}`
 * rather than `string`: the union does not collapse into plain `string`, so editors still offer the
 * format names.
 */
export type FormatOrFileName = ConfigFormat | (string & {});

/** A problem in a config file, with the exact place. line/column are 1-based (as editors print them). */
export interface ConfigDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based character offsets into the text. */
  offset: number;
  length: number;
  severity: 'error' | 'warning';
  /** What is wrong and what to do, e.g. `batch_size must be an integer >= 1 (got "abc")`. */
  message: string;
}

export interface LoadedConfig {
  file: string;
  format: ConfigFormat;
  text: string;
  config: TrainingConfig;
}

/** A batch-size (or learning-rate) key found in a config or script, at its exact ranges. */
export interface KeyMatch {
  /** The key as written (`per_device_train_batch_size`, `--batch-size`, ...). */
  key: string;
  /** Path from the document root, e.g. ['trainer', 'datamodule', 'batch_size']. For Python: [functionName?, key]. */
  path: string[];
  /** The numeric value (NaN when the value is not a number literal, e.g. `${oc.env:BS}`). */
  value: number;
  keyOffset: number;
  keyLength: number;
  valueOffset: number;
  valueLength: number;
  /** 0-based line/character of the key's start (for CodeLens ranges). */
  line: number;
  character: number;
}

export interface BatchSizeSite {
  batchSize: KeyMatch;
  /** The learning-rate key next to it (same mapping/call), when present. */
  learningRate?: KeyMatch;
}

/** One text replacement (0-based offset into the original text). */
export interface TextEdit {
  offset: number;
  length: number;
  newText: string;
}
