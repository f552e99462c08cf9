// Second pass of a split-K matrix product: C[i] = Σ_s P[s, i] over the partial sums P: [S, M·N] that
// the first pass wrote (WGSL has no float atomics, so the parts cannot be added in place).
// One thread per output element; neighbouring threads read neighbouring addresses for every s.
import { type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';

export class SplitKSumProgram implements WebGPUProgram {
  readonly variableNames = ['partial'];
  readonly uniforms = 'splits : i32,';
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'halfstepSplitKSum';

  /** Output [size]; the caller reshapes it. */
  constructor(size: number) {
    this.outputShape = [size];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s = 0.0;
          for (var k = 0; k < uniforms.splits; k++) {
            s += partial[k * uniforms.size + index];
          }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
}
