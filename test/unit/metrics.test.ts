import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { appendPoints, healthPoints, METRIC, publishMetrics, recordMetric, recordMetrics, routeOf } from '../../lib/metrics';

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

/** The EMF lines publishMetrics() writes to stdout, parsed. */
function published(): Emf[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    publishMetrics();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Emf);
}

beforeAll(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'replog';
  process.env.POWERTOOLS_SERVICE_NAME = 'replog-test';
});

afterEach(() => void published());

describe('appendPoints', () => {
  it('gives latency, met and timed out by w, exactly one of met and timed out counting (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.double({ min: -10, max: 60_000, noNaN: true }), fc.boolean(), (w, latency, met) => {
        const points = appendPoints(w, latency, met);
        expect(points.map((p) => p.name)).toEqual([METRIC.appendLatency, METRIC.writeConcernMet, METRIC.writeConcernTimedOut]);
        for (const p of points) expect(p.dimensions).toEqual({ w: String(w) });
        expect(points[0]?.value).toBe(Math.max(0, latency));
        expect((points[1]?.value ?? 0) + (points[2]?.value ?? 0)).toBe(1);
        expect(points[1]?.value).toBe(met ? 1 : 0);
      }),
    );
  });
});

describe('healthPoints', () => {
  it('gives each secondary Unhealthy (1 only when Unhealthy) and its lag', () => {
    const points = healthPoints({
      s1: { status: 'Healthy', lag: 0 },
      s2: { status: 'Unhealthy', lag: 42 },
      s3: { status: 'Suspected', lag: 3 },
    });
    expect(points).toEqual([
      { name: 'Unhealthy', unit: 'Count', value: 0, dimensions: { secondary: 's1' } },
      { name: 'ReplicationLag', unit: 'Count', value: 0, dimensions: { secondary: 's1' } },
      { name: 'Unhealthy', unit: 'Count', value: 1, dimensions: { secondary: 's2' } },
      { name: 'ReplicationLag', unit: 'Count', value: 42, dimensions: { secondary: 's2' } },
      { name: 'Unhealthy', unit: 'Count', value: 0, dimensions: { secondary: 's3' } },
      { name: 'ReplicationLag', unit: 'Count', value: 3, dimensions: { secondary: 's3' } },
    ]);
  });
});

describe('routeOf', () => {
  it('names the route template, not the path, so ids do not become dimensions', () => {
    expect(routeOf({ httpMethod: 'GET', resource: '/messages/{id}/wait', path: '/messages/17/wait' })).toBe('GET /messages/{id}/wait');
    expect(routeOf({ httpMethod: 'POST', path: '/append' })).toBe('POST /append');
    expect(routeOf(undefined)).toBe('? ?');
  });
});

describe('recordMetrics + publishMetrics (Powertools EMF)', () => {
  it('writes one EMF line per dimension set, in the namespace, with the service dimension', () => {
    // Arrange: two appends with different w recorded side by side, and a count without dimensions.
    recordMetrics(appendPoints(1, 12, true));
    recordMetrics(appendPoints(3, 8000, false));
    recordMetrics(appendPoints(3, 40, true));
    recordMetric(METRIC.holesFilled, 'Count', 1);

    // Act
    const lines = published();

    // Assert
    expect(lines).toHaveLength(3);
    const byW = (w: string) => lines.find((l) => l.w === w);
    const three = byW('3');
    expect(three?._aws.CloudWatchMetrics[0]?.Namespace).toBe('replog');
    expect(three?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'w']]);
    expect(three?.service).toBe('replog-test');
    expect(three?.AppendLatency).toEqual([8000, 40]);
    expect(three?.WriteConcernTimedOut).toEqual([1, 0]);
    expect(byW('1')?.AppendLatency).toBe(12);
    const holes = lines.find((l) => 'HolesFilled' in l);
    expect(holes?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(holes?.HolesFilled).toBe(1);
  });

  it('writes nothing, not even a warning, when nothing was recorded', () => {
    // Powertools warns on stderr when asked to publish an empty buffer.
    const stderr = vi.spyOn(process.stderr, 'write');
    expect(published()).toEqual([]);
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
  });
});
