// Applies a chosen theme before the first paint (a file, not inline, so the page's CSP allows no inline script).
try {
  var t = JSON.parse(localStorage.getItem('openchat.prefs') || '{}').theme;
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
} catch (e) {}
