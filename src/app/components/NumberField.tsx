// A number input that can be cleared and retyped. The field keeps what the user types; the setting changes
// only when the text is a valid number in range, and the field says so while it is not. Leaving the field
// puts the setting's value back. (A controlled input bound straight to the setting snapped back to the old
// value on every invalid keystroke, so select-all + "50" gave 30050.)
import { useEffect, useId, useState } from 'react';

export interface NumberFieldProps {
  label: string;
  value: number;
  onChange(v: number): void;
  min: number;
  max: number;
  /** Whole numbers only (iterations, batch, seed). */
  integer?: boolean;
  testId?: string;
  className?: string;
  /** What the setting does, on hover (for a label as short as 'η'). */
  title?: string;
}

/** 100,000 with its comma; 0.000001 as written, not rounded to 0 as toLocaleString would. */
function formatBound(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en') : String(v);
}

/** The value the text stands for, or why it stands for none. */
export function parseNumberField(text: string, min: number, max: number, integer: boolean): { value: number } | { problem: string } {
  const range = `${integer ? 'a whole number' : 'a number'} from ${formatBound(min)} to ${formatBound(max)}`;
  const t = text.trim();
  if (t === '') return { problem: `enter ${range}` };
  const v = Number(t);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) return { problem: `${range}` };
  return { value: v };
}

export function NumberField({ label, value, onChange, min, max, integer = false, testId, className, title }: NumberFieldProps) {
  const [text, setText] = useState(String(value));
  const [editing, setEditing] = useState(false);
  const hintId = useId();
  // A value set from elsewhere (the link, "new noise") shows unless the user is typing.
  useEffect(() => {
    if (!editing) setText(String(value));
  }, [value, editing]);
  const parsed = parseNumberField(text, min, max, integer);
  const problem = 'problem' in parsed ? parsed.problem : null;
  return (
    <span className={`number-field ${className ?? ''}`}>
      <label title={title}>
      {label}{' '}
      <input
        type="text"
        inputMode={integer ? 'numeric' : 'decimal'}
        value={text}
        data-testid={testId}
        aria-invalid={problem !== null}
        aria-describedby={hintId}
        onFocus={() => setEditing(true)}
        onChange={(e) => {
          setText(e.target.value);
          const p = parseNumberField(e.target.value, min, max, integer);
          if ('value' in p && p.value !== value) onChange(p.value);
        }}
        onBlur={() => {
          setEditing(false);
          setText(String(value));
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          if (e.key === 'Escape') {
            setText(String(value));
            (e.target as HTMLInputElement).blur();
          }
        }}
      />
      </label>
      {/* Outside the label (not part of the input's name), always present so screen readers announce changes. */}
      <span className="field-problem" id={hintId} role="status">{problem ?? ''}</span>
    </span>
  );
}
