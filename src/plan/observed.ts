/**
 * What the engine observed, as plain data: the reconciler compares it with
 * the desired state without asking anything else.
 *
 * Contract for the engine: `containers` are the project's containers (one-off
 * `run` containers included, flagged); `networks` and `volumes` are the
 * project's own plus any external network/volume the desired state names and
 * that exists (flagged `external`), so an unchanged file plans nothing.
 * A volume of the project that the file declares external is flagged too.
 */
export type ContainerState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead';

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  /** The replica number (`com.docker.compose.container-number`). */
  number: number;
  oneOff: boolean;
  configHash: string;
  imageId: string;
  state: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  exitCode?: number;
  /** Full names of the networks it is attached to. */
  networks: string[];
}

export interface ObservedNetwork {
  /** Full name (`<project>_<key>` or `name:`). */
  name: string;
  /** The network hash recorded at creation; '' when unknown (then never recreated). */
  configHash: string;
  external?: boolean | undefined;
  /** Containers of other projects attached to it (a network they declare external): it cannot go with this project. */
  usedBy?: string[] | undefined;
}

export interface ObservedVolume {
  name: string;
  external?: boolean | undefined;
}

/** A local image one of the project's services runs (observed for `down --rmi`). */
export interface ObservedImage {
  /** As the service names it (`image:`). */
  reference: string;
  /** The config digest, as containers record it in `imageId`. */
  id: string;
  /** Containers of other projects that run it. */
  usedBy: string[];
}

export interface ObservedState {
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
  /** Only `down --rmi` needs them; absent otherwise. */
  images?: ObservedImage[] | undefined;
}
