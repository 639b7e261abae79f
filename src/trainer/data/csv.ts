// A numeric CSV file: one label column, the other columns are features (standardised).
import { readFileSync } from 'node:fs';
import type { ArrayDataset } from './dataset';
import { splitArrays, standardise } from './dataset';
import { createRng, permutation } from '../random';

export interface CsvOptions {
  file: string;
  label: string;
  task?: 'classification' | 'regression';
  header?: boolean;
  validationSplit?: number;
  seed?: number;
}

/** Splits one CSV line, honouring double-quoted fields ("a,b" and "" escapes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export function loadCsv(o: CsvOptions): ArrayDataset {
  const lines = readFileSync(o.file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const hasHeader = o.header ?? true;
  const head = hasHeader ? splitCsvLine(lines[0]) : splitCsvLine(lines[0]).map((_, i) => String(i));
  const rows = (hasHeader ? lines.slice(1) : lines).map(splitCsvLine);
  const labelCol = head.indexOf(o.label);
  if (labelCol < 0) throw new Error(`${o.file}:1:1: label column "${o.label}" not found (columns: ${head.join(', ')})`);
  if (rows.length < 2) throw new Error(`${o.file}: needs at least 2 data rows (has ${rows.length})`);
  const features = head.length - 1;
  const labels = rows.map((r) => r[labelCol]);
  const numericLabels = labels.every((v) => v !== '' && Number.isFinite(Number(v)));
  const task = o.task ?? (numericLabels && new Set(labels).size > 20 ? 'regression' : 'classification');
  const classes = task === 'classification' ? [...new Set(labels)].sort((a, b) => (numericLabels ? Number(a) - Number(b) : a.localeCompare(b))) : [];
  if (task === 'regression' && !numericLabels) throw new Error(`${o.file}: label column "${o.label}" has non-numeric values; use task: classification`);
  // Shuffle rows with the seed so a sorted file still gives a representative validation split.
  const order = permutation(rows.length, createRng(o.seed ?? 0));
  const x = new Float32Array(rows.length * features),
    y = new Float32Array(rows.length);
  order.forEach((r, i) => {
    const row = rows[r];
    if (row.length !== head.length) throw new Error(`${o.file}:${r + (hasHeader ? 2 : 1)}:1: expected ${head.length} columns, found ${row.length}`);
    let f = 0;
    for (let c = 0; c < row.length; c++) {
      if (c === labelCol) continue;
      const v = Number(row[c]);
      if (!Number.isFinite(v)) throw new Error(`${o.file}:${r + (hasHeader ? 2 : 1)}:${c + 1}: "${row[c]}" in column "${head[c]}" is not a number`);
      x[i * features + f++] = v;
    }
    y[i] = task === 'classification' ? classes.indexOf(row[labelCol]) : Number(row[labelCol]);
  });
  const split = splitArrays(x, y, features, o.validationSplit ?? 0.2);
  standardise(split.xTrain, split.xVal, features);
  return { task, features, outputs: task === 'classification' ? classes.length : 1, ...split };
}
