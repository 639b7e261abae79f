import { parseTrainingConfig, findBatchSizeSites, applyConfigEdits, formatDiagnostic } from './src/core/config';
const t = `model:
  type: mlp
  hiden: [128]
  filters: [3]
data:
  source: mnist
optimizer:
  name: adam
  learnin_rate: 0.001
batch_size: abc
tuner:
  min_batch_size: 64
  max_batch_size: 8
  memory_limit: 2 gigs
batch_schedule:
  kind: linear_ramp
  from: 64
  to: 32
  over_samples: 1000
`;
const r = parseTrainingConfig(t, 'x.yaml');
console.log(r.diagnostics.map(formatDiagnostic).join('\n'));
const r2 = parseTrainingConfig(t.replace('batch_size: abc','batch_size: 32').replace('learnin_rate','learning_rate').replace('  hiden: [128]\n  filters: [3]\n','').replace(' gigs','GB'), 'x.yaml');
console.log(r2.diagnostics.map(formatDiagnostic).join('\n'), r2.config);
console.log(parseTrainingConfig('{"model": {"type": "mlp"},}', 'a.json').diagnostics.map(formatDiagnostic));
console.log(parseTrainingConfig('{"model": {"type": "mlp"}, "model": 1}', 'a.json').diagnostics.map(formatDiagnostic));
console.log(parseTrainingConfig('model:\n  type: mlp\nmodel: 3\n', 'a.yaml').diagnostics.map(formatDiagnostic));
console.log(parseTrainingConfig('model:\n  foo: 1\n', 'a.yaml').diagnostics.map(formatDiagnostic));
