// VS Code theme variables for the headless harness (values from Dark Modern / Light Modern and
// Dark High Contrast), set on <html> the way VS Code does for a webview.
window.__themes = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      'font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
      'font-size': '13px', 'font-weight': 'normal',
      foreground: '#cccccc', descriptionForeground: '#9d9d9d', errorForeground: '#f85149', 'icon-foreground': '#cccccc',
      'editor-background': '#1f1f1f', 'editorWidget-background': '#202020', 'sideBar-background': '#181818',
      'panel-border': '#2b2b2b', 'widget-border': '#313131', focusBorder: '#0078d4', contrastBorder: '',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1', 'button-border': '#ffffff12',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c', 'button-separator': '#ffffff66',
      'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898',
      'settings-textInputBackground': '#313131', 'settings-textInputBorder': '#3c3c3c', 'settings-textInputForeground': '#cccccc',
      'settings-dropdownBackground': '#313131', 'settings-dropdownBorder': '#3c3c3c', 'settings-dropdownForeground': '#cccccc', 'settings-dropdownListBorder': '#454545',
      'settings-checkboxBackground': '#313131', 'settings-checkboxBorder': '#3c3c3c', 'settings-checkboxForeground': '#cccccc',
      'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c', 'checkbox-foreground': '#cccccc',
      'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'list-hoverBackground': '#2a2d2e', 'list-focusOutline': '#0078d4', 'list-highlightForeground': '#2aaaff',
      'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'activityBarBadge-background': '#0078d4', 'activityBarBadge-foreground': '#ffffff',
      'progressBar-background': '#0078d4', 'textLink-foreground': '#4daafc', 'textLink-activeForeground': '#4daafc',
      'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100', 'inputValidation-warningBackground': '#352a05', 'inputValidation-warningBorder': '#b89500',
      'editorWarning-foreground': '#cca700', 'textBlockQuote-background': '#2b2b2b', 'toolbar-hoverBackground': '#5a5d5e50', 'scrollbarSlider-background': '#79797966',
      'editor-selectionBackground': '#264f78', 'widget-shadow': '#0000005c', 'testing-iconPassed': '#73c991',
      'charts-foreground': '#cccccc', 'charts-lines': '#cccccc80', 'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700',
      'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      'font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
      'font-size': '13px', 'font-weight': 'normal',
      foreground: '#3b3b3b', descriptionForeground: '#717171', errorForeground: '#f85149', 'icon-foreground': '#3b3b3b',
      'editor-background': '#ffffff', 'editorWidget-background': '#f8f8f8', 'sideBar-background': '#f8f8f8',
      'panel-border': '#e5e5e5', 'widget-border': '#e5e5e5', focusBorder: '#005fb8', contrastBorder: '',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8', 'button-border': '#0000001a',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc', 'button-separator': '#ffffff66',
      'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece', 'input-placeholderForeground': '#767676',
      'settings-textInputBackground': '#ffffff', 'settings-textInputBorder': '#cecece', 'settings-textInputForeground': '#3b3b3b',
      'settings-dropdownBackground': '#ffffff', 'settings-dropdownBorder': '#cecece', 'settings-dropdownForeground': '#3b3b3b', 'settings-dropdownListBorder': '#c8c8c8',
      'settings-checkboxBackground': '#f8f8f8', 'settings-checkboxBorder': '#cecece', 'settings-checkboxForeground': '#3b3b3b',
      'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece', 'checkbox-foreground': '#3b3b3b',
      'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000', 'list-hoverBackground': '#f2f2f2', 'list-focusOutline': '#005fb8', 'list-highlightForeground': '#0066bf',
      'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'activityBarBadge-background': '#005fb8', 'activityBarBadge-foreground': '#ffffff',
      'progressBar-background': '#005fb8', 'textLink-foreground': '#005fb8', 'textLink-activeForeground': '#005fb8',
      'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100', 'inputValidation-warningBackground': '#f6f5d2', 'inputValidation-warningBorder': '#b89500',
      'editorWarning-foreground': '#bf8803', 'textBlockQuote-background': '#f8f8f8', 'toolbar-hoverBackground': '#b8b8b850', 'scrollbarSlider-background': '#64646466',
      'editor-selectionBackground': '#add6ff', 'widget-shadow': '#00000029', 'testing-iconPassed': '#388a34',
      'charts-foreground': '#616161', 'charts-lines': '#61616180', 'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803',
      'charts-orange': '#d18616', 'charts-green': '#388a34', 'charts-purple': '#652d90',
    },
  },
};

window.__setTheme = (name) => {
  const theme = window.__themes[name];
  const style = document.documentElement.style;
  for (const [k, v] of Object.entries(theme.vars)) style.setProperty(`--vscode-${k}`, v);
  document.body.className = theme.bodyClass;
  document.body.dataset.vscodeThemeKind = theme.bodyClass;
};
