// The report as one self-contained HTML file: the page's code (page/*.ts, types
// stripped by Node, each module in its own scope) and style inlined, the data as a
// JSON script that no capture string can close, and a Content-Security-Policy that
// forbids every fetch (nothing leaves the machine, even through a bug).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportData } from './page/schema.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = join(HERE, 'page');
export const PAGE_STYLE = join(PAGE_DIR, 'style.css');
/** The installed package has no TypeScript: scripts/build-report-page.ts links the page at build time, next to this module's JS. */
export const BUILT_SCRIPT = 'page.js';
export const BUILT_STYLE = 'page.css';

/** The page's modules, each after the ones it imports. */
const PAGE_MODULES = ['schema', 'format', 'model', 'timeline', 'sections', 'tree-search', 'main'] as const;

/** TypeScript → JavaScript: Node's own type stripper (erasable syntax only, as tsconfig enforces). */
async function stripTypes(source: string, file: string): Promise<string> {
  const { stripTypeScriptTypes } = await import('node:module');
  // Still flagged experimental in Node 24: keep its one-time warning off the command's stderr.
  const emit = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    const text = typeof w === 'string' ? w : w.message;
    if (!text.includes('stripTypeScriptTypes')) (emit as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip', sourceUrl: file });
  } finally {
    process.emitWarning = emit;
  }
}

/** The variable holding a page module's exports (`tree-search` → `module_tree_search`). */
const moduleVar = (name: string): string => `module_${name.replace(/\W/g, '_')}`;

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'\.\/([\w-]+)\.ts';?$/gm;
const EXPORT = /^export\s+((?:async\s+)?function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm;

/** The page's script: as built for the package, else linked from the sources. */
export async function pageScript(): Promise<string> {
  const built = join(HERE, BUILT_SCRIPT);
  return existsSync(built) ? readFileSync(built, 'utf8') : linkPage();
}

function pageStyle(): string {
  const built = join(HERE, BUILT_STYLE);
  return readFileSync(existsSync(built) ? built : PAGE_STYLE, 'utf8');
}

/**
 * Links the page modules into one script: every module runs in its own function
 * scope and returns its exports; imports become destructurings of those.
 * Only named imports of sibling modules are allowed (anything else throws here).
 */
export async function linkPage(): Promise<string> {
  const parts: string[] = ["'use strict';"];
  for (const name of PAGE_MODULES) {
    const file = join(PAGE_DIR, `${name}.ts`);
    let js = await stripTypes(readFileSync(file, 'utf8'), file);
    js = js.replace(IMPORT, (_all, names: string, from: string) => {
      if (!(PAGE_MODULES as readonly string[]).includes(from))
        throw new Error(`page/${name}.ts imports ./${from}.ts, not a page module`);
      const bindings = names
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => s.replace(/^(\w+)\s+as\s+(\w+)$/, '$1: $2'));
      return bindings.length === 0 ? '' : `const { ${bindings.join(', ')} } = ${moduleVar(from)};`;
    });
    if (/^\s*(import|export)\s+(?!\s*\{\s*\}\s*;?)/m.test(js.replace(EXPORT, ''))) {
      throw new Error(`page/${name}.ts: only named imports of page modules and exported declarations are supported`);
    }
    const exported: string[] = [];
    js = js.replace(EXPORT, (_all, kind: string, id: string) => {
      exported.push(id);
      return `${kind} ${id}`;
    });
    js = js.replace(/^export\s*\{\s*\}\s*;?$/gm, '');
    parts.push(`const ${moduleVar(name)} = (() => {\n${js}\nreturn { ${exported.join(', ')} };\n})();`);
  }
  const script = parts.join('\n');
  if (/<\/script/i.test(script) || script.includes('<!--'))
    throw new Error('page code must not contain </script or <!--');
  return script;
}

/** JSON that cannot end the <script> element it sits in (every `<` escaped; JSON.parse reads it back). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function reportHtml(data: ReportData): Promise<string> {
  const script = await pageScript();
  const style = pageStyle();
  const hash = createHash('sha256').update(script).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = `ptrace report: ${data.header.command.join(' ').slice(0, 200)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
${style}
</style>
</head>
<body>
<main id="report"></main>
<noscript>This report needs JavaScript: its data is in the script element below.</noscript>
<script type="application/json" id="ptrace-data">${scriptJson(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
