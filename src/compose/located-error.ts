/**
 * The error for a value found at a key path: the message starts with the path
 * (`services.web.ports.1 invalid containerPort: eighty`, compose-go's wording)
 * and points at where the path was written, as far as the positions know it.
 */
import { ComposeFileError } from '../errors/index.js';
import type { ErrorCode } from '../errors/index.js';
import { formatKeyPath } from './positions.js';
import type { KeyPath, PositionTable } from './positions.js';

export function errorAtPath(positions: PositionTable, root: unknown, path: KeyPath, message: string, code: ErrorCode = 'TSC_SPEC_INVALID'): ComposeFileError {
  const keyPath = formatKeyPath(path);
  return new ComposeFileError(code, keyPath === '' ? message : `${keyPath} ${message}`, {
    location: positions.locate(root, path),
    keyPath: keyPath === '' ? undefined : keyPath,
    service: path[0] === 'services' && path.length > 1 ? String(path[1]) : undefined,
  });
}
