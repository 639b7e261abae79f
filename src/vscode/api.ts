// What activate() returns: the activation time and whether something runs, for anyone; and, only
// when VS Code runs the extension's tests (ExtensionMode.Test), hooks the integration tests use to
// reach what no VS Code API exposes (the panel's HTML, a message "posted" by the webview, a
// simulated untrusted workspace, an answer typed into an input box). In a normal window `test`
// is absent, so no other extension can switch trust off or answer prompts.
import type * as vscode from 'vscode';
import type { PanelInit } from '../core/webviewProtocol';
import type { CommandPromptOverride } from './commandPrompt';
import type { MessageOutcome } from './messageRouter';
import type { SessionResult } from './studyService';

export interface BatchTunerTestApi {
  /** Simulates Workspace Trust (false: untrusted); undefined restores the real state. */
  setTrustOverride(trusted: boolean | undefined): void;
  /** Answers the training-command prompt (a user's config without a command) instead of the input box; undefined restores it. */
  setCommandPromptOverride(answer: CommandPromptOverride | undefined): void;
  /** The command the training-command prompt suggests for a config. */
  suggestTrainingCommand(configUri: vscode.Uri): Promise<string>;
  /** The tuner panel's current HTML, or undefined when it is closed. */
  panelHtml(): string | undefined;
  /** The config the panel is about. */
  panelConfig(): vscode.Uri | undefined;
  /** The PanelInit the panel gets on `ready` (for its current config). */
  panelInit(): Promise<PanelInit>;
  /** Feeds a message to the panel's handler as if the webview had posted it. */
  postFromPanel(message: unknown): Promise<MessageOutcome>;
  /** Metric messages posted to the panel so far: when, and how many steps each carried. */
  panelMetricsSent(): ReadonlyArray<{ sentAt: number; steps: number }>;
  /** Messages the webviews posted that were rejected so far. */
  rejectedPanelMessages(): number;
  /** The sidebar's top level: one entry per training config found in the workspace. */
  configTree(): Promise<Array<{ label: string; description?: string; contextValue?: string }>>;
  /** The last result of a study or training run started from anywhere. */
  lastResult(): SessionResult | undefined;
  /** The "Install batch-tuner into <interpreter>" offers shown so far (interpreter, script or trial, message). */
  installOffers(): ReadonlyArray<{ python: string; script?: string; trialId?: string; message: string }>;
}

export interface BatchTunerApi {
  /** Milliseconds activate() took (performance.now around it). */
  readonly activationMs: number;
  isStudyRunning(): boolean;
  /** Only in ExtensionMode.Test. */
  readonly test?: BatchTunerTestApi;
}
