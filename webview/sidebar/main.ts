// Sidebar live view (a WebviewView) entry.
// Bundled by scripts/build.mjs to dist/webview/sidebar.js (ES module) and dist/webview/sidebar.css
// (this file's CSS imports: sidebar.css and codicons' CSS; codicon.ttf beside them).
// The host (src/vscode/liveView.ts) sends the same HostToPanel messages as to the panel; the
// sidebar posts 'ready', 'openPanel', 'stop', 'tuneActiveConfig' (src/core/webviewProtocol.ts).
import '@vscode/codicons/dist/codicon.css';
import './sidebar.css';
import { button, registerCodiconStylesheet, type ProgressBar } from '../shared/elements';
import { codicon, h, replaceChildren } from '../shared/dom';
import { parallelismText, studyStatusText, warmupPlan } from '../../src/core/headline';
import type { Recommendation } from '../../src/core/types';
import { formatCount, formatLearningRate, formatLoss, formatThroughput } from '../shared/format';
import { headlineElement, tag } from '../shared/tags';
import { connectToHost } from '../shared/vscodeApi';
import { bestSoFar, emptySummary, reduceSummary } from './studySummary';

registerCodiconStylesheet('sidebar.css');
const host = connectToHost<Record<string, never>>();
const summary = emptySummary();
let initialised = false;

const openButton = button('Open panel', 'graph', true, () => host.post({ type: 'openPanel' }), 'open-panel');
const tuneButton = button('Tune this config', 'play', false, () => host.post({ type: 'tuneActiveConfig' }), 'tune');
const stopButton = button('Stop', 'debug-stop', true, () => host.post({ type: 'stop' }), 'stop');
const progress = document.createElement('vscode-progress-bar') as ProgressBar;
progress.setAttribute('aria-label', 'Study progress');
progress.max = 1;
const body = h('div', { class: 'sidebar-body', role: 'status', 'aria-live': 'polite' });
const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
app.classList.add('sidebar');
app.append(h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Batch Tuner actions' }, tuneButton, openButton, stopButton), progress, body);

function row(label: string, value: string | Node, testId?: string): HTMLElement {
  return h('div', { class: 'row' }, h('span', { class: 'row-label' }, label), h('span', { class: 'row-value', 'data-testid': testId }, value));
}

function render(): void {
  const s = summary;
  stopButton.disabled = !s.running;
  tuneButton.disabled = !s.trusted || s.running;
  tuneButton.title = !s.trusted
    ? 'Disabled: the workspace is not trusted'
    : s.running
      ? 'A study is running'
      : 'Tune the batch size of the config in the active editor';
  progress.hidden = !s.running;
  if (s.progress !== undefined && Number.isFinite(s.progress)) {
    progress.indeterminate = false;
    progress.value = Math.min(1, Math.max(0, s.progress));
  } else progress.indeterminate = true;
  const { fastest, lowestLoss } = bestSoFar(s.trials.values());
  const rec = s.recommendation;
  const parts: (HTMLElement | null)[] = [
    !initialised ? h('div', { class: 'hint' }, 'Waiting for the extension…') : null,
    !s.trusted ? h('div', { class: 'notice notice-warning' }, codicon('shield'), h('span', {}, 'Untrusted workspace: studies are disabled.')) : null,
    s.error ? h('div', { class: 'error-banner', role: 'alert' }, codicon('error'), h('span', { class: 'error-text' }, s.error)) : null,
    s.configLabel ? row('Config', s.configLabel) : null,
    row(
      'State',
      s.running
        ? `${s.phase ?? 'starting'}${s.phaseMessage ? ` — ${s.phaseMessage}` : ''}${s.progress !== undefined && Number.isFinite(s.progress) ? ` (${Math.round(s.progress * 100)}%)` : ''}`
        : s.study && s.study.status !== 'running'
          ? studyStatusText(s.study.status).label
          : rec
            ? 'done'
            : 'idle',
      'state',
    ),
    s.study?.status === 'interrupted'
      ? h(
          'div',
          { class: 'notice notice-warning', 'data-testid': 'study-interrupted' },
          codicon('debug-disconnect'),
          h('span', {}, studyStatusText('interrupted').detail),
        )
      : null,
    s.current
      ? row(
          'Running',
          `${s.current.trialId} · B=${s.current.batchSize} · step ${s.current.step} · loss ${formatLoss(s.current.loss)} · ${formatThroughput(s.current.samplesPerSecond)}`,
          'running',
        )
      : null,
    row('Trials', `${s.trials.size} (${[...s.trials.values()].filter((t) => t.status !== 'ok').length} failed)`),
    fastest ? row('Fastest', `B=${fastest.batchSize} · ${formatThroughput(fastest.samplesPerSecond)}`) : null,
    lowestLoss ? row('Lowest loss', `B=${lowestLoss.batchSize} · ${formatLoss(lowestLoss.finalValLoss ?? lowestLoss.finalLoss)}`) : null,
    rec ? recommendationBlock(rec) : null,
    s.applied ? h('div', { class: 'hint' }, codicon('check'), ` Applied batch size ${s.applied.batchSize}`) : null,
  ];
  replaceChildren(body, parts);
}

/** The headline (the same words as the panel, CodeLens and the CLI), then the learning rate, noise scale, split and open questions. */
function recommendationBlock(rec: Recommendation): HTMLElement {
  const plan = warmupPlan(rec);
  const n = rec.noiseScale;
  const undetermined = rec.undetermined ?? [];
  return h(
    'div',
    { class: 'rec' },
    headlineElement(rec),
    plan ? h('div', { class: 'hint' }, 'best fixed size ', h('strong', { 'data-testid': 'rec-batch-size' }, String(rec.batchSize))) : null,
    h(
      'div',
      { class: 'hint' },
      `lr ${formatLearningRate(rec.learningRate)} · config has ${rec.current.batchSize}`,
      n ? h('span', {}, ` · B_noise ≈ ${formatCount(n.value)} `, tag(n.source === 'loss-curves' ? 'fitted' : 'measured')) : null,
    ),
    rec.parallelism ? h('div', { class: 'hint' }, parallelismText(rec.parallelism)) : null,
    undetermined.length > 0
      ? h(
          'div',
          { class: 'hint', title: undetermined.join('\n') },
          codicon('question'),
          ` ${undetermined.length} thing${undetermined.length === 1 ? '' : 's'} undetermined: ${undetermined[0]}`,
        )
      : null,
  );
}

host.onMessage((m) => {
  if (m.type === 'init') initialised = true;
  reduceSummary(summary, m);
  render();
});
render();
host.post({ type: 'ready' });
