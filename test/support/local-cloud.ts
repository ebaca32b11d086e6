import { afterAll, beforeAll } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../localstack/local-cloud.js';

/** Starts a local cloud on a free port for this test file and stops it after; returns a getter. */
export function useLocalCloud(): () => LocalCloud {
  let cloud: LocalCloud | undefined;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
  }, 60_000);
  afterAll(async () => {
    await cloud?.stop();
  }, 20_000);
  return () => {
    if (!cloud) throw new Error('the local cloud is not started yet');
    return cloud;
  };
}
