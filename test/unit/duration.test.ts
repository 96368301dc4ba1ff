import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../src/apiserver/tables/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('seconds are exact below two minutes', () => {
  assert.equal(humanDuration(0), '0s');
  assert.equal(humanDuration(13 * s), '13s');
  assert.equal(humanDuration(119 * s + 999), '119s');
});

test('minutes keep their seconds below ten minutes, then drop them', () => {
  assert.equal(humanDuration(2 * m), '2m');
  assert.equal(humanDuration(8 * m + 55 * s), '8m55s');
  assert.equal(humanDuration(10 * m + 30 * s), '10m');
  assert.equal(humanDuration(179 * m + 59 * s), '179m');
});

test('hours keep their minutes below eight hours, then drop them', () => {
  assert.equal(humanDuration(3 * h), '3h');
  assert.equal(humanDuration(5 * h + 10 * m), '5h10m');
  assert.equal(humanDuration(8 * h + 10 * m), '8h');
  assert.equal(humanDuration(47 * h + 59 * m), '47h');
});

test('days keep their hours below eight days, then drop them', () => {
  assert.equal(humanDuration(2 * d), '2d');
  assert.equal(humanDuration(2 * d + 3 * h), '2d3h');
  assert.equal(humanDuration(8 * d + 3 * h), '8d');
  assert.equal(humanDuration(400 * d), '400d');
  assert.equal(humanDuration(729 * d), '729d');
});

test('years keep their days below eight years, then drop them', () => {
  assert.equal(humanDuration(730 * d), '2y');
  assert.equal(humanDuration(3 * 365 * d + 20 * d), '3y20d');
  assert.equal(humanDuration(8 * 365 * d + 20 * d), '8y');
});

test('a little clock skew reads as 0s, a clearly negative duration as <invalid>', () => {
  assert.equal(humanDuration(-500), '0s');
  assert.equal(humanDuration(-1999), '0s');
  assert.equal(humanDuration(-2000), '<invalid>');
  assert.equal(humanDuration(-3 * h), '<invalid>');
});
