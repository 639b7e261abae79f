// The webview side of the host channel: typed post, and the state VS Code keeps for a webview
// across hiding and reloads (getState/setState).
import { WEBVIEW_PROTOCOL_VERSION, type HostToPanel, type PanelToHost } from '../../src/core/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

// Distributive Omit, so each message keeps its own fields.
type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;
export type OutgoingMessage = WithoutVersion<PanelToHost>;

export interface HostChannel<S> {
  post(message: OutgoingMessage): void;
  getState(): Partial<S> | undefined;
  setState(state: S): void;
  onMessage(handler: (message: HostToPanel) => void): void;
}

/** acquireVsCodeApi may be called only once per webview. */
let api: VsCodeApi | undefined;

export function connectToHost<S>(): HostChannel<S> {
  api ??= acquireVsCodeApi();
  const vscode = api;
  return {
    post: (message) => vscode.postMessage({ v: WEBVIEW_PROTOCOL_VERSION, ...message }),
    getState: () => {
      // What this webview's own setState stored (VS Code keeps it as is): an object, or nothing yet.
      const s = vscode.getState();
      return typeof s === 'object' && s !== null ? s : undefined;
    },
    setState: (state) => vscode.setState(state),
    onMessage: (handler) =>
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const m = event.data;
        // Only messages of our protocol version; anything else (other extensions' probes) is ignored.
        if (
          typeof m === 'object' &&
          m !== null &&
          (m as { v?: unknown }).v === WEBVIEW_PROTOCOL_VERSION &&
          typeof (m as { type?: unknown }).type === 'string'
        ) {
          handler(m as HostToPanel);
        }
      }),
  };
}
