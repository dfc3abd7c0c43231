import { Args, Flags } from '@oclif/core';
import { DEFAULT_BATCH_SIZE } from '../../analyze/otel/config.ts';
import { runOtel, stdoutWasBroken } from '../../analyze/otel/run.ts';
import { PtraceCommand } from '../base.ts';
import { redactFlags, redactorFor } from '../redaction.ts';

export default class Otel extends PtraceCommand {
  static override summary = 'Export a capture as an OpenTelemetry trace: OTLP/JSON file, or upload over OTLP/HTTP.';
  static override description =
    `One trace per capture: a root span for the capture, one span per exec'd image nested under the image that forked it, failed execs as span events (docs/otel.md). Ids are derived from the capture, so the same raw file always gives the same trace; a TRACEPARENT in the traced command's or the capture's environment makes the root span its child.

Environment values are never exported unless --env names them. Secrets (in command lines, the --env values, paths, names; what -a expressions see) are replaced by ‹redacted:RULE:h› markers unless --no-redact (docs/secrets.md). Honours OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_COMPRESSION, OTEL_EXPORTER_OTLP_TIMEOUT (and their _TRACES_ forms), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; flags win.`;
  static override examples = [
    '<%= config.bin %> otel build.raw --dump-otel build.otlp.json',
    '<%= config.bin %> otel build.raw --endpoint http://localhost:4318',
    `<%= config.bin %> otel build.raw --endpoint https://otlp.example.com --header "authorization=Bearer $TOKEN" --compression gzip -a ci.job='env[?"CI_JOB_ID"].orValue("")'`,
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    'dump-otel': Flags.string({ description: 'write the trace as OTLP/JSON to FILE, or - (or nothing) for stdout' }),
    force: Flags.boolean({ char: 'f', description: 'replace the --dump-otel file if it exists' }),
    endpoint: Flags.string({ description: 'OTLP/HTTP endpoint; /v1/traces is appended when the URL has no path' }),
    protocol: Flags.string({
      description: 'OTLP/HTTP encoding (default http/protobuf)',
      options: ['http/protobuf', 'http/json'],
    }),
    header: Flags.string({ description: 'extra request header name=value (repeatable)', multiple: true }),
    compression: Flags.string({ description: 'request body compression (default none)', options: ['gzip', 'none'] }),
    timeout: Flags.string({ description: 'per-request timeout, e.g. 10s, 500ms (bare number: ms; default 10s)' }),
    deadline: Flags.string({ description: 'give up the whole upload after this long, retries included (default 2m)' }),
    'batch-size': Flags.integer({ description: `spans per request (default ${DEFAULT_BATCH_SIZE})`, min: 1 }),
    'service-name': Flags.string({
      description: 'service.name of the resource (default ptrace, or OTEL_SERVICE_NAME)',
    }),
    'trace-id': Flags.string({
      description: 'trace id to use (32 hex digits) instead of the derived or inherited one',
    }),
    attribute: Flags.string({
      char: 'a',
      description:
        'add an attribute to every process span: name=CEL expression over env, cmdline, args, exe, name, cwd, pid, ppid (repeatable)',
      multiple: true,
    }),
    env: Flags.string({
      description:
        'export these environment variables as process.environment_variable.NAME (comma-separated, repeatable)',
      multiple: true,
    }),
    quiet: Flags.boolean({ char: 'q', description: 'no summary line' }),
    ...redactFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Otel, bareDumpMeansStdout(this.argv));
    await runOtel({
      file: args.file,
      dump: flags['dump-otel'],
      force: flags.force,
      endpoint: flags.endpoint,
      protocol: flags.protocol,
      headers: flags.header,
      compression: flags.compression,
      timeout: flags.timeout,
      deadline: flags.deadline,
      batchSize: flags['batch-size'],
      serviceName: flags['service-name'],
      traceId: flags['trace-id'],
      attributes: flags.attribute,
      env: flags.env,
      quiet: flags.quiet,
      version: this.config.version,
      environ: process.env,
      redact: redactorFor(flags.redact, flags.rules, 'keyed'),
    });
    // The reader of --dump-otel - went away (`| head`): done, and stdout can no longer be flushed.
    if (stdoutWasBroken()) process.exit(0);
  }
}

/** `--dump-otel` with no value (last, or followed by another option or `--`) means stdout. */
export function bareDumpMeansStdout(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--') break;
    if (out[i] !== '--dump-otel') continue;
    const next = out[i + 1];
    if (next === undefined || (next.startsWith('-') && next !== '-')) out.splice(i + 1, 0, '-');
  }
  return out;
}
