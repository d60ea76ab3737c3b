/**
 * Loading the vendored .proto files with protobufjs: one directory of
 * schemas (`<package>/proto`, Apache-2.0, see its README) for every package
 * that speaks a wire protocol, so there is one copy of each file.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The directory holding the .proto files: `<package>/proto`, from `src/` and `dist/` alike. */
export const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));

/**
 * How deeply messages may nest when decoded or encoded. protobufjs refuses
 * messages nested deeper than 100 (protoc's default), which is attribute
 * values nested 30 to 50 levels: legitimate data.
 */
export const MAX_MESSAGE_DEPTH = 1000;

/**
 * Raise protobufjs's recursion limit to {@link MAX_MESSAGE_DEPTH}. Its
 * generated code reads the limit at run time, for decode, encode and both
 * conversions (a process-wide setting; it only ever rises here).
 */
export function raiseRecursionLimit(): void {
  const limit = Math.max(MAX_MESSAGE_DEPTH, protobuf.util.recursionLimit ?? 0);
  protobuf.util.recursionLimit = limit;
  protobuf.Reader.recursionLimit = limit;
}

/**
 * A protobufjs root holding `files` (paths below {@link PROTO_DIR}) and
 * everything they import, resolved. `extra` is proto source text parsed into
 * the same root.
 */
export function loadProtoRoot(files: readonly string[], extra?: string): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => path.join(PROTO_DIR, target);
  root.loadSync([...files], { keepCase: false });
  if (extra !== undefined) protobuf.parse(extra, root, { keepCase: false });
  root.resolveAll();
  return root;
}
