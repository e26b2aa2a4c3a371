import { constants } from 'node:os';

/** The exit status a shell reports for a process a signal stopped: 130 for SIGINT, 143 for SIGTERM. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];
