/**
 * Shown when the server answered 401: a form for the API token. Saving it retries every failed
 * query and reconnects the live stream with the new token.
 */
import { useQueryClient } from "@tanstack/react-query";
import { type SyntheticEvent, useState, useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { isTokenRejected, readToken, saveToken, subscribeToken } from "../api/auth-token.js";

export function AuthPrompt() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const rejected = useSyncExternalStore(subscribeToken, isTokenRejected, isTokenRejected);
  const [value, setValue] = useState("");
  if (!rejected) return null;
  const hadToken = readToken() !== undefined;
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    saveToken(value.trim());
    setValue("");
    void client.invalidateQueries();
  };
  return (
    <form
      onSubmit={submit}
      className="flex flex-wrap items-end gap-3 border-b border-warn bg-warn-soft px-4 py-3 text-sm"
    >
      <div className="min-w-64 flex-1">
        <p className="font-semibold text-fg">{t("auth.title")}</p>
        <p className="text-fg">{hadToken ? t("auth.rejected") : t("auth.description")}</p>
      </div>
      <label className="flex flex-col gap-1 text-fg">
        {t("auth.token")}
        <input
          type="password"
          autoComplete="off"
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
          }}
          className="rounded-md border border-line bg-panel px-2 py-1 text-fg"
        />
      </label>
      <button
        type="submit"
        disabled={value.trim() === ""}
        className="rounded-md bg-accent px-3 py-1.5 font-medium text-panel disabled:opacity-60"
      >
        {t("auth.save")}
      </button>
    </form>
  );
}
