/** What the engine observed, as plain data: the reconciler compares it with the desired state without asking anything else. */
export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneOff: boolean;
  configHash: string;
  imageId: string;
  state: 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead';
  health?: 'starting' | 'healthy' | 'unhealthy';
  exitCode?: number;
  networks: string[];
}

export interface ObservedNetwork {
  name: string;
  configHash: string;
  external?: boolean;
}

export interface ObservedVolume {
  name: string;
}

export interface ObservedState {
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}
