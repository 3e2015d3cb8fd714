/** Whether the page is hidden, and when that changes: the document's, or one a test drives. */
export interface VisibilitySource {
  isHidden(): boolean;
  subscribe(listener: () => void): () => void;
}

export const documentVisibility: VisibilitySource = {
  isHidden: () => typeof document !== "undefined" && document.visibilityState === "hidden",
  subscribe(listener) {
    if (typeof document === "undefined") return () => undefined;
    document.addEventListener("visibilitychange", listener);
    return () => {
      document.removeEventListener("visibilitychange", listener);
    };
  },
};

/** A source that never hides (server-side use, or a stream that must stay open). */
export const alwaysVisible: VisibilitySource = {
  isHidden: () => false,
  subscribe: () => () => undefined,
};
