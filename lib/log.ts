// Structured logs (pino, JSON lines on stderr so stdout stays for command output).
import { pino, destination, type Logger } from 'pino';
import { config } from './config.js';

let root: Logger | undefined;

export function logger(component?: string): Logger {
  root ??= pino({ level: config().logLevel, base: { app: 'protea' } }, destination(2));
  return component ? root.child({ component }) : root;
}
