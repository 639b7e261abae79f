import { readFileSync } from 'node:fs';
import { findBatchSizeSites } from './src/core/config';
for (const f of process.argv.slice(2)) {
  const t = readFileSync(f, 'utf8');
  console.log('==', f);
  for (const s of findBatchSizeSites(t, f)) {
    const b = s.batchSize, l = s.learningRate;
    console.log(`${b.line + 1}:${b.character + 1} ${b.path.join('.')} key=${JSON.stringify(t.substr(b.keyOffset, b.keyLength))} val=${JSON.stringify(t.substr(b.valueOffset, b.valueLength))} ${b.value}` + (l ? ` | lr ${l.path.join('.')} ${JSON.stringify(t.substr(l.valueOffset, l.valueLength))} ${l.value}` : ''));
  }
}
