// Tuner panel webview entry.
// Bundled by scripts/build.mjs to dist/webview/panel.js (ES module) and dist/webview/panel.css
// (this file's CSS imports: panel.css, uPlot's and codicons' CSS; codicon.ttf beside them).
// The host page (src/vscode/panel.ts) loads both with its CSP nonce; messages follow
// src/core/webviewProtocol.ts (HostToPanel in, PanelToHost out, every post carries v: 1).
// Library CSS first, so the panel's own rules (theme colours, compact legend) win ties.
import 'uplot/dist/uPlot.min.css';
import '@vscode/codicons/dist/codicon.css';
import './panel.css';
import { button, registerCodiconStylesheet } from '../shared/elements';
import type { HostToPanel, PanelInit, PanelSettings, PanelStudyInfo } from '../../src/core/webviewProtocol';
import { codicon, debounce, h } from '../shared/dom';
import { onThemeChange } from '../shared/theme';
import { connectToHost } from '../shared/vscodeApi';
import { ChartBoard } from './chartBoard';
import { SettingsControls } from './controls';
import { RecommendationCard } from './recommendationCard';
import { initialSettings, normalizeSettings, settingsEqual, type PersistedPanelState } from './state';
import { StatusBar } from './statusBar';
import { TrialList } from './trialList';

registerCodiconStylesheet('panel.css');
const host = connectToHost<PersistedPanelState>();
let saved: PersistedPanelState = { ...(host.getState() ?? {}) };
const persist = (patch: Partial<PersistedPanelState>) => {
  saved = { ...saved, ...patch };
  host.setState(saved);
};

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
app.classList.add('panel');

let init: PanelInit | undefined;
let controls: SettingsControls | undefined;
let running = false;
/** The study the card describes (its state: running, stopped, interrupted, ...). */
let study: PanelStudyInfo | undefined;

const postSettings = debounce((settings: PanelSettings) => host.post({ type: 'settingsChanged', settings }), 300);

const startButton = button(
  'Start study',
  'play',
  false,
  () => {
    if (!controls) return;
    postSettings.flush();
    status.clearError();
    host.post({ type: 'start', settings: controls.current });
  },
  'start',
);
const stopButton = button('Stop', 'debug-stop', true, () => host.post({ type: 'stop' }), 'stop');
const trainOnceButton = button(
  'Train once at this batch size',
  'debug-start',
  true,
  () => {
    if (!controls) return;
    const s = controls.current;
    status.clearError();
    host.post({ type: 'trainOnce', batchSize: s.batchSize, ...(s.schedule ? { schedule: s.schedule } : {}) });
  },
  'train-once',
);
const reportButton = button('Export report', 'export', true, () => host.post({ type: 'exportReport' }), 'export-report');
const configLink = h(
  'button',
  { type: 'button', class: 'link-button', title: 'Open the config file' },
  codicon('file-code'),
  h('span', { class: 'config-label' }, 'No config'),
);
configLink.addEventListener('click', () => host.post({ type: 'openConfig' }));
const trustNote = h(
  'div',
  { class: 'notice notice-warning', role: 'note', hidden: true },
  codicon('shield'),
  h(
    'span',
    {},
    'This workspace is not trusted: Batch Tuner will not run training code or edit files here. Trust the workspace (Manage Workspace Trust) to start a study.',
  ),
);
const emptyState = h(
  'div',
  { class: 'notice empty-state', hidden: true },
  codicon('beaker'),
  h(
    'span',
    {},
    "No study yet. Set the search range and budget, then Start study — short trials measure throughput, memory and the gradient noise scale, and a recommendation appears with its evidence. Or train once at the slider's batch size.",
  ),
);

const status = new StatusBar();
const charts = new ChartBoard((sentAt, drawnAt) => host.post({ type: 'drawn', sentAt, drawnAt }));
const trials = new TrialList();
const rec = new RecommendationCard(
  saved.applyLearningRate ?? true,
  (req) => host.post({ type: 'apply', ...req }),
  (checked) => persist({ applyLearningRate: checked }),
);
const controlsHost = h(
  'aside',
  { class: 'controls-pane', 'aria-label': 'Study settings' },
  h('div', { class: 'loading' }, document.createElement('vscode-progress-ring'), ' Waiting for the extension…'),
);

app.append(
  h(
    'header',
    { class: 'toolbar' },
    h('div', { class: 'title' }, h('h1', {}, 'Batch Tuner'), configLink),
    h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Study actions' }, startButton, stopButton, trainOnceButton, reportButton),
  ),
  status.element,
  trustNote,
  h('div', { class: 'layout' }, controlsHost, h('main', { class: 'results' }, emptyState, rec.element, charts.element, trials.element)),
);

