import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { isBackgroundInvocationLine, isMetricsLine, prettyLogLine } from '../../scripts/lib/pretty-log';
import { appendPoints, publishMetrics, recordMetrics } from '../../lib/metrics';

/** Lines as Powertools Logger writes them, inside a Lambda (context keys) and outside one. */
const APPENDED =
  '{"level":"INFO","message":"appended","timestamp":"2026-11-25T16:46:15.248Z","service":"replog","sampling_rate":0,"id":3,"w":2,"acks":{"s1":true}}';
const IN_LAMBDA = JSON.stringify({
  level: 'WARN',
  message: 'hole filled with a no-op',
  timestamp: '2026-11-25T09:05:01.007Z',
  service: 'replog',
  sampling_rate: 0,
  xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
  cold_start: true,
  function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:replog-local-repair',
  function_memory_size: '1024',
  function_name: 'replog-local-repair',
  function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  id: 7,
});
const FAILED = JSON.stringify({
  level: 'ERROR',
  message: 'replicate failed',
  timestamp: '2026-11-25T23:59:59.999Z',
  service: 'replog',
  sampling_rate: 0,
  error: { name: 'Error', message: 'boom' },
});

const ESC = '\x1b[';

describe('prettyLogLine: Powertools JSON lines', () => {
  it('renders time, level, message and the remaining keys as key=value', () => {
    expect(prettyLogLine(APPENDED, false)).toBe('16:46:15.248 INFO  appended id=3 w=2 acks={"s1":true}');
  });

  it('drops the noisy keys: service, sampling rate, trace id and every Lambda context key', () => {
    expect(prettyLogLine(IN_LAMBDA, false)).toBe('09:05:01.007 WARN  hole filled with a no-op id=7');
  });

  it('shows a nested error object as compact JSON', () => {
    expect(prettyLogLine(FAILED, false)).toBe('23:59:59.999 ERROR replicate failed error={"name":"Error","message":"boom"}');
  });

  it('pads the level so messages line up', () => {
    const debug = prettyLogLine('{"level":"DEBUG","message":"m","timestamp":"2026-01-01T00:00:00.000Z"}', false);
    const warn = prettyLogLine('{"level":"WARN","message":"m","timestamp":"2026-01-01T00:00:00.000Z"}', false);

    expect(debug.indexOf(' m')).toBe(warn.indexOf(' m'));
  });

  it('ends at the message when no other key is left', () => {
    expect(prettyLogLine('{"level":"INFO","message":"ready","timestamp":"2026-01-01T12:00:00.000Z","service":"replog"}', false)).toBe(
      '12:00:00.000 INFO  ready',
    );
  });

  it('keeps the local time of a timestamp with an offset', () => {
    expect(prettyLogLine('{"level":"INFO","message":"m","timestamp":"2026-01-01T14:30:00.123+02:00"}', false)).toBe('14:30:00.123 INFO  m');
  });

  it('shows strings without quotes and numbers, booleans and null as written', () => {
    expect(prettyLogLine('{"level":"INFO","message":"m","timestamp":"2026-01-01T00:00:00.000Z","s":"s1","n":1.5,"b":false,"z":null,"a":[1,2]}', false)).toBe(
      '00:00:00.000 INFO  m s=s1 n=1.5 b=false z=null a=[1,2]',
    );
  });

  it('colours only the level when asked to, and resets after it', () => {
    const line = prettyLogLine(APPENDED, true);

    expect(line).toBe(`16:46:15.248 ${ESC}36mINFO ${ESC}0m appended id=3 w=2 acks={"s1":true}`);
  });

  it.each([
    ['DEBUG', '90m'],
    ['INFO', '36m'],
    ['WARN', '33m'],
    ['ERROR', '31m'],
  ])('colours %s with its own colour', (level, code) => {
    expect(prettyLogLine(`{"level":"${level}","message":"m"}`, true)).toContain(`${ESC}${code}${level}`);
  });

  it('prints a level it has no colour for plainly, still followed by a reset', () => {
    expect(prettyLogLine('{"level":"CRITICAL","message":"m","timestamp":"2026-01-01T00:00:00.000Z"}', true)).toBe(`00:00:00.000 CRITICAL${ESC}0m m`);
  });

  it('writes no escape codes without colour', () => {
    for (const line of [APPENDED, IN_LAMBDA, FAILED]) expect(prettyLogLine(line, false)).not.toContain('\x1b');
  });
});

