/**
 * The container process boundary: the contract (ProcessSpec, ExecProcessSpec),
 * starting and exec'ing through the shim, and what the monitor leaves on disk.
 * The directives the executors read are lowering.ts's business alone.
 */
export * from './contract.js';
export * from './capabilities.js';
export { spawnContainerProcess } from './spawn.js';
export type { ContainerProcess, SpawnHooks, SpawnOptions } from './spawn.js';
export { execInContainer } from './exec.js';
export { readExitStatus, readPidFile, waitForExit } from './status.js';
export type { ExitStatus } from './status.js';
export { readLogs } from './logs.js';
export type { LogEntry } from './logs.js';
export { ContainerStartError, ContainerCommandError } from './protocol.js';
