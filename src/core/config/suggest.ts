// "Did you mean ...?" for misspelt keys and enum values.

/** Levenshtein edit distance (Wagner & Fischer 1974), O(|a|*|b|) with one row. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The closest candidate within a third of the word's length (at least 2 edits), else undefined. */
export function closestKey(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase().replace(/-/g, '_')) - (c.toLowerCase().startsWith(w) || w.startsWith(c.toLowerCase()) ? 0.5 : 0);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}
