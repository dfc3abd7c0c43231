// The Node CLI's entry. In a clone Node runs the TypeScript directly; an
// installed package runs the compiled JavaScript in dist/ (Node does not strip
// types under node_modules). The compile cache is on before the rest is loaded.
import { enableCompileCache } from './compile-cache.ts';

enableCompileCache();
await import('./cli.ts');
