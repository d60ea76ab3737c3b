/**
 * A test page's source bundled as a web application bundles it (esbuild,
 * the `browser` export conditions), into one script that defines the
 * global `page` with the source's exports: for running in a bare `vm`
 * context, which has no Node globals.
 */
import * as esbuild from 'esbuild';

export async function bundlePage(contents: string, resolveDir: string): Promise<string> {
  const r = await esbuild.build({
    stdin: { contents, resolveDir, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'page',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}
