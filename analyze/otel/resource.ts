// The OpenTelemetry resource of an export: who produced the spans (service)
// and where the capture ran (host, OS), from the capture header; plus
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME of the replaying process.

import type { CaptureHeader } from '../../formats/types.ts';
import type { Attributes } from './span.ts';

export const DEFAULT_SERVICE_NAME = 'ptrace';

export interface ParsedList {
  values: [string, string][];
  /** Why the whole value was discarded, or null. */
  error: string | null;
}

function percentDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * A `key1=value1,key2=value2` list as OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS use it (W3C Baggage without properties): pairs
 * separated by commas, whitespace around keys and values ignored, keys and
 * values percent-decoded. Per the specification, any error discards the
 * whole list. Empty members (`a=1,,b=2`) are skipped.
 */
export function parseKeyValueList(text: string): ParsedList {
  const values: [string, string][] = [];
  for (const member of text.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    if (eq < 0) return { values: [], error: `"${member.trim()}" is not key=value` };
    const rawKey = member.slice(0, eq).trim();
    const rawValue = member.slice(eq + 1).trim();
    const key = percentDecode(rawKey);
    const value = percentDecode(rawValue);
    if (key === null || value === null) return { values: [], error: `bad percent-encoding in "${member.trim()}"` };
    if (key === '') return { values: [], error: `empty key in "${member.trim()}"` };
    values.push([key, value]);
  }
  return { values, error: null };
}

/** uname machine → semantic-conventions host.arch value (raw machine name when there is no well-known value). */
export function hostArch(machine: string): string {
  switch (machine) {
    case 'x86_64':
      return 'amd64';
    case 'aarch64':
    case 'arm64':
      return 'arm64';
    case 'i386':
    case 'i486':
    case 'i586':
    case 'i686':
      return 'x86';
    case 'ppc64':
    case 'ppc64le':
      return 'ppc64';
    case 's390x':
      return 's390x';
    default:
      return machine.startsWith('armv') ? 'arm32' : machine;
  }
}

export interface ResourceOptions {
  /** --service-name. */
  serviceName?: string;
  /** The replaying process's environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). */
  env: NodeJS.ProcessEnv;
  /** Reports a discarded OTEL_RESOURCE_ATTRIBUTES. */
  warn: (message: string) => void;
  ptraceVersion: string;
}

/**
 * Resource attributes, in this order of precedence (later wins):
 * capture-derived (host.*, os.*), `service.name` = ptrace,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, --service-name.
 */
export function buildResource(header: CaptureHeader, o: ResourceOptions): Attributes {
  const attrs: Attributes = { 'service.name': DEFAULT_SERVICE_NAME };
  if (header.hostname) attrs['host.name'] = header.hostname;
  if (header.machine) attrs['host.arch'] = hostArch(header.machine);
  attrs['os.type'] = 'linux';
  if (header.kernelRelease) attrs['os.description'] = header.kernelRelease;
  if (header.osRelease) attrs['os.name'] = header.osRelease;
  attrs['telemetry.sdk.name'] = 'ptrace';
  attrs['telemetry.sdk.language'] = 'nodejs';
  attrs['telemetry.sdk.version'] = o.ptraceVersion;
  const fromEnv = o.env.OTEL_RESOURCE_ATTRIBUTES;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const parsed = parseKeyValueList(fromEnv);
    if (parsed.error !== null) o.warn(`OTEL_RESOURCE_ATTRIBUTES ignored: ${parsed.error}`);
    for (const [k, v] of parsed.values) attrs[k] = v;
  }
  const envService = o.env.OTEL_SERVICE_NAME?.trim();
  if (envService) attrs['service.name'] = envService;
  if (o.serviceName !== undefined && o.serviceName !== '') attrs['service.name'] = o.serviceName;
  return attrs;
}
