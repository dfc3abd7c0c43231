// -a/--attribute name=EXPR: attributes computed per process span from a CEL
// expression (Common Expression Language, @marcbachmann/cel-js: a parser and
// tree-walking evaluator, no eval/Function, non-Turing-complete, with a type
// checker). Expressions are parsed and type-checked up front, so a typo is a
// one-line error before anything is written or sent.

import { Environment, EvaluationError } from '@marcbachmann/cel-js';
import { UserError } from '../../formats/errors.ts';
import type { AttributeValue } from './span.ts';

/** What an expression sees for one span. */
export interface ExprInput {
  /** Environment of the image (empty when the capture recorded none). */
  env: ReadonlyMap<string, string>;
  args: readonly string[];
  exe: string;
  cwd: string;
  pid: number;
  ppid: number;
}

/** The variables, as documented in docs/otel.md. */
export const EXPR_VARIABLES: readonly [string, string, string][] = [
  ['env', 'map<string, string>', 'environment of the image (empty when the capture has none)'],
  ['cmdline', 'string', 'arguments joined by single spaces'],
  ['args', 'list<string>', 'arguments, args[0] first'],
  ['exe', 'string', 'absolute path of the executable'],
  ['name', 'string', 'executable name (base name of exe)'],
  ['cwd', 'string', 'working directory'],
  ['pid', 'int', 'process id'],
  ['ppid', 'int', 'parent process id (0 when unknown)'],
];

let celEnv: Environment | null = null;

function environment(): Environment {
  if (celEnv === null) {
    let e = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: false });
    for (const [name, type] of EXPR_VARIABLES) e = e.registerVariable(name, type);
    celEnv = e;
  }
  return celEnv;
}

export interface CompiledAttribute {
  name: string;
  source: string;
  usesEnv: boolean;
  evaluate: (ctx: Record<string, unknown>) => unknown;
  /** Evaluation errors other than a missing key/index (those just mean "no value"), with the first message. */
  errors: number;
  firstError: string | null;
}

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

/** Parses `name=EXPR` and compiles EXPR; a bad one is a UserError naming the flag. */
export function compileAttribute(spec: string): CompiledAttribute {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UserError(`bad --attribute "${spec}": expected name=EXPR`);
  const name = spec.slice(0, eq).trim();
  const source = spec.slice(eq + 1);
  if (name === '') throw new UserError(`bad --attribute "${spec}": empty attribute name`);
  if (source.trim() === '') throw new UserError(`bad --attribute ${name}: empty expression`);
  const env = environment();
  let checked: ReturnType<Environment['check']>;
  try {
    checked = env.check(source);
  } catch (err) {
    throw new UserError(`bad --attribute ${name}: ${firstLine((err as Error).message)}`);
  }
  if (!checked.valid) {
    throw new UserError(`bad --attribute ${name}: ${firstLine(checked.error?.message ?? 'invalid expression')}`);
  }
  const parsed = env.parse(source);
  return {
    name,
    source,
    usesEnv: /\benv\b/.test(source),
    evaluate: (ctx) => parsed(ctx),
    errors: 0,
    firstError: null,
  };
}

/** The evaluation context of one span. */
export function exprContext(i: ExprInput): Record<string, unknown> {
  const slash = i.exe.lastIndexOf('/');
  return {
    env: i.env,
    cmdline: i.args.join(' '),
    args: i.args,
    exe: i.exe,
    name: slash < 0 ? i.exe : i.exe.slice(slash + 1),
    cwd: i.cwd,
    pid: BigInt(i.pid),
    ppid: BigInt(i.ppid),
  };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A scalar CEL value as an attribute value; undefined when it has none. */
function scalar(v: unknown): string | number | boolean | undefined {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // OTLP has no NaN/Infinity in JSON ints and the JSON encoder would turn them into null: keep them readable.
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
    default:
      break;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'object' && typeof (v as { valueOf(): unknown }).valueOf === 'function') {
    const p = (v as { valueOf(): unknown }).valueOf();
    if (typeof p === 'bigint') return scalar(p); // uint
  }
  return String(v);
}

/**
 * A CEL result as an attribute value: scalars as they are (ints as numbers,
 * or decimal strings beyond 2^53), lists as arrays (as strings when the
 * element types are mixed), maps and other values as JSON text; null and
 * optional.none() as no attribute.
 */
export function toAttributeValue(v: unknown): AttributeValue | undefined {
  if (Array.isArray(v)) {
    const items = v.map(scalar).filter((x) => x !== undefined);
    const types = new Set(items.map((x) => typeof x));
    if (types.size <= 1) return items as string[] | number[] | boolean[];
    return items.map((x) => String(x));
  }
  if (v instanceof Map) return JSON.stringify(Object.fromEntries([...v].map(([k, x]) => [String(k), jsonable(x)])));
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const ctor = (v as object).constructor?.name;
    if (ctor === 'Optional') {
      const o = v as { hasValue(): boolean; value(): unknown };
      return o.hasValue() ? toAttributeValue(o.value()) : undefined;
    }
    if (ctor === 'Object' || ctor === undefined) return JSON.stringify(jsonable(v));
  }
  return scalar(v);
}

function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return scalar(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonable(x)]));
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  }
  return scalar(v) ?? null;
}

/** Evaluates one attribute for one span: its value, or undefined (missing key or index, null, or an evaluation error, counted). */
export function evaluateAttribute(a: CompiledAttribute, ctx: Record<string, unknown>): AttributeValue | undefined {
  let v: unknown;
  try {
    v = a.evaluate(ctx);
  } catch (err) {
    const msg = firstLine((err as Error).message ?? String(err));
    if (err instanceof EvaluationError && /^No such key\b/.test(msg)) return undefined;
    a.errors++;
    if (a.firstError === null) a.firstError = msg;
    return undefined;
  }
  return toAttributeValue(v);
}
