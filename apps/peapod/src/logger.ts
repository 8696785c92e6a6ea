import { pino } from 'pino';
import type { Logger } from '@peapod/core';

/** A core `Logger` over pino, writing JSON lines to `file` (the data dir's peapod.log). */
export function fileLogger(file: string, level = process.env.PEAPOD_LOG_LEVEL ?? 'info'): { logger: Logger; flush: () => void } {
  const dest = pino.destination({ dest: file, mkdir: true, sync: false });
  const wrap = (p: pino.Logger): Logger => ({
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => wrap(p.child(bindings)),
  });
  // A command that fails at once may flush before the file is even open: nothing to flush then, and
  // the pending writes still land once it opens (the process waits for them).
  const flush = () => {
    try {
      dest.flushSync();
    } catch (err) {
      if (!/not ready/.test(String(err))) throw err;
    }
  };
  return { logger: wrap(pino({ level }, dest)), flush };
}
