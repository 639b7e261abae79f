// The report's recommendation: the shared headline, what it rests on (every quantity tagged
// measured / fitted / assumed), what could not be determined, the one verdict rule with the
// measured and predicted evidence side by side, and the alternatives.
import type { Recommendation } from '../types';
import { escaped, type SafeHtml } from './escape';
import { formatNumber, formatSeconds } from './format';
import { assumedQuantities, formatSpeedupFactor } from '../headline';
import { basisTag, factTable, headlineMarkup, table } from './markup';
import { bandText, convergenceText, learningRateText, memoryText, noiseScaleText, speedupText, throughputText, verdictText } from './recommendationText';

/** Sub-heading of a predicted column: fitted, unless B_noise behind it was assumed. */
export function predictedLabel(rec: Recommendation): string {
  return rec.basis?.noiseScale === 'assumed' ? 'predicted with an assumed B_noise' : 'predicted by the fitted model';
}

const QUANTITIES = [
  ['throughput', 'Throughput'],
  ['noiseScale', 'Gradient noise scale'],
  ['convergence', 'Time to target'],
] as const;

function basisList(rec: Recommendation): SafeHtml {
  const b = rec.basis as Recommendation['basis'] | undefined; // absent in studies from before issue 10
  const texts: Record<(typeof QUANTITIES)[number][0], string> = {
    throughput: throughputText(rec),
    noiseScale: noiseScaleText(rec),
    convergence: convergenceText(rec),
  };
  return escaped`<ul class="rests-on">${QUANTITIES.map(([k, name]) => escaped`<li>${basisTag(b?.[k])} <strong>${name}</strong>: ${texts[k]}</li>`)}</ul>`;
}

function undeterminedList(rec: Recommendation): SafeHtml | string {
  const u = rec.undetermined ?? [];
  if (u.length === 0) return '';
  return escaped`<div class="banner" data-testid="undetermined"><strong>Could not be determined</strong><ul>${u.map((x) => escaped`<li>${x}</li>`)}</ul></div>`;
}

export function recommendationCard(rec: Recommendation): SafeHtml {
  const assumed = assumedQuantities(rec);
  const memory = memoryText(rec);
  return escaped`<div class="card">${headlineMarkup(rec)}
<div>The pick: batch size ${rec.batchSize}, ${learningRateText(rec)}.</div>
<div>${speedupText(rec)}</div>
${assumed.length > 0 ? escaped`<div class="banner">This pick rests on an assumption (${assumed.join(', ')}): it is a starting point, not a measurement, and no speed-up is given.</div>` : ''}
<h3>What it rests on</h3>${basisList(rec)}
<div>${bandText(rec)}</div>
<div>${verdictText(rec)}</div>
${memory ? escaped`<div>${memory}</div>` : ''}
${undeterminedList(rec)}</div>`;
}

/** Measured against predicted, for the quantities the verdict weighs. */
function evidenceTable(rec: Recommendation): SafeHtml {
  const e = rec.evidence;
  const assumed = assumedQuantities(rec).length > 0;
  const speed = (x: number | undefined) => (x === undefined ? '–' : assumed ? 'not given (assumption)' : formatSpeedupFactor(x));
  const pick = rec.candidates?.find((c) => c.batchSize === rec.batchSize);
  const steps = pick?.measuredStepsToTarget;
  const x = pick?.fittedSamplesPerSecond;
  // What the verdict compares: the steps the runs took, timed by the fitted t(B) = B / X(B); the wall clock beside it.
  const timed =
    steps !== undefined && x !== undefined && x > 0 ? `${formatSeconds((steps * rec.batchSize) / x)} (${formatNumber(steps)} steps x fitted t(B))` : '';
  const wall = pick?.measuredTimeToTarget !== undefined ? `wall clock ${formatSeconds(pick.measuredTimeToTarget)}` : '';
  const rows: Array<[string, string, string]> = [
    ['pick', e.verdict?.measuredPick !== undefined ? String(e.verdict.measuredPick) : '–', e.goodputPick !== undefined ? String(e.goodputPick) : '–'],
    [`speed-up vs the current ${rec.current.batchSize}`, speed(e.measuredSpeedupVsCurrent), speed(e.predictedSpeedupVsCurrent)],
    [`time to target at ${rec.batchSize}`, [timed, wall].filter(Boolean).join('; ') || '–', formatSeconds(rec.predictedTimeToTarget)],
  ];
  return table(
    [
      { head: '', text: true },
      { head: 'measured', sub: 'convergence runs' },
      { head: 'predicted', sub: rec.basis?.noiseScale === 'assumed' ? 'model, assumed B_noise' : 'fitted model' },
    ],
    rows.map((cells) => ({ cells })),
    true,
  );
}

export function decisionSection(rec: Recommendation): SafeHtml {
  const e = rec.evidence;
  const facts: Array<readonly [string, string]> = [
    ['learning-rate rule', String(e.lrRule)],
    ...(e.targetLoss !== undefined
      ? [
          [
            'target loss',
            `${formatNumber(e.targetLoss, 4)} (${e.lossSource === 'training' ? 'smoothed training loss: no validation loss reported' : 'validation loss'}; measured)`,
          ] as const,
        ]
      : []),
    ...(e.minSteps !== undefined
      ? [['S_min', `${formatNumber(e.minSteps)} steps (fitted: the reference run's steps to the target scaled by S(B) = S_min (1 + B_noise/B))`] as const]
      : []),
    ...(e.startupSeconds !== undefined ? [['trial start-up', `${formatSeconds(e.startupSeconds)} per trial (measured)`] as const] : []),
  ];
  return escaped`<h2>How it was decided</h2>
<p><strong>${e.verdict?.by === 'measurement' ? 'The measurement decided.' : 'The model decided.'}</strong> Rule: ${e.verdict?.rule ?? 'not recorded (a study from before issue 10)'}</p>
${evidenceTable(rec)}
${factTable(facts)}
${(e.notes ?? []).length > 0 ? escaped`<ul>${e.notes.map((n) => escaped`<li>${n}</li>`)}</ul>` : ''}
<p class="muted">Time to a target loss T(B) = S_min (B + B_noise) / X(B) (McCandlish et al. 2018, “An Empirical Model of Large-Batch Training”, eq. 2.11), with X(B) from the step-time model fitted to interleaved profile windows. See docs/recommendation.md.</p>`;
}

export function alternativesSection(rec: Recommendation): SafeHtml {
  const alt = rec.alternatives ?? {};
  const list = [
    ['Current', { ...rec.current, reason: 'the config as it is' }],
    ['Largest that fits', alt.largestThatFits],
    ['Highest throughput', alt.maxThroughput],
    ['Most sample-efficient', alt.mostSampleEfficient],
  ] as const;
  const rows = list
    .filter(([, c]) => c !== undefined)
    .map(([name, c]) => ({ cells: [name, c?.batchSize, formatNumber(c?.learningRate, 4), formatSeconds(c?.predictedTimeToTarget), c?.reason] }));
  return escaped`<h2>Alternatives</h2>${table(
    [
      { head: '', text: true },
      { head: 'batch size' },
      { head: 'learning rate' },
      { head: 'time to target', sub: predictedLabel(rec) },
      { head: 'why', text: true },
    ],
    rows,
  )}`;
}
