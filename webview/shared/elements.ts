// The @vscode-elements components the webviews use (each import registers one custom element),
// imported one by one so the bundle carries only these.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';

/**
 * <vscode-icon> (and the icons inside <vscode-button>) render codicons in their shadow DOM from
 * a stylesheet <link> the page must mark with id="vscode-codicon-stylesheet". Our bundled CSS
 * (panel.css / sidebar.css) contains codicon.css, so mark the host's <link> to it.
 */
export function registerCodiconStylesheet(bundleCss: string): void {
  if (document.getElementById('vscode-codicon-stylesheet')) return;
  const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')];
  const link = links.find((l) => l.href.split(/[?#]/)[0].endsWith(bundleCss)) ?? links[0];
  if (link) link.id = 'vscode-codicon-stylesheet';
}

// The parts of the components' interfaces the webviews use (one place for these views).
export type Button = HTMLElement & { disabled: boolean };
export type Checkbox = HTMLElement & { checked: boolean; disabled: boolean };
export type SelectElement = HTMLElement & { value: string; disabled: boolean };
export type TextField = HTMLElement & { value: string; invalid: boolean; disabled: boolean; placeholder: string | undefined };
export type ProgressBar = HTMLElement & { value?: number; max: number; indeterminate: boolean };

/** A `vscode-button` with a codicon; clicks are ignored while it is disabled. */
export function button(label: string, icon: string, secondary: boolean, onClick: () => void, testId: string): Button {
  const b = document.createElement('vscode-button') as Button;
  b.setAttribute('icon', icon);
  if (secondary) b.setAttribute('secondary', '');
  b.dataset.testid = testId;
  b.textContent = label;
  b.addEventListener('click', () => {
    if (!b.disabled) onClick();
  });
  return b;
}
