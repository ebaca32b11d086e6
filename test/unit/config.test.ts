import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../lib/errors';
import { loadConfig } from '../../lib/config';
import { thrownBy } from '../support/thrown';

type Env = Record<string, string | undefined>;

/** Every required setting, as the local stack sets them; optional ones are left to their defaults. */
function completeEnv(overrides: Env = {}): Env {
  return {
    REPLOG_STAGE: 'local',
    REPLOG_SECONDARIES: 's1,s2',
    REPLOG_COUNTER_TABLE: 'replog-local-counter',
    REPLOG_MASTER_TABLE: 'replog-local-master',
    REPLOG_ACK_TABLE: 'replog-local-acks',
    REPLOG_CONTROL_TABLE: 'replog-local-control',
    REPLOG_SECONDARY_TABLE_PREFIX: 'replog-local-secondary-',
    REPLOG_QUEUE_URLS: JSON.stringify({
      s1: 'http://localhost:4566/000000000000/replog-local-s1',
      s2: 'http://localhost:4566/000000000000/replog-local-s2',
    }),
    REPLOG_REPAIR_QUEUE_URL: 'http://localhost:4566/000000000000/replog-local-repair',
    ...overrides,
  };
}


/** Asserts loadConfig refuses `env` with a ConfigError whose message matches `message`. */
function refused(env: Env, message: RegExp): void {
  const err = thrownBy(() => loadConfig(env));
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).name).toBe('ConfigError');
  expect((err as ConfigError).message).toMatch(message);
}

const REQUIRED = [
  'REPLOG_STAGE',
  'REPLOG_SECONDARIES',
  'REPLOG_COUNTER_TABLE',
  'REPLOG_MASTER_TABLE',
  'REPLOG_ACK_TABLE',
  'REPLOG_CONTROL_TABLE',
  'REPLOG_SECONDARY_TABLE_PREFIX',
  'REPLOG_QUEUE_URLS',
  'REPLOG_REPAIR_QUEUE_URL',
] as const;

const INTEGER_SETTINGS = ['REPLOG_MAX_RECEIVE_COUNT', 'REPLOG_WAIT_TIMEOUT_MS', 'REPLOG_MAX_MSG_BYTES', 'REPLOG_HOLE_GRACE_MS', 'REPLOG_FAULTS_CACHE_MS', 'REPLOG_HEARTBEAT_MS', 'REPLOG_SUSPECTED_AFTER_BEATS', 'REPLOG_UNHEALTHY_AFTER_BEATS'] as const;

