import { requestCatchUp, sendReplicateJobs } from './adapters/queues';
import type { ReplicateJob } from './log-entry';
import { logger } from './logger';

/**
 * Sends a committed entry's job to every secondary. It never fails: the master holds the entry
 * already, so a secondary whose send failed gets it through the repair path instead — a catch-up
 * of this id, requested at once; if even that request cannot be sent, the scheduled repair pass
 * copies the entry once it is older than the grace period.
 */
export async function fanOut(job: ReplicateJob): Promise<void> {
  const failed = await sendReplicateJobs(job);
  await Promise.all(
    failed.map(async ({ secondary, error }) => {
      logger.error('replicate job not sent; catching the secondary up from the master instead', { id: job.id, secondary, error: error as Error });
      try {
        await requestCatchUp(secondary, [job.id]);
      } catch (err) {
        logger.error('catch-up request not sent either; the scheduled repair pass will copy the entry', { id: job.id, secondary, error: err as Error });
      }
    }),
  );
}
