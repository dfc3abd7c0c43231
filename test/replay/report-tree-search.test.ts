// The report's tree search (analyze/report/page/tree-search.ts): matches keep the node
// lines above them, found from the `tree` prefixes; notes below a node are not ancestors.

import test from 'ava';
import { treeMatches } from '../../analyze/report/page/tree-search.ts';

const MAKE = [
  'make -j2 check  (19590, 71.3ms)',
  '├─ cc -O1 -c … -o … ×5  (total 90.7ms, max 25.9ms)',
  '│  ├─ cc1 -quiet … ×5  (total 64.7ms, max 20ms)',
  '│  └─ as --64 -o … ×5  (total 11.2ms, max 3.44ms)',
  '├─ cc -o prog main.o one.o  (19606, 14.2ms)',
  '│  └─ collect2 -plugin x  (19607, 12.8ms)',
  '│     └─ ld -plugin x  (19608, 11.4ms)',
  '└─ prog  (19609, 674µs)',
];

test('a deep match keeps its ancestors and nothing else', (t) => {
  t.deepEqual(treeMatches(MAKE, 'ld -plugin'), [0, 4, 5, 6]);
  t.deepEqual(treeMatches(MAKE, 'AS --64'), [0, 1, 3], 'case-insensitive');
  t.deepEqual(treeMatches(MAKE, 'prog'), [0, 4, 7]);
  t.deepEqual(treeMatches(MAKE, 'no such thing'), []);
});

test('a note line (failed exec) is kept with its node, and is never an ancestor', (t) => {
  const lines = [
    'bash -e pipeline.sh  (19613, 12.8ms, exit 1)',
    '├─ (fork of bash)  (19622, 200µs, exit 126)',
    '│    ✗ exec ./data.txt: EACCES',
    '│  └─ child  (1, 1ms)',
    '└─ tr a-z A-Z  (19625, 802µs)',
  ];
  t.deepEqual(treeMatches(lines, 'EACCES'), [0, 1, 2]);
  t.deepEqual(treeMatches(lines, 'child'), [0, 1, 3]);
  t.deepEqual(treeMatches(lines, 'tr a-z'), [0, 4]);
});

test('a root matches alone; 64 levels deep still finds the chain', (t) => {
  t.deepEqual(treeMatches(MAKE, 'make -j2'), [0]);
  const deep = ['root'];
  let prefix = '';
  for (let d = 1; d <= 64; d++) {
    deep.push(`${prefix}└─ level${d}`);
    prefix += '   ';
  }
  t.deepEqual(
    treeMatches(deep, 'level64'),
    Array.from({ length: 65 }, (_, i) => i),
  );
});
