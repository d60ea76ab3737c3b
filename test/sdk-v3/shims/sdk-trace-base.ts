/**
 * The 2.x `@opentelemetry/sdk-trace-base` names the processor tests use,
 * served by the 3.x `@opentelemetry/sdk-trace`: `BasicTracerProvider` is
 * `TracerProvider` there, and `SimpleSpanProcessor` takes `{ exporter }`.
 */
import * as v3 from '@opentelemetry/sdk-trace';

export * from '@opentelemetry/sdk-trace';
export { TracerProvider as BasicTracerProvider } from '@opentelemetry/sdk-trace';

type Exporter = ConstructorParameters<typeof v3.SimpleSpanProcessor>[0]['exporter'];

export class SimpleSpanProcessor extends v3.SimpleSpanProcessor {
  constructor(exporterOrOptions: Exporter | { exporter: Exporter }) {
    super('exporter' in exporterOrOptions ? exporterOrOptions : { exporter: exporterOrOptions });
  }
}
