import { parseTrainingConfig, formatDiagnostic } from './src/core/config';
const show = (t: string, f: string) => console.log(parseTrainingConfig(t, f).diagnostics.map(formatDiagnostic));
show('model:\n  type: mlp\n  hidden: [128\ndata: {source: mnist}\n', 'a.yaml');
show('model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 32\n', 'a.yaml');
show('{\n  "model": {"type": "cnn", "hidden": [3], "activation": "gelu"},\n  "data": {"source": "csv", "path": "nope.csv"},\n  "optimizer": {"name": "adma", "learning_rate": -1},\n  "batch_size": 0\n}\n', '/tmp/x/a.json');
show('', 'a.yaml');
show('- 1\n- 2\n', 'a.yaml');
show('x = 1\n', 'a.toml');
show('model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 32\nbatch_schedule: {kind: step}\ntuner: {memory_limit: 0, candidates: [8, 8]}\n', 'a.yaml');