function updateButtons(): void {
  const trusted = init?.trusted ?? false;
  const reason = !init ? 'Waiting for the extension' : !trusted ? 'Disabled: the workspace is not trusted' : running ? 'A study is running' : '';
  startButton.disabled = !init || !trusted || running;
  trainOnceButton.disabled = !init || !trusted || running;
  stopButton.disabled = !running;
  reportButton.disabled = trials.size === 0;
  startButton.title = reason || 'Run short trials and recommend a batch size';
  trainOnceButton.title = reason || "Train once at the slider's batch size (and schedule)";
  trustNote.hidden = !init || trusted;
  controls?.setDisabled(running);
  emptyState.hidden = !init || trials.size > 0 || !!rec.recommendation || running;
}

/** Saves the curves at most once a second while metrics stream in. */
let seriesSaveTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleSeriesSave(): void {
  seriesSaveTimer ??= setTimeout(() => {
    seriesSaveTimer = undefined;
    persist({ series: charts.snapshot() });
  }, 1000);
}

function onInit(i: PanelInit): void {
  const firstInit = init === undefined;
  const sameConfig = saved.configPath === i.configPath;
  if (firstInit && sameConfig && saved.series) charts.restore(saved.series);
  else if (!firstInit && init?.configPath !== i.configPath) charts.clearSeries();
  init = i;
  running = i.running;
  const settings = initialSettings(i, saved);
  persist({ configPath: i.configPath, settings, ...(sameConfig ? {} : { series: undefined, scheduleKind: undefined, scheduleValues: undefined }) });
  const label = configLink.querySelector('.config-label');
  if (label) label.textContent = i.configLabel ?? i.configPath ?? 'No config';
  if (!controls) {
    controls = new SettingsControls(i, settings, sameConfig ? { kind: saved.scheduleKind, values: saved.scheduleValues } : {}, {
      onSettings: (s) => {
        persist({ settings: s });
        postSettings(s);
      },
      onScheduleDraft: (kind, values) => persist({ scheduleKind: kind, scheduleValues: values }),
      onPickCheckpoints: () => host.post({ type: 'pickCheckpoints' }),
    });
    controlsHost.replaceChildren(controls.element);
  } else {
    controls.setBounds(i);
    controls.setProvenance(i);
    controls.show(settings);
    controls.schedule.show(settings.schedule);
  }
  // Saved settings the host does not know yet (the panel was reloaded): tell it.
  if (!settingsEqual(settings, normalizeSettings(i.settings, i))) postSettings(settings);
  trials.reset(i.trials);
  charts.setTrials(i.trials);
  study = i.study;
  rec.show(i.recommendation, study);
  rec.setTrusted(i.trusted);
  charts.setRecommendation(i.recommendation);
  if (running) status.setPhase('plan', 'running', NaN);
  else status.setIdle(i.recommendation ? 'Study finished' : 'Ready');
  updateButtons();
}

function onMessage(m: HostToPanel): void {
  switch (m.type) {
    case 'init':
      onInit(m.init);
      break;
    case 'metrics':
      charts.appendMetrics(m.batches, m.sentAt);
      scheduleSeriesSave();
      for (const b of m.batches) trials.markRunning(b.trialId, b.batchSize);
      updateButtons();
      break;
    case 'trial':
      trials.upsert(m.trial);
      charts.upsertTrial(m.trial);
      updateButtons();
      break;
    case 'phase':
      status.setPhase(m.phase, m.message, m.progress);
      break;
    case 'recommendation':
      rec.show(m.recommendation, study);
      rec.setTrusted(init?.trusted ?? false);
      charts.setRecommendation(m.recommendation);
      updateButtons();
      break;
    case 'running':
      running = m.running;
      if (!running) {
        trials.stopRunning();
        if (m.status) study = { status: m.status };
        if (m.status) rec.show(rec.recommendation, study);
        if (!rec.recommendation) status.setIdle('Stopped');
      } else {
        // A new session: its trials and curves replace the last one's (ids such as "profile-64"
        // repeat between studies); the last recommendation stays until the new one arrives.
        status.clearError();
        status.setPhase('plan', 'starting', NaN);
        study = undefined;
        trials.reset([]);
        charts.setTrials([]);
        charts.clearSeries();
        persist({ series: undefined });
      }
      updateButtons();
      break;
    case 'applied':
      rec.applied(m.batchSize, m.learningRate);
      break;
    case 'checkpointsPicked':
      controls?.branch.addPicked(m.paths);
      break;
    case 'error':
      status.showError(m.message);
      rec.applyFailed();
      break;
  }
}

host.onMessage(onMessage);
onThemeChange(() => charts.themeChanged());
updateButtons();
host.post({ type: 'ready' });
