import { isAbort } from './api.mjs';
import { notifyError } from './notice.mjs';

/**
 * Runs `task(signal)` now and again after each run has finished (never two at once), at the
 * interval `interval()` gives at that moment. A hidden tab stops asking and catches up as soon as it
 * is shown again. `stop()` ends the loop and aborts the request in flight.
 */
export function poller(task, interval, what = 'Refreshing') {
  const controller = new AbortController();
  let timer;
  let running = false;
  let again = false;
  let stopped = false;
  let lastError = '';

  async function tick() {
    if (stopped) return;
    if (document.hidden) return schedule();
    running = true;
    try {
      await task(controller.signal);
      lastError = '';
    } catch (e) {
      if (isAbort(e) || stopped) return;
      // One notice per kind of trouble, not one a second while it lasts.
      const key = `${e?.code}:${e?.message}`;
      if (key !== lastError) notifyError(what, e);
      lastError = key;
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      return tick();
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void tick(), interval());
  }

  const onVisibility = () => {
    if (!document.hidden) now();
  };
  document.addEventListener('visibilitychange', onVisibility);

  function now() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    void tick();
  }

  void tick();
  return {
    now,
    signal: controller.signal,
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}

/** Waits `ms`, or rejects with an AbortError when the view goes away first. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('aborted', 'AbortError'));
      },
      { once: true },
    );
  });
}
