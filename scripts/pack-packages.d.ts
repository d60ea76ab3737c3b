// Types of scripts/pack-packages.js (for test/packaging/install.test.ts).
export declare const root: string;
export interface PublicPackage {
  dir: string;
  name: string;
  version: string;
  /** The file name pnpm pack writes. */
  tarball: string;
  manifest: Record<string, unknown>;
}
export declare function pnpmCommand(): string[];
export declare function publicPackages(): PublicPackage[];
export declare function run(cmd: string, args: string[], options?: import('node:child_process').SpawnOptions): Promise<{ code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
export declare function packPackages(dest: string): Promise<(PublicPackage & { path: string })[]>;
