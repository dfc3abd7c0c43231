// Run by scripts/build-package.sh after tsc: the report page linked once into
// dist/analyze/report/page.js (and its style beside it), since the installed
// package ships no TypeScript for analyze/report/html.ts to link at report time.
import { copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_SCRIPT, BUILT_STYLE, linkPage, PAGE_STYLE } from '../analyze/report/html.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist/analyze/report');
writeFileSync(join(out, BUILT_SCRIPT), await linkPage());
copyFileSync(PAGE_STYLE, join(out, BUILT_STYLE));