describe('loadConfig: a complete environment', () => {
  it('reads every setting and derives one table per secondary from the prefix', () => {
    const config = loadConfig(completeEnv());

    expect(config).toMatchObject({
      stage: 'local',
      secondaries: ['s1', 's2'],
      tables: {
        counter: 'replog-local-counter',
        master: 'replog-local-master',
        acks: 'replog-local-acks',
        control: 'replog-local-control',
        secondaries: { s1: 'replog-local-secondary-s1', s2: 'replog-local-secondary-s2' },
      },
      queueUrls: {
        s1: 'http://localhost:4566/000000000000/replog-local-s1',
        s2: 'http://localhost:4566/000000000000/replog-local-s2',
      },
      repairQueueUrl: 'http://localhost:4566/000000000000/replog-local-repair',
    });
  });

  it('uses the documented defaults for every optional setting', () => {
    const config = loadConfig(completeEnv());

    expect(config).toMatchObject({
      region: 'us-east-1',
      endpoints: { dynamodb: undefined, sqs: undefined },
      waitTimeoutMs: 25000,
      maxMsgBytes: 65536,
      holeGraceMs: 3000,
      faultsCacheMs: 500,
      heartbeat: { intervalMs: 1000, suspectedAfter: 2, unhealthyAfter: 5 },
      ackRetentionMs: 168 * 3_600_000,
      maxReceiveCount: 1000,
    });
  });

  it('reads every optional setting when set', () => {
    const config = loadConfig(
      completeEnv({
        AWS_REGION: 'eu-central-1',
        AWS_ENDPOINT_URL: 'http://localhost:4566',
        REPLOG_WAIT_TIMEOUT_MS: '5000',
        REPLOG_MAX_MSG_BYTES: '1024',
        REPLOG_HOLE_GRACE_MS: '250',
        REPLOG_FAULTS_CACHE_MS: '100',
        REPLOG_HEARTBEAT_MS: '2000',
        REPLOG_SUSPECTED_AFTER_BEATS: '3',
        REPLOG_UNHEALTHY_AFTER_BEATS: '10',
        REPLOG_ACK_RETENTION_HOURS: '24',
        REPLOG_MAX_RECEIVE_COUNT: '5',
      }),
    );

    expect(config).toMatchObject({
      region: 'eu-central-1',
      endpoints: { dynamodb: 'http://localhost:4566', sqs: 'http://localhost:4566' },
      waitTimeoutMs: 5000,
      maxMsgBytes: 1024,
      holeGraceMs: 250,
      faultsCacheMs: 100,
      heartbeat: { intervalMs: 2000, suspectedAfter: 3, unhealthyAfter: 10 },
      ackRetentionMs: 24 * 3_600_000,
      maxReceiveCount: 5,
    });
  });

  it('prefers AWS_REGION over AWS_DEFAULT_REGION and falls back to the latter', () => {
    expect(loadConfig(completeEnv({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' })).region).toBe('eu-west-1');
    expect(loadConfig(completeEnv({ AWS_DEFAULT_REGION: 'us-west-2' })).region).toBe('us-west-2');
    expect(loadConfig(completeEnv({ AWS_REGION: '  ', AWS_DEFAULT_REGION: 'us-west-2' })).region).toBe('us-west-2');
  });

  it('treats an empty AWS_ENDPOINT_URL as unset (real AWS)', () => {
    expect(loadConfig(completeEnv({ AWS_ENDPOINT_URL: '' })).endpoints).toEqual({ dynamodb: undefined, sqs: undefined });
    expect(loadConfig(completeEnv({ AWS_ENDPOINT_URL: '   ' })).endpoints).toEqual({ dynamodb: undefined, sqs: undefined });
  });

  it('sends each service to its own endpoint when the SDK\'s per-service settings name one', () => {
    const env = { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL_SQS: ' ' };
    expect(loadConfig(completeEnv(env)).endpoints).toEqual({ dynamodb: 'http://127.0.0.1:8000', sqs: 'http://localhost:4566' });
    expect(loadConfig(completeEnv({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' })).endpoints).toEqual({ dynamodb: undefined, sqs: 'http://127.0.0.1:9324' });
  });

  it('trims secondary names and skips empty ones in REPLOG_SECONDARIES', () => {
    const config = loadConfig(completeEnv({ REPLOG_SECONDARIES: ' s1 , ,s2, ' }));

    expect(config.secondaries).toEqual(['s1', 's2']);
  });

  it('runs with a single secondary or with more than two', () => {
    const one = loadConfig(completeEnv({ REPLOG_SECONDARIES: 's1', REPLOG_QUEUE_URLS: '{"s1": "http://q/s1"}' }));
    const three = loadConfig(completeEnv({ REPLOG_SECONDARIES: 's1,s2,s3', REPLOG_QUEUE_URLS: '{"s1": "http://q/s1", "s2": "http://q/s2", "s3": "http://q/s3"}' }));

    expect(one.secondaries).toEqual(['s1']);
    expect(three.tables.secondaries).toEqual({ s1: 'replog-local-secondary-s1', s2: 'replog-local-secondary-s2', s3: 'replog-local-secondary-s3' });
  });

  it('accepts queue URLs for more secondaries than are configured', () => {
    expect(loadConfig(completeEnv({ REPLOG_SECONDARIES: 's1' })).secondaries).toEqual(['s1']);
  });

  it('accepts 0 for REPLOG_FAULTS_CACHE_MS (read the faults on every job)', () => {
    expect(loadConfig(completeEnv({ REPLOG_FAULTS_CACHE_MS: '0' })).faultsCacheMs).toBe(0);
    expect(loadConfig(completeEnv({ REPLOG_FAULTS_CACHE_MS: ' 0 ' })).faultsCacheMs).toBe(0);
  });

  it('treats an empty integer setting as unset and trims whitespace around a set one', () => {
    expect(loadConfig(completeEnv({ REPLOG_WAIT_TIMEOUT_MS: '' })).waitTimeoutMs).toBe(25000);
    expect(loadConfig(completeEnv({ REPLOG_WAIT_TIMEOUT_MS: ' 7000 ' })).waitTimeoutMs).toBe(7000);
  });

  it('accepts REPLOG_MAX_MSG_BYTES up to the 128 KiB ceiling', () => {
    expect(loadConfig(completeEnv({ REPLOG_MAX_MSG_BYTES: '131072' })).maxMsgBytes).toBe(131072);
  });

  it('accepts a heartbeat of up to 30 s', () => {
    expect(loadConfig(completeEnv({ REPLOG_HEARTBEAT_MS: '30000' })).heartbeat.intervalMs).toBe(30000);
  });
});

describe('loadConfig: missing settings', () => {
  it.each(REQUIRED)('refuses an environment without %s, naming it', (name) => {
    refused(completeEnv({ [name]: undefined }), new RegExp(`${name} is missing`));
  });

  it.each(REQUIRED)('treats a blank %s as missing', (name) => {
    refused(completeEnv({ [name]: '   ' }), new RegExp(`${name} is missing`));
  });

  it('refuses REPLOG_SECONDARIES that names no secondary', () => {
    refused(completeEnv({ REPLOG_SECONDARIES: ' , ,' }), /REPLOG_SECONDARIES names no secondary/);
  });
});

describe('loadConfig: REPLOG_QUEUE_URLS', () => {
  it.each([
    ['not JSON', 's1=http://q/s1'],
    ['truncated JSON', '{"s1": "http://q/s1"'],
  ])('refuses it when %s, showing the expected shape', (_, value) => {
    refused(completeEnv({ REPLOG_QUEUE_URLS: value }), /REPLOG_QUEUE_URLS must be a JSON object \{"<secondary>": "<queue URL>"\}/);
  });

  it.each([
    ['null', 'null'],
    ['an array', '["http://q/s1", "http://q/s2"]'],
    ['a string', '"http://q/s1"'],
    ['a number', '42'],
  ])('refuses JSON that is %s, showing the expected shape', (_, value) => {
    refused(completeEnv({ REPLOG_QUEUE_URLS: value }), /REPLOG_QUEUE_URLS must be a JSON object/);
  });

  it('refuses it when a configured secondary has no queue, naming that secondary', () => {
    refused(completeEnv({ REPLOG_SECONDARIES: 's1,s2,s3' }), /REPLOG_QUEUE_URLS has no queue for secondary "s3"/);
  });

  it('refuses a queue URL that is not a string', () => {
    refused(completeEnv({ REPLOG_QUEUE_URLS: '{"s1": "http://q/s1", "s2": 7}' }), /no queue for secondary "s2"/);
  });
});

describe('loadConfig: integer settings', () => {
  it.each(INTEGER_SETTINGS.flatMap((name) => ['abc', '-1', '1.5', '1e400', '12abc', 'NaN', '9007199254740993'].map((value) => [name, value] as const)))(
    'refuses %s=%s, naming the setting and the value',
    (name, value) => {
      refused(completeEnv({ [name]: value }), new RegExp(`${name} must be a .*integer, got "${value}"`));
    },
  );

  it.each(INTEGER_SETTINGS.filter((name) => name !== 'REPLOG_FAULTS_CACHE_MS'))('refuses %s=0', (name) => {
    refused(completeEnv({ [name]: '0' }), new RegExp(`${name} must be a positive integer`));
  });

  it('refuses REPLOG_MAX_MSG_BYTES above 128 KiB, so a job fits in one SQS message', () => {
    refused(completeEnv({ REPLOG_MAX_MSG_BYTES: '131073' }), /REPLOG_MAX_MSG_BYTES may be at most 131072/);
  });

  it('refuses a heartbeat interval above 30 s', () => {
    refused(completeEnv({ REPLOG_HEARTBEAT_MS: '30001' }), /REPLOG_HEARTBEAT_MS may be at most 30000/);
  });

  it('reads any positive integer setting back as the number written (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('REPLOG_WAIT_TIMEOUT_MS', 'REPLOG_HOLE_GRACE_MS', 'REPLOG_FAULTS_CACHE_MS'), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (name, value) => {
        const config = loadConfig(completeEnv({ [name]: String(value) }));
        const read = { REPLOG_WAIT_TIMEOUT_MS: config.waitTimeoutMs, REPLOG_HOLE_GRACE_MS: config.holeGraceMs, REPLOG_FAULTS_CACHE_MS: config.faultsCacheMs }[name];

        expect(read).toBe(value);
      }),
    );
  });
});

describe('loadConfig: heartbeat policy', () => {
  it.each([
    ['equal to', '3', '3'],
    ['below', '4', '2'],
    ['below the default of 2 (only Unhealthy is set)', undefined, '1'],
  ])('refuses REPLOG_UNHEALTHY_AFTER_BEATS %s REPLOG_SUSPECTED_AFTER_BEATS', (_, suspected, unhealthy) => {
    refused(
      completeEnv({ REPLOG_SUSPECTED_AFTER_BEATS: suspected, REPLOG_UNHEALTHY_AFTER_BEATS: unhealthy }),
      /REPLOG_UNHEALTHY_AFTER_BEATS must be greater than REPLOG_SUSPECTED_AFTER_BEATS/,
    );
  });

  it('refuses Suspected after at least the default of 5 when only it is set', () => {
    refused(completeEnv({ REPLOG_SUSPECTED_AFTER_BEATS: '5' }), /must be greater than/);
  });

  it('accepts Unhealthy exactly one beat after Suspected', () => {
    expect(loadConfig(completeEnv({ REPLOG_SUSPECTED_AFTER_BEATS: '1', REPLOG_UNHEALTHY_AFTER_BEATS: '2' })).heartbeat).toEqual({ intervalMs: 1000, suspectedAfter: 1, unhealthyAfter: 2 });
  });

  it('accepts a policy exactly when Unhealthy comes after Suspected (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (suspected, unhealthy) => {
        const env = completeEnv({ REPLOG_SUSPECTED_AFTER_BEATS: String(suspected), REPLOG_UNHEALTHY_AFTER_BEATS: String(unhealthy) });

        if (unhealthy > suspected) expect(loadConfig(env).heartbeat).toMatchObject({ suspectedAfter: suspected, unhealthyAfter: unhealthy });
        else expect(() => loadConfig(env)).toThrow(ConfigError);
      }),
    );
  });
});

describe('loadConfig: REPLOG_ACK_RETENTION_HOURS', () => {
  it('takes fractions of an hour, so a test can watch acks expire', () => {
    expect(loadConfig(completeEnv({ REPLOG_ACK_RETENTION_HOURS: '0.002' })).ackRetentionMs).toBe(7200);
    expect(loadConfig(completeEnv({ REPLOG_ACK_RETENTION_HOURS: ' 87600 ' })).ackRetentionMs).toBe(87_600 * 3_600_000);
  });

  it.each(['0', '0.0001', '-1', 'abc', '1e3', '.5', '87600.5', 'NaN', 'Infinity'])('refuses %j, naming the setting and the range', (raw) => {
    refused(completeEnv({ REPLOG_ACK_RETENTION_HOURS: raw }), /REPLOG_ACK_RETENTION_HOURS must be a number of hours from 0.0003 \(1 s\) to 87600/);
  });

  it('reads any whole number of hours in range back exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 87_600 }), (hours) => {
        expect(loadConfig(completeEnv({ REPLOG_ACK_RETENTION_HOURS: String(hours) })).ackRetentionMs).toBe(hours * 3_600_000);
      }),
    );
  });
});
