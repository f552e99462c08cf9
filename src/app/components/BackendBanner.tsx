// Says which backend runs the tensors and, without WebGPU, why not and what still works.
import { useStore } from '../store';
import { backendFromQuery } from '../urlSync';

export function BackendBanner() {
  const backend = useStore((s) => s.backend);
  const lost = useStore((s) => s.backendLostMessage);
  if (!backend) return <div className="banner info" data-testid="backend-banner">Starting the GPU worker…</div>;
  if (backend.name === 'webgpu' && !lost) return null;
  if (backend.name === 'webgpu' && lost) {
    // Lost, then restarting or restarted on WebGPU: say what happened; nothing runs slower.
    return (
      <div className="banner warn" role="alert" data-testid="backend-banner">
        <strong>The GPU was lost.</strong> {lost}
      </div>
    );
  }
  // The address chose the backend: the browser may well have WebGPU, so do not say it lacks it.
  const forced = !lost && backendFromQuery() === backend.name;
  // Short on top (a projector's first screen is precious), the details one click away.
  return (
    <div className="banner warn" role="alert" data-testid="backend-banner">
      {forced ? (
        <><strong>WebGPU off.</strong> Sampling runs on <b>{backend.name}</b> because the address asks for it (<code>?backend={backend.name}</code>){'gpu' in navigator ? ': remove that to use WebGPU' : ''}.{' '}</>
      ) : (
        <><strong>{lost ? 'The GPU was lost.' : 'No WebGPU.'}</strong> Sampling runs on <b>{backend.name}</b> instead, more slowly.{' '}</>
      )}
      <details>
        <summary>{forced ? 'What works' : 'Why, and what still works'}</summary>
        {forced ? '' : (lost ?? backend.fallbackReason ?? 'This browser did not provide a WebGPU device.')}{' '}
        Distilling the MNIST UNet works on wasm too, on the CPU (about 1.4 s per iteration at batch 64), not on the plain-JavaScript cpu
        backend; the 2D toy models train and distill on any backend. Chrome and Edge 113+ have WebGPU; on Linux, Chrome needs{' '}
        <code>--enable-unsafe-webgpu</code>.
      </details>
    </div>
  );
}
