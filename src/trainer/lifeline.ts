// Parent death (issue 12). The supervisor that starts the trainer holds one end of a pipe and
// passes the other as fd BATCH_TUNER_LIFELINE_FD; when every writer is gone (the supervisor
// exited, even by SIGKILL) a read returns EOF and the trainer must end. The IPC channel's
// `disconnect` (handled in main.ts) covers a forking host; the lifeline also covers a host
// that keeps IPC open while dying slowly, or a supervisor that is not this process's parent.
import * as net from 'node:net';

export const LIFELINE_ENV = 'BATCH_TUNER_LIFELINE_FD';

/**
 * Watches the lifeline named by `fdText` and calls `onParentGone` once at EOF or error.
 * Returns a warning when the variable is set but unusable (then only IPC disconnect applies),
 * undefined otherwise. The watch never keeps the process alive by itself.
 */
export function watchLifeline(fdText: string | undefined, onParentGone: () => void): string | undefined {
  if (fdText === undefined || fdText === '') return undefined;
  const fd = Number(fdText);
  if (!Number.isInteger(fd) || fd < 3) return `${LIFELINE_ENV}="${fdText}" is not a file descriptor >= 3; parent death is noticed through IPC only`;
  let socket: net.Socket;
  try {
    // A net.Socket reads a pipe without blocking a thread-pool thread (fs.createReadStream would).
    socket = new net.Socket({ fd, readable: true, writable: false });
  } catch (e) {
    return `${LIFELINE_ENV}=${fd} cannot be watched (${(e as Error).message}); parent death is noticed through IPC only`;
  }
  let gone = false;
  const end = () => {
    if (!gone) {
      gone = true;
      onParentGone();
    }
  };
  socket.on('end', end).on('close', end).on('error', end);
  socket.on('data', () => {
    /* nothing is ever written; reading keeps EOF observable */
  });
  socket.unref();
  return undefined;
}
