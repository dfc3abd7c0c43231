// The attributes the user asks for on every process span: --env NAME
// (process.environment_variable.NAME) and -a name=expression.

import type { ExecRow, ProcessRow } from '../../replay/model.ts';
import type { EnvResolver } from '../environ.ts';
import { type CompiledAttribute, evaluateAttribute, exprContext } from '../expr.ts';
import type { Attributes } from '../span.ts';

export type CustomAttributes = (attrs: Attributes, exec: ExecRow, argv: string[], p: ProcessRow, ppid: number) => void;

export function customAttributes(
  envs: EnvResolver,
  envNames: readonly string[],
  exprs: readonly CompiledAttribute[],
): CustomAttributes {
  return (attrs, exec, argv, p, ppid) => {
    if (envNames.length > 0) {
      const env = envs.get(exec.envId);
      for (const name of envNames) {
        const v = env.get(name);
        if (v !== undefined) attrs[`process.environment_variable.${name}`] = v;
      }
    }
    if (exprs.length > 0) {
      const ctx = exprContext({
        env: exprs.some((e) => e.usesEnv) ? envs.get(exec.envId) : new Map(),
        args: argv,
        exe: exec.exe,
        cwd: exec.cwd,
        pid: p.pid,
        ppid,
      });
      for (const e of exprs) {
        const v = evaluateAttribute(e, ctx);
        if (v !== undefined) attrs[e.name] = v;
      }
    }
  };
}
