#!/usr/bin/env node
import { debugRequested, internalErrorText, main } from '../dist/main.js';

// Failures outside main's await chain (a timer, a socket): one line too, exit 1.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    process.stderr.write(internalErrorText(err, debugRequested(process.argv)));
    process.exit(1);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  // main() handles its errors; this is the last line of defence.
  (err) => {
    process.stderr.write(internalErrorText(err, debugRequested(process.argv)));
    process.exitCode = 1;
  },
);
