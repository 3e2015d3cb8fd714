/** Rows picked by their checkboxes, by id; cleared when the list's filter changes. */
import { useCallback, useMemo, useState } from "react";

export interface Selection {
  readonly ids: readonly string[];
  readonly has: (id: string) => boolean;
  readonly toggle: (id: string) => void;
  readonly clear: () => void;
}

const NONE: ReadonlySet<string> = new Set();

export function useSelection(resetKey: string): Selection {
  const [state, setState] = useState<{ key: string; ids: ReadonlySet<string> }>({
    key: resetKey,
    ids: new Set(),
  });
  const current = state.key === resetKey ? state.ids : NONE;
  const toggle = useCallback(
    (id: string) => {
      setState((previous) => {
        const ids = new Set(previous.key === resetKey ? previous.ids : []);
        if (ids.has(id)) ids.delete(id);
        else ids.add(id);
        return { key: resetKey, ids };
      });
    },
    [resetKey],
  );
  const clear = useCallback(() => {
    setState({ key: resetKey, ids: new Set() });
  }, [resetKey]);
  return useMemo(
    () => ({ ids: [...current], has: (id: string) => current.has(id), toggle, clear }),
    [current, toggle, clear],
  );
}
