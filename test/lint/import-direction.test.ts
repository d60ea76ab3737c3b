/**
 * The import-direction rules of eslint.config.js, on synthetic files placed in
 * the tree: a file of a core layer may import its own and earlier layers only,
 * and a package only the workspace packages it declares. The whole tree is
 * linted by `npx -y pnpm@10 lint` (first step of the test command); these tests
 * show the rules would catch an edge against the order.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('core layers: policy → match → actions → compile → evaluate → engine', () => {
  it('rejects an import of a later layer', async () => {
    const msgs = await restricted('packages/core/src/compile/x.ts', "import { SignalEvaluator } from '../evaluate/signal-evaluator.js';\nexport const x = SignalEvaluator;\n");
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain('core/compile may not import core/evaluate');
  });

  it('rejects every upward edge, from each layer to each later one', async () => {
    const layers = ['policy', 'match', 'actions', 'compile', 'evaluate', 'engine'];
    for (let i = 0; i < layers.length; i++) {
      for (let j = 0; j < layers.length; j++) {
        const msgs = await restricted(`packages/core/src/${layers[i]}/x.ts`, `import { y } from '../${layers[j]}/y.js';\nexport const x = y;\n`);
        expect(msgs.length, `${layers[i]} → ${layers[j]}`).toBe(j > i ? 1 : 0);
      }
    }
  });

  it('rejects an import of the package index from inside a layer', async () => {
    expect(await restricted('packages/core/src/match/x.ts', "import { PolicyEngine } from '../index.js';\nexport const x = PolicyEngine;\n")).toHaveLength(1);
  });

  it('lets the index import every layer', async () => {
    expect(await restricted('packages/core/src/index.ts', "export { PolicyEngine } from './engine/policy-engine.js';\nexport { parsePolicyText } from './policy/parse.js';\n")).toEqual([]);
  });
});

describe('adapter families: shared ← otlp-json, sdk', () => {
  it('keeps each family out of the other, and shared out of both', async () => {
    expect(await restricted('packages/adapters/src/sdk/x.ts', "import { a } from '../otlp-json/any-value.js';\nexport const x = a;\n")).toHaveLength(1);
    expect(await restricted('packages/adapters/src/otlp-json/x.ts', "import { a } from '../sdk/attributes.js';\nexport const x = a;\n")).toHaveLength(1);
    expect(await restricted('packages/adapters/src/shared/x.ts', "import { a } from '../sdk/attributes.js';\nexport const x = a;\n")).toHaveLength(1);
  });

  it('lets both families import shared', async () => {
    expect(await restricted('packages/adapters/src/sdk/x.ts', "import { a } from '../shared/ids.js';\nexport const x = a;\n")).toEqual([]);
    expect(await restricted('packages/adapters/src/otlp-json/x.ts', "import { a } from '../shared/ids.js';\nexport const x = a;\n")).toEqual([]);
  });
});

describe('package dependencies point one way', () => {
  it('keeps core free of other packages and of OpenTelemetry', async () => {
    expect(await restricted('packages/core/src/policy/x.ts', "import { a } from '@otel-policy/adapters';\nexport const x = a;\n")).toHaveLength(1);
    expect(await restricted('packages/core/src/engine/x.ts', "import { diag } from '@opentelemetry/api';\nexport const x = diag;\n")).toHaveLength(1);
  });

  it('rejects a package importing one above it, and allows its declared dependencies', async () => {
    expect(await restricted('packages/adapters/src/x.ts', "import { a } from '@otel-policy/sdk-processor';\nexport const x = a;\n")).toHaveLength(1);
    expect(await restricted('packages/providers/src/x.ts', "import { a } from '@otel-policy/collector';\nexport const x = a;\n")).toHaveLength(1);
    expect(await restricted('packages/collector/src/x.ts', "import { a } from '@otel-policy/core';\nimport { b } from '@otel-policy/adapters';\nexport const x = [a, b];\n")).toEqual([]);
  });

  it('rejects reaching into another package by path', async () => {
    expect(await restricted('packages/collector/src/otlp/x.ts', "import { a } from '../../../providers/src/index.js';\nexport const x = a;\n")).toHaveLength(1);
  });

  it('finds no restricted import in the tree as it is', async () => {
    const results = await eslint.lintFiles(['packages/*/src/**/*.ts']);
    const found = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(found).toEqual([]);
  });
});
