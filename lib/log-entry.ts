/** One slot of the log: a message, or a no-op that filled a hole (hidden from every list). */
export type LogEntry = ({ id: number; msg: string; w?: number; noop?: undefined } | { id: number; noop: true; msg?: undefined; w?: undefined }) & {
  /** When this table stored the entry (ms since epoch); set by the table adapter. */
  at?: number;
};

/** An entry without its message text: what prefix scans, hole finding and catch-up read. */
export interface LogSlot {
  id: number;
  noop?: true;
  at?: number;
}

export interface ReplicateJob {
  id: number;
  msg?: string;
  noop?: true;
}

/** Travels the replicate path like a job, so a secondary that cannot take jobs misses it. */
export interface HeartbeatJob {
  /** When the master sent it (ms since epoch). */
  heartbeat: number;
}
