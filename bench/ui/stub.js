// Stands in for the VS Code webview host: acquireVsCodeApi records what the panel posts and
// keeps its state; the harness delivers host messages with window.postMessage.
window.__posted = [];
window.__state = JSON.parse(sessionStorage.getItem('__state') || 'null');
window.acquireVsCodeApi = () => ({
  postMessage: (m) => {
    window.__posted.push(m);
    if (window.__onPost) window.__onPost(m);
  },
  getState: () => window.__state,
  setState: (s) => {
    window.__state = s;
    sessionStorage.setItem('__state', JSON.stringify(s));
  },
});
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
