/**
 * The fencing rule of the work model (docs/locking.md), written once: a file's outcome may be
 * written only by the holder of its current lease — the file is still `processing` and its epoch is
 * the one the writer claimed it with. Every claim moves the epoch on, so a writer whose lease
 * expired and was taken over (a stalled or partitioned replica) writes nothing, whatever it still
 * believes. `f` is the alias of program_files, `epoch` the SQL of the writer's epoch.
 */
export const heldUnderEpoch = (f: string, epoch: string): string =>
  `${f}.state = 'processing' AND ${f}.epoch = ${epoch}`;
