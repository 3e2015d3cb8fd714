/**
 * The job's artifacts with a preview (artifact-preview.tsx) and a download, both fetched with the
 * bearer token so they work on a server with UPNEXT_API_TOKEN.
 */
import type { ArtifactInfo } from "@upnext/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api/endpoints.js";
import { request } from "../../api/http.js";
import { useArtifacts } from "../../api/queries.js";
import { Button } from "../../components/button.js";
import { ErrorView } from "../../components/error-boundary.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { useArtifactStream } from "../../live/use-artifact-stream.js";
import { ArtifactPreview } from "./artifact-preview.js";

async function download(artifact: ArtifactInfo): Promise<void> {
  const response = await request("GET", api.artifactContentUrl(artifact.id, true), undefined);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = artifact.name;
  link.click();
  URL.revokeObjectURL(url);
}

export function JobArtifacts({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  useArtifactStream(jobId);
  const { data } = useArtifacts(jobId);
  const [open, setOpen] = useState<string | undefined>();
  const [failed, setFailed] = useState<unknown>();
  if (data.items.length === 0) return <p className="text-sm text-muted">{t("job.artifactsEmpty")}</p>;
  return (
    <div className="flex flex-col gap-2">
      {failed === undefined ? null : <ErrorView compact error={failed} />}
      <ul className="flex flex-col divide-y divide-line">
        {data.items.map((artifact) => (
          <li key={artifact.id} className="py-2">
            <div className="flex flex-wrap items-center gap-3">
              <span className="font-mono text-sm font-medium text-fg">{artifact.name}</span>
              <span className="text-xs text-muted">
                {artifact.contentType} · {format.bytes(artifact.size)}
              </span>
              <span className="ml-auto flex gap-2">
                <Button
                  aria-expanded={open === artifact.id}
                  onClick={() => {
                    setOpen(open === artifact.id ? undefined : artifact.id);
                  }}
                >
                  {t("job.preview")}
                </Button>
                <Button
                  onClick={() => {
                    setFailed(undefined);
                    download(artifact).catch(setFailed);
                  }}
                >
                  {t("common.download")}
                </Button>
              </span>
            </div>
            {open === artifact.id ? (
              <div className="mt-2">
                <ArtifactPreview artifact={artifact} />
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
