// The test API (see ./api.ts): built by activate() only when context.extensionMode is
// ExtensionMode.Test. It is the only way to the trust and command-prompt overrides.
import type { BatchTunerTestApi } from './api';
import { setCommandPromptOverride, suggestTrainingCommand } from './commandPrompt';
import type { Ctx } from './ctx';
import { installOffersMade } from './pythonPackage';
import type { ConfigTreeProvider } from './sidebarTree';
import type { SessionResult } from './studyService';
import { setTrustOverride } from './trust';

export function createTestApi(ctx: Ctx, tree: ConfigTreeProvider): BatchTunerTestApi {
  let lastResult: SessionResult | undefined;
  ctx.push(ctx.studies.onDidEvent((e) => e.type === 'ended' && (lastResult = e.result)));
  return {
    setTrustOverride,
    setCommandPromptOverride,
    suggestTrainingCommand,
    panelHtml: () => ctx.panels.current?.webview.html,
    panelConfig: () => ctx.panels.config,
    panelInit: async () => (await ctx.panels.buildInit()).init,
    postFromPanel: (message) => ctx.router.receive(ctx.panels, message),
    rejectedPanelMessages: () => ctx.router.rejected,
    panelMetricsSent: () => ctx.panels.metricsSent,
    lastResult: () => lastResult,
    configTree: () => tree.snapshot(),
    installOffers: () => installOffersMade(),
  };
}
