/**
 * Short confirmations and failures of actions (cancel, retry, pause...). One store, one
 * announcer region; each action reports its outcome once, in the language of the UI.
 */
export type ToastTone = "success" | "error" | "info";

export interface Toast {
  readonly id: number;
  readonly tone: ToastTone;
  readonly message: string;
  readonly action?: { readonly label: string; readonly href: string };
}

/** Long enough to read a sentence; errors stay until dismissed. */
export const TOAST_DURATION_MS = 6_000;
const MAX_TOASTS = 4;

let toasts: readonly Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((toast) => toast.id !== id);
  emit();
}

export function showToast(tone: ToastTone, message: string, action?: Toast["action"]): void {
  const toast: Toast =
    action === undefined ? { id: nextId++, tone, message } : { id: nextId++, tone, message, action };
  toasts = [...toasts, toast].slice(-MAX_TOASTS);
  emit();
  if (tone !== "error") {
    setTimeout(() => {
      dismissToast(toast.id);
    }, TOAST_DURATION_MS);
  }
}

export function subscribeToasts(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function currentToasts(): readonly Toast[] {
  return toasts;
}
