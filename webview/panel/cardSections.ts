// The parts of the recommendation card below its headline, as elements: what the pick rests on,
// what could not be determined, the parallelism, the plan over the run with its stages, the
// study's state, and the evidence. Text only (the DOM builder never parses HTML).
import { basisEntries, headlineParts, parallelismText, studyStatusText, warmupPlan } from '../../src/core/headline';
import type { BatchSizePlan, Recommendation } from '../../src/core/types';
import type { PanelStudyInfo } from '../../src/core/webviewProtocol';
import { codicon, h } from '../shared/dom';
import type { Button } from '../shared/elements';
import { formatLearningRate } from '../shared/format';
import { tag } from '../shared/tags';
import { evidenceLines, planComparison, planRows, timeToTargetLine, type EvidenceLine } from './evidence';

function line(l: EvidenceLine): HTMLElement {
  return h('li', {}, l.text, ...l.tags.flatMap((t) => [' ', tag(t)]));
}

/** "learning rate 0.002 · current 32 · predicted time to target 12 s (current 17 s) [fitted]" */
export function subLine(rec: Recommendation): HTMLElement {
  const plan = warmupPlan(rec);
  const ttt = timeToTargetLine(rec);
  return h(
    'div',
    { class: 'rec-sub' },
    // A warm-up plan's headline names its stages; the best fixed size (what Apply writes without the plan) is named here.
    plan ? h('span', {}, 'Best fixed size ', h('strong', { 'data-testid': 'rec-batch-size' }, String(rec.batchSize)), bandNote(rec), ' · ') : null,
    `learning rate ${formatLearningRate(rec.learningRate)} · the config has ${rec.current.batchSize}`,
    rec.batchSize === rec.current.batchSize ? ' (already the recommended size)' : '',
    ttt ? h('span', {}, ` · ${ttt.text} `, ...ttt.tags.map(tag)) : null,
  );
}

/** " (64–256 within 10%)" beside the best fixed size of a warm-up plan (its headline names the plan instead). */
function bandNote(rec: Recommendation): string {
  const b = rec.band as Recommendation['band'] | undefined;
  return b && b.low !== b.high ? ` (${b.low}–${b.high} within ${Math.round(b.tolerance * 100)}%${b.basis === 'assumed' ? ', assumed' : ''})` : '';
}

/** "Rests on: throughput [fitted] · noise scale [measured] · time to target [measured]" */
export function basisRow(rec: Recommendation): HTMLElement | null {
  const entries = basisEntries(rec.basis);
  if (entries.length === 0) return null;
  const out = h('div', { class: 'rec-basis', 'data-testid': 'rec-basis' }, h('span', { class: 'rec-label' }, 'Rests on'));
  entries.forEach((e, i) => out.append(h('span', { class: 'basis-entry' }, i > 0 ? '· ' : '', `${e.quantity} `, tag(e.basis))));
  return out;
}

export function undeterminedList(rec: Recommendation): HTMLElement | null {
  const items = rec.undetermined ?? [];
  if (items.length === 0) return null;
  return h(
    'div',
    { class: 'rec-undetermined', role: 'note', 'data-testid': 'rec-undetermined' },
    h('div', { class: 'rec-label' }, codicon('question'), ' Could not determine'),
    h('ul', {}, ...items.map((u) => h('li', {}, u))),
  );
}

export function parallelismRow(rec: Recommendation): HTMLElement | null {
  const p = rec.parallelism;
  if (!p) return null;
  return h(
    'div',
    { class: 'rec-parallelism', 'data-testid': 'rec-parallelism', title: p.reason ?? '' },
    codicon('server-process'),
    h('span', { class: 'rec-label' }, ' Split '),
    parallelismText(p),
    p.reason ? h('span', { class: 'hint' }, ` — ${p.reason}`) : null,
  );
}

/** The plan over the run: its stages, predicted steps and time against the best fixed size, and Apply for the built-in trainer. */
export function planSection(rec: Recommendation, applyPlan: Button | null): HTMLElement | null {
  const plan: BatchSizePlan | undefined = rec.plan;
  if (!plan) return null;
  const warm = warmupPlan(rec);
  const parts = headlineParts(rec);
  const title = warm
    ? h(
        'div',
        { class: 'rec-plan-title' },
        codicon('graph-line'),
        ` Plan over the run: ${plan.description}`,
        parts.speedup ? h('span', {}, ` · ${parts.speedup.text} `, tag(parts.speedup.basis)) : null,
      )
    : h(
        'div',
        { class: 'rec-plan-title' },
        codicon('graph-line'),
        ` Plan over the run: a fixed ${plan.stages[0]?.batchSize ?? rec.batchSize} `,
        tag(plan.basis),
        h('span', { class: 'hint' }, ` — ${plan.description}`),
      );
  const compare = planComparison(plan);
  const table = warm
    ? h(
        'table',
        { class: 'rec-plan-stages' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'Batch'), h('th', { scope: 'col' }, 'Learning rate'))),
        h(
          'tbody',
          {},
          ...planRows(plan).map((r) =>
            h('tr', {}, h('td', {}, r.from), h('td', { class: 'num' }, String(r.batchSize)), h('td', { class: 'num' }, r.learningRate)),
          ),
        ),
      )
    : null;
  const external =
    warm && !plan.schedule
      ? h('div', { class: 'hint' }, 'For your own script: change the batch size at these points (or let Batch Tuner drive it through the control file).')
      : null;
  return h(
    'div',
    { class: 'rec-plan', 'data-testid': 'rec-plan' },
    title,
    table,
    compare ? h('div', { class: 'hint' }, compare, ' ', tag(plan.basis)) : null,
    external,
    applyPlan,
  );
}

/** The study's state when it is not simply finished: running, stopped, failed, or interrupted (its process gone). */
export function studyRow(study: PanelStudyInfo | undefined): HTMLElement | null {
  if (!study || study.status === 'completed') return null;
  const s = studyStatusText(study.status);
  const warn = study.status === 'interrupted' || study.status === 'failed';
  return h(
    'div',
    { class: `rec-study${warn ? ' notice notice-warning' : ''}`, role: 'note', 'data-testid': 'study-status', title: s.detail },
    codicon(s.icon),
    h('span', {}, ` Study ${s.label}${study.reason ? `: ${study.reason}` : ''}. ${study.status === 'interrupted' ? s.detail : ''}`),
  );
}

export function evidenceDetails(rec: Recommendation): HTMLElement {
  return h('details', { class: 'rec-why' }, h('summary', {}, 'Evidence'), h('ul', {}, ...evidenceLines(rec).map(line)));
}
