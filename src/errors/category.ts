/** What kind of failure an error is: it decides the CLI's exit status and whether retrying can help. */
export type ErrorCategory = 'invalid' | 'not-found' | 'conflict' | 'unsupported' | 'unavailable' | 'permission' | 'internal';
