/**
 * A server started with UPNEXT_API_TOKEN: the first 401 brings up the token form, and the saved
 * token is sent with every request from then on (a real local HTTP server checks it).
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readToken, saveToken } from "../../src/api/auth-token.js";
import { apiGet, setApiOrigin } from "../../src/api/http.js";
import { AuthPrompt } from "../../src/app/auth-prompt.js";

const TOKEN = "s3cret-token";
let server: Server;
const seen: (string | undefined)[] = [];

function Figures() {
  const query = useQuery({
    queryKey: ["figures"],
    queryFn: () => apiGet<{ jobs: number }>("/figures"),
    retry: false,
  });
  if (query.isError) return <p>failed: {query.error.message}</p>;
  return <p>{query.data === undefined ? "loading" : `jobs: ${query.data.jobs}`}</p>;
}

beforeEach(async () => {
  seen.length = 0;
  server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ error: { code: "unauthorized", message: "Send the API token.", requestId: "r" } }),
      );
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ jobs: 42 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  setApiOrigin(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterEach(async () => {
  setApiOrigin("");
  saveToken(undefined);
  await new Promise((resolve) => server.close(resolve));
});

describe("the API token prompt", () => {
  it("appears on a 401 and the saved token is sent from then on", async () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <AuthPrompt />
        <Figures />
      </QueryClientProvider>,
    );
    expect(await screen.findByText("failed: Send the API token.")).toBeTruthy();
    const input = await screen.findByLabelText("API token");
    await userEvent.type(input, TOKEN);
    await userEvent.click(screen.getByRole("button", { name: "Use token" }));
    expect(await screen.findByText("jobs: 42")).toBeTruthy();
    expect(seen[0]).toBeUndefined();
    expect(seen.at(-1)).toBe(`Bearer ${TOKEN}`);
    expect(readToken()).toBe(TOKEN);
    expect(screen.queryByLabelText("API token")).toBeNull();
  });
});
