// The shape our register-tiled programs share (the convolution, its two gradients, the column sum): 64
// threads per workgroup, numbered g = 0, 1, … across the whole dispatch, each program working out its own
// output coordinates from g and guarding the tail itself. (Past the device's workgroups per dimension tfjs
// spreads the dispatch over two or three dimensions, and its getGlobalIndex numbers the threads across them.)
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const WORKGROUP = 64;

export abstract class InvocationProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  /** `invocations` threads writing `outputShape` (in vectors of `outputComponent` floats). */
  constructor(invocations: number, readonly outputShape: number[], readonly variableComponents: number[], readonly outputComponent: number, readonly shaderKey: string) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(invocations / WORKGROUP), 1, 1];
  }

  abstract getUserCode(): string;
}
