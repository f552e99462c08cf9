// Second pass of a split-K matrix product: C[i] = Σ_s P[s, i] over the partial sums P: [S, M·N] that
// the first pass wrote (WGSL has no float atomics, so the parts cannot be added in place).
// One thread per output element; neighbouring threads read neighbouring addresses for every s.
import { FlatOutputProgram } from './flatOutputProgram';

export class SplitKSumProgram extends FlatOutputProgram {
  readonly variableNames = ['partial'];
  readonly uniforms = 'splits : i32,';

  /** Output [size]; the caller reshapes it. */
  constructor(size: number) {
    super(size, 'halfstepSplitKSum');
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
