/** Exit codes scripts can rely on; `replog --help` prints EXIT_CODES_HELP. */
export const EXIT = {
  ok: 0,
  /** Anything unexpected: a response that is not the API's JSON, a bug. */
  unexpected: 1,
  usage: 2,
  pending: 3,
  refused: 4,
  unavailable: 5,
  unreachable: 6,
  /** Ctrl-C (128 + SIGINT): while an append or wait was pending, or to end --follow/--watch. */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
    0  success (200/201)
    1  unexpected answer (not the replog API's JSON)
    2  bad arguments or usage; nothing was sent
    3  accepted, but the write concern is not met yet (202 pending): run the printed \`replog wait\`
    4  the API refused the request (4xx); its error is printed
    5  read-only or unavailable (503, or another 5xx)
    6  cannot reach the API (is \`npm start\` running?)
  130  Ctrl-C: how --follow and --watch end; an interrupted append may still be stored`;

/** The exit code for an HTTP status the API answered with. */
export function exitCodeForStatus(status: number): number {
  if (status === 200 || status === 201) return EXIT.ok;
  if (status === 202) return EXIT.pending;
  if (status >= 400 && status < 500) return EXIT.refused;
  if (status >= 500 && status < 600) return EXIT.unavailable;
  return EXIT.unexpected;
}
