#!/usr/bin/env node
import { debugRequested, internalErrorText, main } from '../dist/main.js';

// A reader that stops early (`otel-policy eval ... | head`) closes the pipe:
// no error of ours, and the rest (--stats) is still written. Any other
// failure to write the output (a full disk) is one line, exit 1.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') return;
  process.stderr.write(`otel-policy: cannot write to stdout: ${err.message}\n`);
  process.exit(1);
});

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
