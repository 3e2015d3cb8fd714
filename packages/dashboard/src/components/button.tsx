import type { ButtonHTMLAttributes } from "react";

type Tone = "default" | "primary" | "danger";

const TONES: Record<Tone, string> = {
  default: "border-line bg-panel text-fg hover:bg-panel-head",
  primary: "border-accent bg-accent text-panel hover:opacity-90",
  danger: "border-danger bg-panel text-danger hover:bg-danger-soft",
};

export function Button({
  tone = "default",
  className = "",
  type = "button",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { readonly tone?: Tone }) {
  return (
    <button
      type={type}
      className={`inline-flex items-center gap-1 rounded-md border px-3 py-1.5 text-sm font-medium disabled:cursor-not-allowed disabled:opacity-50 ${TONES[tone]} ${className}`}
      {...props}
    />
  );
}
