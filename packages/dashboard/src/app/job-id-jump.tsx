/**
 * The header's jump-to-id box: an exact job id or the start of one opens that job; anything
 * else (several jobs share the prefix, none has it, the server cannot answer) opens the Jobs page
 * searching for it, where the answer or the error is shown. The server finds ids at any age
 * (docs/server.md, "The jobs list").
 */
import { useNavigate } from "@tanstack/react-router";
import { type SyntheticEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/endpoints.js";

export function JobIdJump() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);

  const jump = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    const q = text.trim();
    if (q === "" || busy) return;
    setBusy(true);
    try {
      // Two rows are enough to tell "exactly one job" from "several".
      const page = await api.jobs({ q }, 2, undefined).catch(() => undefined);
      const only = page?.items.length === 1 ? page.items[0] : undefined;
      if (only?.id.startsWith(q)) {
        await navigate({ to: "/jobs/$jobId", params: { jobId: only.id } });
      } else {
        await navigate({ to: "/jobs", search: { q } });
      }
      setText("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form role="search" aria-label={t("app.jumpToJob")} onSubmit={(event) => void jump(event)}>
      <label className="flex items-center">
        <span className="sr-only">{t("app.jumpToJob")}</span>
        <input
          type="search"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
          }}
          placeholder={t("app.jumpToJobPlaceholder")}
          spellCheck={false}
          autoComplete="off"
          aria-busy={busy}
          className="w-40 rounded-md border border-line bg-panel px-2 py-1 font-mono text-sm text-fg sm:w-64"
        />
      </label>
    </form>
  );
}
