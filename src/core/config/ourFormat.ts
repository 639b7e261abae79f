// Whether a file is meant to be one of Batch Tuner's own training configs (the built-in trainer's
// format), even with mistakes. Here, in the config module, because Apply (./apply.ts) needs it as
// well as the resolver (core/resolve/classify.ts): only our format may get `batch_schedule`.
import type { ConfigFormat } from './types';
import { detectFormat } from './format';
import { isObj } from '../guards';
import { parseJsoncValue, parseYamlValue } from './limits';

const OUR_FILE_NAME = /\.batch-tuner\.(ya?ml|jsonc?)$/i;

/**
 * Named *.batch-tuner.{yaml,yml,json,jsonc}, or YAML/JSON whose top level has a `model` mapping
 * with a `type` and a `data` mapping with a `source` (the schema's two discriminators;
 * Lightning/Hydra configs have top-level model/data too, but with class_path/_target_).
 */
export function isOurTrainingFormat(file: string, text: string, format: ConfigFormat = detectFormat(file, text)): boolean {
  if (OUR_FILE_NAME.test(file)) return true;
  if (format !== 'yaml' && format !== 'json') return false;
  if (!/\bmodel\b/.test(text) || !/\bdata\b/.test(text)) return false;
  let root: unknown;
  try {
    root = format === 'yaml' ? parseYamlValue(text) : parseJsoncValue(text); // bounded: untrusted text
  } catch {
    // A YAML syntax error: ours only if the top-level keys are plainly there.
    return /^model[ \t]*:/m.test(text) && /^data[ \t]*:/m.test(text) && /^[ \t]+type[ \t]*:/m.test(text) && /^[ \t]+source[ \t]*:/m.test(text);
  }
  return isObj(root) && isObj(root.model) && 'type' in root.model && isObj(root.data) && 'source' in root.data;
}
