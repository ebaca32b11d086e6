// A progress line on stderr while a request is pending; only on a terminal, so logs and pipes stay clean.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  stop(): void;
}

/** Starts drawing after `delayMs`, so quick answers never flash a line. */
export function startSpinner(label: string, stream: NodeJS.WriteStream = process.stderr, delayMs = 150): Spinner {
  if (!stream.isTTY) return { stop() {} };
  const started = Date.now();
  let frame = 0;
  let drawn = false;
  const draw = () => {
    drawn = true;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} ${seconds}s`);
  };
  let timer: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    draw();
    timer = setInterval(draw, 80);
  }, delayMs);
  return {
    stop() {
      clearTimeout(delay);
      if (timer) clearInterval(timer);
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
