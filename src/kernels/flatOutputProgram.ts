// The shape several of our programs share: one thread per value of a flat [size] output, 64 threads per
// workgroup, and tfjs's `uniforms.size` (filled because `size` is set) guarding the last workgroup's tail.
import { type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';

export abstract class FlatOutputProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(size: number, readonly shaderKey: string) {
    this.outputShape = [size];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize);
  }

  abstract getUserCode(): string;
}
