/** Kept in step with package.json by test/unit/cli/cli.test.ts (no JSON read at start-up). */
export const VERSION = '0.1.0';
