import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrastRatio, parseColor, readableColor } from '../../webview/shared/color';

test('parseColor reads the forms VS Code theme variables use', () => {
  assert.deepEqual(parseColor('#d18616'), { r: 209, g: 134, b: 22, a: 1 });
  assert.deepEqual(parseColor('#fff'), { r: 255, g: 255, b: 255, a: 1 });
  assert.deepEqual(parseColor('#d1861680'), { r: 209, g: 134, b: 22, a: 128 / 255 });
  assert.deepEqual(parseColor('rgba(209, 134, 22, 0.5)'), { r: 209, g: 134, b: 22, a: 0.5 });
  assert.deepEqual(parseColor('rgb(1 2 3 / 50%)'), { r: 1, g: 2, b: 3, a: 0.5 });
  assert.equal(parseColor('var(--x)'), undefined);
});

test('contrastRatio matches the WCAG extremes', () => {
  assert.equal(Math.round(contrastRatio(parseColor('#000')!, parseColor('#fff')!)), 21);
  assert.equal(contrastRatio(parseColor('#777')!, parseColor('#777')!), 1);
});

test('readableColor drops transparency and reaches 3:1 on both light and dark backgrounds', () => {
  const translucent = '#d1861650';
  const onDark = readableColor(translucent, '#1f1f1f', '#cccccc');
  const onLight = readableColor(translucent, '#ffffff', '#3b3b3b');
  assert.match(onDark, /^#[0-9a-f]{6}$/);
  assert.ok(contrastRatio(parseColor(onDark)!, parseColor('#1f1f1f')!) >= 3);
  assert.ok(contrastRatio(parseColor(onLight)!, parseColor('#ffffff')!) >= 3);
  // A colour already readable keeps its hue exactly.
  assert.equal(readableColor('#3794ff', '#1f1f1f', '#cccccc'), '#3794ff');
  // Yellow on white is too faint: it is darkened towards the foreground.
  const yellow = readableColor('#ffe600', '#ffffff', '#3b3b3b');
  assert.notEqual(yellow, '#ffe600');
  assert.ok(contrastRatio(parseColor(yellow)!, parseColor('#ffffff')!) >= 3);
  // Unknown syntax is passed through for the browser to interpret.
  assert.equal(readableColor('color(display-p3 1 0 0)', '#fff', '#000'), 'color(display-p3 1 0 0)');
});
