/**
 * The reconciler's public face: desired vs observed → Plan (operations with
 * causes and dependencies), for `up`, `start` and `down`. Pure: no fs, no
 * kernel, no clock.
 */
export type { Operation, OperationType, Plan, WaitCondition } from './operation.js';
export { PlanBuilder } from './operation.js';
export type { ReconcileOptions } from './reconcile.js';
export { reconcile } from './reconcile.js';
export type { ImageRemoval } from './down.js';
export { planDown } from './down.js';
