// Applies the theme named in the page's ?theme= (dark by default) before the bundle runs.
window.__setTheme(new URLSearchParams(location.search).get('theme') || 'dark');
