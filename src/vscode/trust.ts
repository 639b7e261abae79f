// Workspace Trust: training runs code (model files, the user's scripts), so an untrusted
// workspace may look (CodeLens, diagnostics, stored studies) but never tune or train.
import * as vscode from 'vscode';

export interface TrustGate {
  allowed: boolean;
  /** Shown to the person when not allowed. */
  message?: string;
}

/**
 * Tests can simulate an untrusted window; undefined: the real state. Reachable only through the
 * test API, which activate() returns only in ExtensionMode.Test.
 */
let trustOverride: boolean | undefined;

export function setTrustOverride(trusted: boolean | undefined): void {
  trustOverride = trusted;
}

export function isWorkspaceTrusted(): boolean {
  return trustOverride ?? vscode.workspace.isTrusted;
}

export function trustGate(action: string, trusted = isWorkspaceTrusted()): TrustGate {
  if (trusted) return { allowed: true };
  return {
    allowed: false,
    message: `Batch Tuner cannot ${action} in an untrusted workspace: training runs code from the workspace (model files, training scripts). Trust this folder to tune or train; configs, CodeLens and stored studies stay available.`,
  };
}

/** Checks trust before running training; when refused, says why and offers to manage trust. */
export function ensureTrusted(action: string, log: vscode.LogOutputChannel): TrustGate {
  const gate = trustGate(action);
  if (!gate.allowed && gate.message) {
    log.warn(gate.message);
    void vscode.window.showWarningMessage(gate.message, 'Manage Workspace Trust').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  }
  return gate;
}
