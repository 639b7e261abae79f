import { applyConfigEdits, withBatchSize, findBatchSizeSites } from './src/core/config';
const y = `# our config
model:
  type: mlp   # small
data:
    source: mnist
optimizer:
    name: adam
batch_size: 32  # tuned
tuner:
    min_batch_size: 8
`;
let r = applyConfigEdits(y, 'yaml', [{ path: ['optimizer', 'learning_rate'], value: 0.0014142135623730952 }, { path: ['batch_schedule'], value: { kind: 'linear_ramp', from: 32, to: 256, over_samples: 100000 } }, { path: ['batch_size'], value: 64 }, {path:['tuner','max_batch_size'], value: 512}]);
console.log(r.text); console.log(r.edits);
r = applyConfigEdits(r.text, 'yaml', [{ path: ['batch_schedule'], value: { kind: 'adaptive', every_steps: 25 } }]);
console.log(r.text);
const j = `{
  // comment
  "model": { "type": "mlp" },
  "batch_size": 32,
  "optimizer": {
    "name": "adam" // trailing
  }
}
`;
r = applyConfigEdits(j, 'x.jsonc', [{ path: ['optimizer', 'learning_rate'], value: 0.002 }, { path: ['batch_schedule'], value: { kind: 'step', every_steps: 100 } }]);
console.log(r.text);
console.log(withBatchSize(y, 'yaml', 128, 0.002));
console.log(withBatchSize(`{"train_batch_size": "32", "optimizer": {"params": {"lr": 1e-4}}}`, 'ds.json', 128, 0.0004));
