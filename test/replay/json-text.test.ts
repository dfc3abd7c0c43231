import test from 'ava';
import { jsonChunks, jsonText } from '../../analyze/tree/json-text.ts';
import { readGolden } from '../helpers/golden.ts';

test('identical to JSON.stringify(v, null, 2) for shallow values', (t) => {
  const values: unknown[] = [
    1,
    -0,
    NaN,
    Infinity,
    'é\n"\u2028',
    null,
    true,
    [],
    {},
    [undefined, () => 1, Symbol('s')],
    { a: undefined, b: [1, [2, [3, {}]]], c: { d: { e: 'x' } }, f: new Date(0) },
    JSON.parse(readGolden('analyze-tree-build.json')),
  ];
  for (const v of values) t.is(jsonText(v), JSON.stringify(v, null, 2));
});

test('a value nested 100,000 levels: no stack overflow, compact below prettyDepth, linear size, parses back', (t) => {
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100_000; i++) deep = { children: [deep] };
  const text = jsonText(deep, 4);
  t.true(text.length < 20 * 100_000, `${text.length} characters`);
  t.true(text.startsWith('{\n  "children": [\n    {\n      "children": [\n        {"children":[{"children":['));
  let back = JSON.parse(text) as { children: unknown[] } | string;
  let depth = 0;
  while (typeof back !== 'string') {
    back = back.children[0] as typeof back;
    depth++;
  }
  t.is(depth, 100_000);
  t.is(back, 'leaf');
});

test('chunks of bounded size that join to the whole text', (t) => {
  const v = Array.from({ length: 5000 }, (_, i) => ({ i, s: 'x'.repeat(50) }));
  const chunks = [...jsonChunks(v, 40, 4096)];
  t.true(chunks.length > 10);
  t.true(chunks.every((c) => c.length < 4096 + 200));
  t.is(chunks.join(''), JSON.stringify(v, null, 2));
});
