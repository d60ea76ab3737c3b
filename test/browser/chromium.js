// Where Debian's Chromium is and how to start it here, for the browser test
// (chromium.test.ts) and the browser benchmark (bench/browser.bench.js).
import { existsSync } from 'node:fs';

/** The Chromium executable: OTEL_POLICY_CHROMIUM, else Debian's; undefined when there is none. */
export function chromiumPath() {
  return process.env.OTEL_POLICY_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

/** Launch flags: no sandbox (CI runs as root), and no background connections (the network is closed). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What to print where there is no Chromium. */
export const NO_CHROMIUM = 'no Chromium at /usr/bin/chromium (install the Debian package chromium, or set OTEL_POLICY_CHROMIUM)';
