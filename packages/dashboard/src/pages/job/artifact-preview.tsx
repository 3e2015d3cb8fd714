/**
 * An artifact's preview: text, JSON (pretty-printed) or an image. The content is fetched with the
 * bearer token; an image becomes an object URL revoked when the preview closes. Retry remounts
 * the loader, so each attempt starts clean.
 */
import type { ArtifactInfo } from "@upnext/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api/endpoints.js";
import { request } from "../../api/http.js";
import { ErrorView } from "../../components/error-boundary.js";
import { JsonView } from "../../components/json-view.js";
import { Skeleton } from "../../components/skeleton.js";
import { useFormatters } from "../../i18n/use-formatters.js";

/** Larger content is not previewed (download it). */
export const PREVIEW_MAX_BYTES = 1024 * 1024;

type PreviewKind = "text" | "json" | "image" | "none";

export function previewKind(contentType: string): PreviewKind {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type.startsWith("text/") || type === "application/xml" || type === "application/x-ndjson")
    return "text";
  if (type.startsWith("image/")) return "image";
  return "none";
}

type Loaded =
  | { kind: "text"; text: string }
  | { kind: "json"; value: unknown }
  | { kind: "image"; url: string }
  | { kind: "error"; error: unknown };

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function Loader({
  artifact,
  kind,
  onRetry,
}: {
  readonly artifact: ArtifactInfo;
  readonly kind: Exclude<PreviewKind, "none">;
  readonly onRetry: () => void;
}) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    request("GET", api.artifactContentUrl(artifact.id), undefined, { signal: controller.signal })
      .then(async (response) => {
        if (kind === "image") {
          objectUrl = URL.createObjectURL(await response.blob());
          setLoaded({ kind: "image", url: objectUrl });
        } else {
          const text = await response.text();
          setLoaded(kind === "json" ? { kind: "json", value: parsed(text) } : { kind: "text", text });
        }
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setLoaded({ kind: "error", error });
      });
    return () => {
      controller.abort();
      if (objectUrl !== undefined) URL.revokeObjectURL(objectUrl);
    };
  }, [artifact.id, kind]);
  if (loaded === undefined) return <Skeleton lines={3} />;
  switch (loaded.kind) {
    case "error":
      return <ErrorView compact error={loaded.error} onRetry={onRetry} />;
    case "image":
      return (
        <img
          src={loaded.url}
          alt={artifact.name}
          className="max-h-96 max-w-full rounded border border-line object-contain"
        />
      );
    case "json":
      return <JsonView value={loaded.value} label={artifact.name} />;
    case "text":
      return <JsonView value={loaded.text} label={artifact.name} />;
  }
}

export function ArtifactPreview({ artifact }: { readonly artifact: ArtifactInfo }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const [attempt, setAttempt] = useState(0);
  const kind = previewKind(artifact.contentType);
  if (kind === "none") return <p className="text-sm text-muted">{t("job.previewUnavailable")}</p>;
  if (artifact.size > PREVIEW_MAX_BYTES) {
    return (
      <p className="text-sm text-muted">{t("job.previewTooLarge", { size: format.bytes(artifact.size) })}</p>
    );
  }
  return (
    <Loader
      key={attempt}
      artifact={artifact}
      kind={kind}
      onRetry={() => {
        setAttempt((value) => value + 1);
      }}
    />
  );
}
