/**
 * Zero-code start: `node --require @otel-policy/sdk-processor/register app.js`
 * (or `--import` for ES module apps). Like
 * `@opentelemetry/auto-instrumentations-node/register`, it starts NodeSDK
 * with the auto-instrumentations and the exporters the standard `OTEL_*`
 * variables ask for, with one difference: every signal goes through the
 * policies named by `OTEL_POLICY_SOURCE` (see policy-source-env.ts).
 *
 * Everything here runs synchronously, before the application's first line:
 * a policy file is read and compiled now, so the first record is filtered;
 * a sync server's first set is waited for by holding records (bounded).
 * Nothing here may stop the application: any failure is reported once on
 * stderr and the application runs unfiltered or uninstrumented, as the
 * upstream register does.
 */
import { diag, DiagConsoleLogger, type DiagLogger, type DiagLogLevel } from '@opentelemetry/api';
import { policyConfigFromEnv } from './policy-source-env.js';
import { requireFromApp, sdkPackages, type SdkClass } from './sdk-packages.js';
import { withPolicies } from './with-policies.js';

const PREFIX = '@otel-policy/sdk-processor';
/** Longest wait for the SDK's flush at SIGTERM/SIGINT before the process goes on exiting. */
const SHUTDOWN_TIMEOUT_MS = 5000;

const reported = new Set<string>();
/**
 * One line on stderr per distinct message, no stack trace. (Not also on
 * diag: with OTEL_LOG_LEVEL set, NodeSDK's console logger would print it twice.)
 */
function report(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  process.stderr.write(`${PREFIX}: ${message}\n`);
}

/** The policies' own reports (a missing or invalid file, a sync server down): warnings and errors on stderr, once each. */
const stderrLogger: DiagLogger = {
  error: (m) => report(m),
  warn: (m) => report(m),
  info: (m, ...a) => diag.info(m, ...a),
  debug: (m, ...a) => diag.debug(m, ...a),
  verbose: (m, ...a) => diag.verbose(m, ...a),
};

interface Sdk {
  start(): void;
  shutdown(): Promise<void>;
}

function loadAutoInstrumentations(): { instrumentations: unknown[]; resourceDetectors?: unknown[] } {
  try {
    const auto = requireFromApp('@opentelemetry/auto-instrumentations-node') as {
      getNodeAutoInstrumentations(): unknown[];
      getResourceDetectors?: () => unknown[];
    };
    return { instrumentations: auto.getNodeAutoInstrumentations(), resourceDetectors: auto.getResourceDetectors?.() };
  } catch (err) {
    report(`no auto-instrumentations (${(err as Error).message.split('\n')[0]}); install @opentelemetry/auto-instrumentations-node to instrument the application`);
    return { instrumentations: [] };
  }
}

function start(): Sdk | undefined {
  let sdk;
  try {
    sdk = sdkPackages();
  } catch (err) {
    report(`${(err as Error).message}; the application runs without OpenTelemetry`);
    return undefined;
  }
  // As NodeSDK: disabled means no SDK, and then no policy source either (nothing to apply it to).
  if (/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '')) return undefined;
  // As the upstream register: OTEL_LOG_LEVEL's logger while the instrumentations and exporters are built (their
  // warnings would go nowhere otherwise), then NodeSDK installs its own.
  const core = sdk.load('@opentelemetry/core') as { diagLogLevelFromString?: (level: string) => DiagLogLevel | undefined };
  const logLevel = process.env.OTEL_LOG_LEVEL?.trim();
  if (logLevel && core.diagLogLevelFromString) diag.setLogger(new DiagConsoleLogger(), { logLevel: core.diagLogLevelFromString(logLevel) });
  try {
    return build(sdk);
  } finally {
    if (logLevel) diag.disable();
  }
}

function build(sdk: ReturnType<typeof sdkPackages>): Sdk | undefined {
  const { instrumentations, resourceDetectors } = loadAutoInstrumentations();
  if (process.env.OTEL_CONFIG_FILE?.trim()) {
    // sdk-node's declarative configuration builds only its own processors (batch, simple) and refuses any other name.
    report('OTEL_CONFIG_FILE is set: the SDK is configured from that file, which cannot hold third-party processors, so policies are NOT applied');
    const startFromConfig = (sdk.sdkNode as unknown as Record<string, unknown>).startNodeSdk ?? (sdk.sdkNode as unknown as Record<string, unknown>).startNodeSDK;
    if (typeof startFromConfig !== 'function') return undefined;
    return { start: () => {}, ...(startFromConfig as (o: unknown) => { shutdown(): Promise<void> })({ instrumentations }) };
  }
  const policyConfig = policyConfigFromEnv(process.env, report);
  const base = { instrumentations, ...(resourceDetectors ? { resourceDetectors } : {}) };
  const config = policyConfig ? withPolicies(base, { ...policyConfig, logger: stderrLogger }) : base;
  return new (sdk.sdkNode.NodeSDK as SdkClass)(config) as Sdk;
}

let sdk: Sdk | undefined;
try {
  sdk = start();
  sdk?.start();
} catch (err) {
  report(`cannot start the OpenTelemetry SDK: ${(err as Error).message}; the application runs without it`);
  sdk = undefined;
}

let stopping: Promise<void> | undefined;
let deadline: NodeJS.Timeout | undefined;
function shutdown(): Promise<void> {
  stopping ??= Promise.race([
    (sdk?.shutdown() ?? Promise.resolve()).catch((err: Error) => report(`error while shutting down the OpenTelemetry SDK: ${err.message}`)),
    // Not unref'd: records held for a sync server's first set are released (filtered, or unfiltered at the hold
    // bound) only by timers that do not keep the process alive; this one does, up to the deadline.
    new Promise<void>((resolve) => (deadline = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(deadline));
  return stopping;
}

/**
 * Flush and shut down on SIGTERM/SIGINT. When nothing else listened for the
 * signal when it arrived, the process then ends as it would have without
 * this listener (listening would otherwise keep it alive); an application
 * that handles the signal itself decides.
 */
function onSignal(signal: NodeJS.Signals): void {
  const handledByApp = process.listenerCount(signal) > 0;
  void shutdown().then(() => {
    if (!handledByApp) process.kill(process.pid, signal);
  });
}
if (sdk) {
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('beforeExit', () => void shutdown());
}