describe('prettyLogLine: everything else passes through unchanged', () => {
  it.each([
    ['a plain text line', 'Server ready: http://localhost:3000 🚀'],
    ['an empty line', ''],
    ["serverless-offline's invocation line", '(λ: append) RequestId: 2f1c Duration: 12.3 ms Billed Duration: 13 ms'],
    ['JSON indented by whitespace', '  {"level":"INFO","message":"m"}'],
    ['a JSON array', '[{"level":"INFO","message":"m"}]'],
    ['a truncated JSON line', '{"level":"INFO","message":"m"'],
    ['a line that only starts like JSON', '{ not json at all }'],
    ['JSON without level', '{"message":"m","timestamp":"2026-01-01T00:00:00.000Z"}'],
    ['JSON without message', '{"level":"INFO","timestamp":"2026-01-01T00:00:00.000Z"}'],
    ['JSON whose message is not a string', '{"level":"INFO","message":{"text":"m"}}'],
    ['JSON whose level is not a string', '{"level":30,"message":"m"}'],
    ['an empty JSON object', '{}'],
  ])('%s', (_, line) => {
    expect(prettyLogLine(line, false)).toBe(line);
    expect(prettyLogLine(line, true)).toBe(line);
  });

  it('passes any line that is not a JSON object through unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.startsWith('{')),
        fc.boolean(),
        (line, color) => {
          expect(prettyLogLine(line, color)).toBe(line);
        },
      ),
    );
  });

  it('passes any JSON object without a string level and message through unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })).filter((o) => typeof o.level !== 'string' || typeof o.message !== 'string'),
        fc.boolean(),
        (entry, color) => {
          const line = JSON.stringify(entry);

          expect(prettyLogLine(line, color)).toBe(line);
        },
      ),
    );
  });

  it('renders every Powertools line on one line, with its message and without the noisy keys (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('DEBUG', 'INFO', 'WARN', 'ERROR'),
        fc.string({ minLength: 1 }).filter((m) => !m.includes('\n')),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.dictionary(fc.constantFrom('id', 'w', 'acks', 'secondary', 'count'), fc.jsonValue({ maxDepth: 1 })),
        (level, message, date, extra) => {
          const line = JSON.stringify({ level, message, timestamp: date.toISOString(), service: 'replog', sampling_rate: 0, cold_start: false, ...extra });

          const pretty = prettyLogLine(line, false);

          expect(pretty.startsWith(`${date.toISOString().slice(11, 23)} ${level.padEnd(5)} ${message}`)).toBe(true);
          expect(pretty).not.toMatch(/service=|sampling_rate=|cold_start=|timestamp=|level=|message=/);
          for (const key of Object.keys(extra)) expect(pretty).toContain(` ${key}=`);
        },
      ),
    );
  });
});

describe('isBackgroundInvocationLine', () => {
  it.each([
    '(λ: replicate) RequestId: 1 Duration: 3 ms',
    '(λ: replicateS1) RequestId: 1 Duration: 3 ms',
    '(λ: heartbeat) RequestId: 1 Duration: 3 ms',
    '(λ: repair) RequestId: 1 Duration: 3 ms',
  ])('hides the background function line %s', (line) => {
    expect(isBackgroundInvocationLine(line)).toBe(true);
  });

  it.each([
    '(λ: append) RequestId: 1 Duration: 3 ms',
    '(λ: health) RequestId: 1 Duration: 3 ms',
    'heartbeat sent',
    '16:46:15.248 INFO  replicate done',
    ' (λ: heartbeat) RequestId: 1',
  ])('keeps %s', (line) => {
    expect(isBackgroundInvocationLine(line)).toBe(false);
  });
});

describe('isMetricsLine', () => {
  it('recognises the EMF line lib/metrics.ts writes', () => {
    // Arrange: capture what Powertools writes for one append.
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      recordMetrics(appendPoints(2, 30, true));
      publishMetrics();
    } finally {
      spy.mockRestore();
    }
    const line = written.join('').trim();

    expect(line).toContain('"AppendLatency"');
    expect(isMetricsLine(line)).toBe(true);
  });

  it.each([APPENDED, IN_LAMBDA, '{"_aws": 1}', '{"_aws": {"CloudWatchMetrics": "x"}}', '{"_aws"', 'metrics', ''])('keeps %s', (line) => {
    expect(isMetricsLine(line)).toBe(false);
  });

  it('never throws, whatever the line (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (tail) => void isMetricsLine(`{"_aws"${tail}`)));
  });
});
