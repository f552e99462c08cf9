// Long loops (sampling, training) give the event loop a turn between steps, so a worker hears cancel and
// pause messages and progress bars redraw.

/** One turn of the event loop, without timer clamping (nested setTimeout(0) waits ≥ 4 ms in browsers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
